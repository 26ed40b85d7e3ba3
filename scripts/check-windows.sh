#!/usr/bin/env bash
# Compiles every source for Windows with mingw-w64 (syntax and warnings,
# -Werror) — the library, the command and the tests — against the Debian
# headers of the dependencies: the Windows code in src/win is checked on
# every test run even though it runs only on Windows (or under wine).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}
inc=$(mktemp -d)
trap 'rm -rf "$inc"' EXIT
# Only the dependency headers, not the rest of /usr/include (glibc's would
# shadow mingw's). libuv's uv.h picks uv/win.h by itself on _WIN32.
ln -s /usr/include/uv.h /usr/include/uv /usr/include/cjson /usr/include/xxhash.h \
  /usr/include/cmocka.h "$inc"/
# libffi's headers are in the multiarch directory on Debian.
for h in /usr/include/ffi.h /usr/include/ffitarget.h \
  /usr/include/x86_64-linux-gnu/ffi.h /usr/include/x86_64-linux-gnu/ffitarget.h; do
  [ -e "$h" ] && [ ! -e "$inc/$(basename "$h")" ] && ln -s "$h" "$inc"/
done
shopt -s nullglob
n=0
for f in "$ROOT"/src/*.c "$ROOT"/src/*/*.c "$ROOT"/tests/support.c \
  "$ROOT"/tests/unit/*.c "$ROOT"/tests/wine/*.c; do
  case "$f" in
  "$ROOT"/src/unix/*) continue ;; # POSIX code
  "$ROOT"/tests/*) extra=(-Wno-missing-prototypes -I"$ROOT/tests"
    -DRIMPORT_SOURCE_DIR='"."' -DRIMPORT_BINARY_DIR='"."'
    -DRIMPORT_CLI_PATH='"rimport.exe"' -DRIMPORT_LINUX_EXEC_PATH='"linux_exec.exe"') ;;
  *) extra=(-DRIMPORT_BUILDING_SHARED) ;;
  esac
  "$CC" -std=c11 -D__USE_MINGW_ANSI_STDIO=1 -D_POSIX_C_SOURCE=200809L -fsyntax-only \
    -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla \
    "${extra[@]}" -I"$ROOT/include" -I"$ROOT/src" -idirafter "$inc" "$f"
  n=$((n + 1))
done
echo "mingw-w64: $n sources (library, command, tests) compile for Windows"
