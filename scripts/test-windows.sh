#!/usr/bin/env bash
# The Windows stage of the test command (DESIGN.md facts 9, 15): the mingw
# dependencies from Debian's sources (scripts/windows-deps.sh), the library,
# the command and every test built with mingw-w64 (-Werror) into
# build-win/, and the cmocka suite run under wine64 through CTest
# (CMAKE_CROSSCOMPILING_EMULATOR, cmake/mingw-w64-x86_64.cmake) in a wine
# prefix and with a wineserver of its own, stopped at the end.
#
# cargo, rustc and rustdoc are Linux programs here, which a Windows program
# cannot start under wine: build-win/tests/wine-bin/{cargo,rustc,rustdoc}.exe,
# copies of the test-only shim tests/wine/linux_exec.c, stand in for them,
# first on wine's PATH, and run Debian's cargo, rustc and rustdoc 1.63
# (/usr/bin, with libstd-rust-dev-windows: plugins and cells build for
# x86_64-pc-windows-gnu, the default target of a Windows process whose rustc
# is not a Windows one).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_packages gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 wine64 dpkg-dev \
  rustc cargo libstd-rust-dev-windows "${CRATE_PACKAGES[@]}"

started=$(date +%s)
PREFIX=$("$ROOT/scripts/windows-deps.sh" | tail -n 1)
[ -d "$PREFIX" ] || { echo "error: scripts/windows-deps.sh gave no prefix" >&2; exit 1; }
echo "mingw dependencies: $PREFIX"

log "build for Windows with mingw-w64 (build-win/)"
mkdir -p "$ROOT/build-win"
# pkg-config's answers are cached by CMake: a build dir configured against
# another prefix (new package versions, another recipe) is configured
# afresh. The prefix of the last good configure is kept beside the cache.
stamp="$ROOT/build-win/.rimport-mingw-prefix"
if [ "$(cat "$stamp" 2>/dev/null)" != "$PREFIX" ]; then
  rm -rf "$ROOT/build-win/CMakeCache.txt" "$ROOT/build-win/CMakeFiles" "$stamp"
fi
build "$ROOT/build-win" -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/mingw-w64-x86_64.cmake" \
  -DRIMPORT_MINGW_PREFIX="$PREFIX"
echo "$PREFIX" >"$stamp"

WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver64
[ -x "$WINESERVER" ] || WINESERVER=/usr/lib/wine/wineserver
export WINEPREFIX=${RIMPORT_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/rimport-wine}
export WINEDEBUG=-all
export WINEDLLOVERRIDES='mscoree,mshtml=' # no Mono or Gecko prompt
# the stand-ins for cargo.exe, rustc.exe and rustdoc.exe, then the
# dependencies' DLLs
winpath() { local p=${1//\//\\}; echo "Z:$p"; }
export WINEPATH="$(winpath "$ROOT/build-win/tests/wine-bin");$(winpath "$PREFIX/bin")"
export RIMPORT_LINUX_CARGO=/usr/bin/cargo RIMPORT_LINUX_RUSTC=/usr/bin/rustc \
  RIMPORT_LINUX_RUSTDOC=/usr/bin/rustdoc
mkdir -p "$WINEPREFIX"
# Our own wineserver (one left running in this prefix is stopped first),
# and wine's services started once with no pipe of ours, so that they do
# not hold a test's stdout open (fact 15).
"$WINESERVER" -k 2>/dev/null || true
"$WINESERVER" -w 2>/dev/null || true
"$WINESERVER" -p
trap '"$WINESERVER" -k 2>/dev/null || true' EXIT
"$WINE" cmd /c exit </dev/null >/dev/null 2>&1 || true

log "the suite under wine64 (build-win/)"
# A case that fails is run once more, alone, and the stage passes only if
# it passes then: wine itself, on a loaded machine, rarely fails to start a
# process (CreateProcess, "system error N" in the message) or is slow to
# end one. Each such case is named below and in the closing line; a case
# that fails twice fails the stage.
# The cases' scratch directories go before the run, and after it when it
# passes (as in scripts/test.sh).
rm -rf "$ROOT/build-win/tests/tmp"
if ! (cd "$ROOT/build-win" && ctest --output-on-failure -j "$JOBS") |
  tee -a "${SUMMARY:-/dev/null}"; then
  failed=$(sed -n 's/^[0-9]*://p' \
    "$ROOT/build-win/Testing/Temporary/LastTestsFailed.log")
  log "run once more under wine: $(echo $failed)"
  (cd "$ROOT/build-win" && ctest --output-on-failure --rerun-failed)
  n=$(echo "$failed" | wc -w)
  echo "$n passed when run once more under wine: $(echo $failed)" |
    tee -a "${SUMMARY:-/dev/null}"
fi
rm -rf "$ROOT/build-win/tests/tmp"
echo "the Windows stage took $(($(date +%s) - started)) s"
