#!/usr/bin/env bash
# Builds rimport's dependencies for 64-bit Windows (x86_64-w64-mingw32) from
# Debian's source packages and prints the prefix they are in, on stdout as
# the last line (progress goes to stderr):
#
#   prefix=$(scripts/windows-deps.sh | tail -n 1)
#
# Debian ships libuv, cJSON, xxHash, libffi and cmocka for Linux only, so
# this script adds a deb-src entry when there is none, fetches their source
# packages with `apt-get source`, cross-builds them (CMake with
# cmake/mingw-w64-x86_64.cmake; libffi with ./configure --host) and installs
# them into a prefix outside the clone:
#
#   RIMPORT_MINGW_PREFIX, or else
#   ${XDG_CACHE_HOME:-$HOME/.cache}/rimport-mingw-deps/<stamp>
#
# The stamp covers the source package versions, the mingw-w64 compiler, the
# toolchain file and the build recipe below, so a later run with the same
# ones finds the prefix complete (its marker file is written last) and only
# prints its path. A build happens in <prefix>.tmp-<pid> and is renamed into
# place once it passed scripts/windows-deps-check.sh, so an interrupted run
# leaves no prefix that looks complete; the next run removes what it left.
# Nothing of the dependencies is copied into the repository.
#
# Environment: RIMPORT_MINGW_PREFIX (the prefix), RIMPORT_MINGW_JOBS
# (parallel jobs, default: the number of cores).
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TRIPLET=x86_64-w64-mingw32
CC_MINGW=$TRIPLET-gcc
TOOLCHAIN=$ROOT/cmake/mingw-w64-x86_64.cmake
DEPS_JOBS=${RIMPORT_MINGW_JOBS:-$JOBS}
# Debian source package names, in build order.
SOURCES=(libuv1 cjson xxhash libffi cmocka)
DEB_SRC_FILE=/etc/apt/sources.list.d/rimport-deb-src.sources
MARKER_NAME=.rimport-mingw-deps

say() { log "$@" >&2; }

# as_root CMD...: runs CMD as root (directly, or through sudo).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "error: this needs root (and there is no sudo): $*" >&2
    exit 1
  fi
}

# --- deb-src -------------------------------------------------------------

