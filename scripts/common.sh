# Shared by scripts/demo.sh and scripts/test.sh: install what is missing,
# find Rust, build. Sourced, not run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

log() { printf '\n== %s\n' "$*"; }

# ensure_packages PKG... : apt-get install the Debian packages not yet
# installed (as root, or through sudo).
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "error: these packages are missing and you are not root (and there is no sudo): ${missing[*]}" >&2
      echo "       install them as root: apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

BASE_PACKAGES=(build-essential cmake pkg-config libuv1-dev libcjson-dev
  libxxhash-dev libffi-dev libcmocka-dev libedit-dev)
# Debian's Rust crates, used offline through a cargo directory source in
# place of crates.io (the demo's reqwest, and the build tests).
CRATE_PACKAGES=(librust-reqwest-dev librust-semver-dev librust-serde-json-dev
  librust-regex-dev librust-serde-derive-dev librust-thiserror-dev)
DEBIAN_CRATES=/usr/share/cargo/registry

# ensure_rust: rustc and cargo must be there (rimport drives them; it does not
# install a toolchain).
ensure_rust() {
  # rustup's toolchain comes first when there is one: Debian's rustc and
  # cargo (installed for the Rust 1.63 checks) are called by absolute path.
  if [ -x "$HOME/.cargo/bin/rustc" ] &&
    [ "$(command -v rustc 2>/dev/null)" != "$HOME/.cargo/bin/rustc" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  local t ok=1
  for t in rustc cargo; do
    if ! command -v "$t" >/dev/null 2>&1; then
      echo "error: $t was not found on PATH." >&2
      ok=0
    fi
  done
  if [ $ok -eq 0 ]; then
    echo "       Install Rust with rustup (https://rustup.rs), or from Debian:" >&2
    echo "       apt-get install rustc cargo   (then run this command again)" >&2
    exit 1
  fi
  echo "rust: $(rustc --version), $(cargo --version)"
}

# build DIR [cmake args...]
build() {
  local dir=$1
  shift
  cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; exit 1; }
  cmake --build "$dir" -j "$JOBS" >"$dir.build.log" 2>&1 ||
    { tail -60 "$dir.build.log"; exit 1; }
}