# debian_deb822_src: Debian's deb822 stanzas of type deb (from
# /etc/apt/sources.list.d/*.sources) printed again with Types: deb-src.
# Only Debian's archives (their URI says debian, or they are signed by
# Debian's keyring): a third-party repository may publish no sources.
debian_deb822_src() {
  local files=(/etc/apt/sources.list.d/*.sources)
  [ -e "${files[0]}" ] || return 0
  awk '
    function flush(  i) {
      if (n && deb && debian && enabled) {
        if (out++) print ""
        for (i = 1; i <= n; i++) print lines[i]
      }
      n = 0; deb = 0; debian = 0; enabled = 1
    }
    BEGIN { enabled = 1 }
    FNR == 1 { flush() }
    /^[ \t]*#/ { next }
    /^[ \t]*$/ { flush(); next }
    {
      key = tolower($1)
      if (key == "types:") {
        for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1
        lines[++n] = "Types: deb-src"
        next
      }
      if (key == "enabled:" && tolower($2) == "no") enabled = 0
      if ((key == "uris:" && $0 ~ /debian/) ||
          (key == "signed-by:" && $0 ~ /debian-archive-keyring/)) debian = 1
      lines[++n] = $0
    }
    END { flush() }
  ' "${files[@]}"
}

# debian_oneline_src: the same for one-line entries (/etc/apt/sources.list,
# *.list), for systems that still have them.
debian_oneline_src() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n 's/^[[:space:]]*deb\([[:space:]].*debian.*\)$/deb-src\1/p' "$f"
  done
}

# ensure_deb_src: apt knows Debian's source packages afterwards. When no
# deb-src entry is configured, one is written (a file of its own, next to
# Debian's) and apt-get update is run.
ensure_deb_src() {
  # Known already (the quick check, 0.05 s): nothing to do. (No grep -q
  # after a pipe: with pipefail the writer's SIGPIPE would read as "no".)
  if apt-cache showsrc --only-source "${SOURCES[0]}" 2>/dev/null | grep '^Version:' >/dev/null; then
    return 0
  fi
  local targets
  # shellcheck disable=SC2016 # $(CREATED_BY) is apt's, not the shell's
  targets=$(apt-get indextargets --format '$(CREATED_BY)')
  if ! grep -qx Sources <<<"$targets"; then
    local text list=${DEB_SRC_FILE%.sources}.list
    text=$(debian_deb822_src)
    if [ -n "$text" ]; then
      say "adding a deb-src entry: $DEB_SRC_FILE (Debian's entries with Types: deb-src)"
      printf '# Written by rimport scripts/windows-deps.sh: Debian'"'"'s source packages\n%s\n' \
        "$text" | as_root tee "$DEB_SRC_FILE" >/dev/null
    else
      text=$(debian_oneline_src)
      if [ -z "$text" ]; then
        echo "error: found no Debian apt source to derive a deb-src entry from" >&2
        echo "       (looked in /etc/apt/sources.list.d/*.sources, *.list and /etc/apt/sources.list)." >&2
        echo "       Add one by hand (Types: deb-src) and run this again." >&2
        exit 1
      fi
      say "adding a deb-src entry: $list"
      printf '# Written by rimport scripts/windows-deps.sh\n%s\n' "$text" |
        as_root tee "$list" >/dev/null
    fi
  fi
  # Added now, or configured but never fetched: update.
  say "apt-get update (source package lists)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
}

# source_dscs: the .dsc file names `apt-get source` would fetch for
# $SOURCES, in that order, e.g. libuv1_1.44.2-1+deb12u1.dsc (one apt call:
# each loads apt's cache, ~0.5 s).
source_dscs() {
  local uris s dsc
  uris=$(apt-get source --only-source --print-uris "${SOURCES[@]}" 2>&1) || {
    echo "error: apt-get source --print-uris ${SOURCES[*]} failed:" >&2
    echo "$uris" >&2
    echo "       Try: apt-get update; apt-cache showsrc ${SOURCES[*]}" >&2
    exit 1
  }
  for s in "${SOURCES[@]}"; do
    dsc=$(awk -v p="${s}_" '$2 ~ /\.dsc$/ && index($2, p) == 1 { print $2; exit }' <<<"$uris")
    if [ -z "$dsc" ]; then
      echo "error: apt-get source --print-uris $s names no .dsc: is the source package known?" >&2
      echo "       Try: apt-get update; apt-cache showsrc $s" >&2
      exit 1
    fi
    echo "$dsc"
  done
}

# --- the build recipe (part of the stamp) -------------------------------

# step WHAT CMD...: runs CMD with its output appended to $LOGF; on failure
# says what failed, shows the log's tail and stops.
step() {
  local what=$1
  shift
  printf '\n$ %s\n' "$*" >>"$LOGF"
  if ! "$@" >>"$LOGF" 2>&1; then
    echo "error: $what failed. The last lines of $LOGF:" >&2
    tail -n 40 "$LOGF" >&2
    echo "error: $what failed (log: $LOGF; the next run removes $WORK)" >&2
    exit 1
  fi
}

# cmake_dep NAME SRCDIR [CMAKE ARGS...]: configure, build, install into the
# staging root ($STAGE$PREFIX) with the mingw-w64 toolchain file.
cmake_dep() {
  local name=$1 src=$2
  shift 2
  local b=$WORK/build/$name
  LOGF=$WORK/logs/$name.log
  step "$name: cmake configure" cmake -S "$src" -B "$b" \
    -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" "$@"
  step "$name: build" cmake --build "$b" -j "$DEPS_JOBS"
  step "$name: install" env DESTDIR="$STAGE" cmake --install "$b"
}

build_libuv() {
  cmake_dep libuv "$1" -DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF
}

build_cjson() {
  cmake_dep cjson "$1" -DENABLE_CJSON_TEST=OFF -DBUILD_SHARED_LIBS=ON
}

build_xxhash() {
  cmake_dep xxhash "$1/cmake_unofficial" -DBUILD_SHARED_LIBS=ON \
    -DXXHASH_BUILD_XXHSUM=OFF
}

build_cmocka() {
  cmake_dep cmocka "$1" -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF
}

# libffi: Debian's source has upstream's generated ./configure.
build_libffi() {
  local b=$WORK/build/libffi
  LOGF=$WORK/logs/libffi.log
  mkdir -p "$b"
  step "libffi: configure" env -C "$b" "$1/configure" --host="$TRIPLET" \
    --prefix="$PREFIX" --enable-shared --disable-static --disable-docs \
    --disable-multi-os-directory
  step "libffi: build" make -C "$b" -j "$DEPS_JOBS"
  step "libffi: install" make -C "$b" install DESTDIR="$STAGE"
}

# fix_pc_files: what the installed .pc files get wrong.
# - xxHash's libxxhash.pc says prefix=/usr whatever the install prefix
#   (Debian's libxxhash.pc.in): every .pc gets the real one.
# - libffi's libffi.pc says `Libs: -lffi` with no -L (Debian's
#   no-toolexeclibdir.diff: on Debian it is in the linker's default path):
#   a Libs line with -l but no -L gets -L${libdir}.
fix_pc_files() {
  local pc
  for pc in "$STAGE$PREFIX"/lib/pkgconfig/*.pc; do
    # shellcheck disable=SC2016 # ${libdir} is pkg-config's
    sed -i -e "s|^prefix=.*|prefix=$PREFIX|" \
      -e '/^Libs:.*-l/{/-L/!s|^Libs:[[:space:]]*|Libs: -L${libdir} |}' "$pc"
  done
}

# copy_runtime_dlls: the DLLs of mingw-w64's gcc runtime that the built
# DLLs import (cJSON: libssp-0.dll, cmocka: libgcc_s_seh-1.dll), and those
# two in any case (rimport and windows-gnu Rust DLLs need them too), go
# into bin/, where Windows looks first. Repeated until nothing new is
# imported.
copy_runtime_dlls() {
  local bin=$STAGE$PREFIX/bin gccdir f dll dir added=1
  gccdir=$(dirname "$("$CC_MINGW" -print-file-name=libgcc_s_seh-1.dll)")
  local dirs=("$gccdir" "/usr/$TRIPLET/lib")
  for dll in libgcc_s_seh-1.dll libssp-0.dll; do
    [ -f "$gccdir/$dll" ] || {
      echo "error: $dll is not in mingw-w64 gcc's runtime directory $gccdir" >&2
      exit 1
    }
    cp "$gccdir/$dll" "$bin/"
  done
  while [ $added -eq 1 ]; do
    added=0
    for f in "$bin"/*.dll "$bin"/*.exe; do
      [ -f "$f" ] || continue
      for dll in $("$TRIPLET-objdump" -p "$f" | awk '/DLL Name:/ { print $3 }'); do
        [ -e "$bin/$dll" ] && continue
        for dir in "${dirs[@]}"; do
          if [ -f "$dir/$dll" ]; then
            cp "$dir/$dll" "$bin/"
            say "  $(basename "$f") imports $dll: copied from $dir"
            added=1
            break
          fi
        done
      done
    done
  done
}

RECIPE=(step cmake_dep build_libuv build_cjson build_xxhash build_cmocka
  build_libffi fix_pc_files copy_runtime_dlls)

# --- main ------------------------------------------------------------------

ensure_packages gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 cmake make \
  dpkg-dev pkg-config >&2
ensure_deb_src

# What is built, from what, how: the stamp.
mapfile -t DSCS < <(source_dscs)
[ ${#DSCS[@]} -eq ${#SOURCES[@]} ] || exit 1
STAMP_TEXT=$(
  printf 'source %s\n' "${DSCS[@]}"
  printf 'compiler %s\n' "$("$CC_MINGW" --version | head -n 1)"
  printf 'toolchain %s\n' "$(sha256sum <"$TOOLCHAIN" | cut -d' ' -f1)"
  printf 'recipe %s\n' "$(declare -f "${RECIPE[@]}" | sha256sum | cut -d' ' -f1)"
)
STAMP=$(printf '%s\n' "$STAMP_TEXT" | sha256sum | cut -c1-16)
CACHE_BASE=${XDG_CACHE_HOME:-$HOME/.cache}/rimport-mingw-deps
PREFIX=$(realpath -m "${RIMPORT_MINGW_PREFIX:-$CACHE_BASE/$STAMP}")
MARKER=$PREFIX/$MARKER_NAME

# complete: the prefix's marker names this stamp.
complete() { [ -f "$MARKER" ] && grep -qx "stamp $STAMP" "$MARKER"; }

if complete; then
  echo "$PREFIX"
  exit 0
fi

mkdir -p "$(dirname "$PREFIX")"
# One build per prefix at a time; a second run waits and then reuses it.
exec 9>"$PREFIX.lock"
if ! flock -n 9; then
  say "waiting for another run that builds $PREFIX"
  flock 9
fi
if complete; then
  echo "$PREFIX"
  exit 0
fi
# What an interrupted or failed run left (no one else holds the lock).
rm -rf "$PREFIX".tmp-*

WORK=$PREFIX.tmp-$$
STAGE=$WORK/root
mkdir -p "$WORK/src" "$WORK/build" "$WORK/logs" "$STAGE"
say "building into $PREFIX (stamp $STAMP; logs in $WORK/logs)"

start=$SECONDS
SRCDIRS=()
for i in "${!SOURCES[@]}"; do
  s=${SOURCES[$i]}
  dsc=${DSCS[$i]%.dsc}
  say "apt-get source $s=${dsc#*_}"
  mkdir -p "$WORK/src/$s"
  LOGF=$WORK/logs/fetch.log
  step "apt-get source $s=${dsc#*_}" env -C "$WORK/src/$s" \
    apt-get source --only-source -q "$s=${dsc#*_}"
  d=$(find "$WORK/src/$s" -mindepth 1 -maxdepth 1 -type d)
  if [ -z "$d" ] || [ "$(printf '%s\n' "$d" | wc -l)" -ne 1 ]; then
    echo "error: apt-get source $s unpacked no single directory in $WORK/src/$s" >&2
    exit 1
  fi
  SRCDIRS+=("$d")
done
fetched=$SECONDS

for i in "${!SOURCES[@]}"; do
  case ${SOURCES[$i]} in
  libuv1) fn=build_libuv ;;
  *) fn=build_${SOURCES[$i]} ;;
  esac
  t=$SECONDS
  say "build ${SOURCES[$i]} for $TRIPLET"
  "$fn" "${SRCDIRS[$i]}"
  echo "   ${SOURCES[$i]}: $((SECONDS - t)) s" >&2
done

say "fix-ups"
fix_pc_files
copy_runtime_dlls
# The build logs stay with the prefix.
mkdir -p "$STAGE$PREFIX/share/rimport-mingw-deps"
cp -r "$WORK/logs" "$STAGE$PREFIX/share/rimport-mingw-deps/"
built=$SECONDS

say "smoke check"
"$ROOT/scripts/windows-deps-check.sh" "$PREFIX" "$STAGE" >&2 || {
  echo "error: the smoke check of the staged prefix $STAGE$PREFIX failed (see above)" >&2
  exit 1
}
checked=$SECONDS

printf 'stamp %s\n%s\n' "$STAMP" "$STAMP_TEXT" >"$STAGE$PREFIX/$MARKER_NAME"
rm -rf "$PREFIX"
mv "$STAGE$PREFIX" "$PREFIX"
rm -rf "$WORK"
say "done in $((checked - start)) s (fetch $((fetched - start)) s, build $((built - fetched)) s, check $((checked - built)) s): $PREFIX"
echo "$PREFIX"
