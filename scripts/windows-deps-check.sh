#!/usr/bin/env bash
# Smoke check of a prefix built by scripts/windows-deps.sh: compiles and
# links a small C program against libuv, cJSON, xxHash, libffi and cmocka
# with the mingw-w64 gcc and the flags pkg-config gives from the prefix's
# .pc files only, and, when wine64 is installed, runs it under wine with
# the prefix's bin/ on WINEPATH and prints what it printed.
#
#   scripts/windows-deps-check.sh PREFIX [ROOT]
#
# ROOT: the prefix is still staged in ROOT/PREFIX (the .pc files name
# PREFIX; pkg-config's PKG_CONFIG_SYSROOT_DIR maps them into ROOT).
# wine runs in its own prefix, RIMPORT_WINEPREFIX (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/rimport-wine; the first start creates it,
# ~10 s), so stopping its wineserver at the end stops nothing else.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 PREFIX [ROOT]" >&2
  exit 2
fi
PREFIX=$1
ROOT_DIR=${2:-}
TREE=$ROOT_DIR$PREFIX
TRIPLET=x86_64-w64-mingw32
CC_MINGW=${MINGW_CC:-$TRIPLET-gcc}
MODULES=(libuv libcjson libxxhash libffi cmocka)

export PKG_CONFIG_LIBDIR=$TREE/lib/pkgconfig
unset PKG_CONFIG_PATH
if [ -n "$ROOT_DIR" ]; then
  export PKG_CONFIG_SYSROOT_DIR=$ROOT_DIR
else
  unset PKG_CONFIG_SYSROOT_DIR
fi
flags=$(pkg-config --cflags --libs "${MODULES[@]}") || {
  echo "error: pkg-config finds not all of ${MODULES[*]} in $PKG_CONFIG_LIBDIR" >&2
  exit 1
}
echo "pkg-config --cflags --libs ${MODULES[*]}:"
echo "  $flags"

tmp=$(mktemp -d)
wineserver= # set once a wineserver runs: stopped at the end
cleanup() {
  if [ -n "$wineserver" ]; then "$wineserver" -k 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/smoke.c" <<'EOF'
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>
#include <cmocka.h>
#include <ffi.h>
#include <uv.h>
#include <xxhash.h>

static int fired;

static void on_timer(uv_timer_t *timer) {
  fired++;
  uv_close((uv_handle_t *)timer, NULL);
}

static int add(int a, int b) { return a + b; }

static void test_libuv(void **state) {
  uv_loop_t loop;
  uv_timer_t timer;
  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_timer_init(&loop, &timer), 0);
  assert_int_equal(uv_timer_start(&timer, on_timer, 1, 0), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(fired, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_cjson(void **state) {
  cJSON *doc = cJSON_Parse("{\"n\": 41}");
  (void)state;
  assert_non_null(doc);
  assert_int_equal(cJSON_GetObjectItemCaseSensitive(doc, "n")->valueint, 41);
  cJSON_Delete(doc);
}

static void test_xxhash(void **state) {
  XXH128_hash_t h = XXH3_128bits("rimport", 7);
  (void)state;
  print_message("XXH3-128(\"rimport\") = %016llx%016llx\n",
                (unsigned long long)h.high64, (unsigned long long)h.low64);
  assert_true(h.high64 != 0 || h.low64 != 0);
}

static void test_libffi(void **state) {
  ffi_cif cif;
  ffi_type *args[2] = {&ffi_type_sint, &ffi_type_sint};
  int a = 40, b = 2;
  void *values[2] = {&a, &b};
  ffi_arg result = 0;
  (void)state;
  assert_int_equal(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint, args),
                   FFI_OK);
  ffi_call(&cif, FFI_FN(add), &result, values);
  assert_int_equal((int)result, 42);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_libuv),
      cmocka_unit_test(test_cjson),
      cmocka_unit_test(test_xxhash),
      cmocka_unit_test(test_libffi),
  };
  printf("libuv %s, cJSON %s, xxHash %u\n", uv_version_string(), cJSON_Version(),
         XXH_versionNumber());
  fflush(stdout);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
EOF

# shellcheck disable=SC2086 # $flags is a list of compiler flags
"$CC_MINGW" -std=c11 -D__USE_MINGW_ANSI_STDIO=1 -Wall -Wextra -Werror \
  "$tmp/smoke.c" -o "$tmp/smoke.exe" $flags
echo "compiled and linked smoke.exe with $CC_MINGW against ${MODULES[*]}"

# wine: wine64 (or wine) on PATH, else Debian's wine64 package's loader.
wine=
for w in wine64 wine /usr/lib/wine/wine64; do
  if command -v "$w" >/dev/null 2>&1; then
    wine=$(command -v "$w")
    break
  fi
done
if [ -z "$wine" ]; then
  echo "wine64 is not installed: not run (apt-get install wine64 to run it)"
  exit 0
fi
server=
for w in wineserver wineserver64 "$(dirname "$(realpath "$wine")")/wineserver64"; do
  if command -v "$w" >/dev/null 2>&1; then
    server=$(command -v "$w")
    break
  fi
done
if [ -z "$server" ]; then
  echo "error: $wine is there but no wineserver" >&2
  exit 1
fi

export WINEPREFIX=${RIMPORT_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/rimport-wine}
export WINEDEBUG=-all
# No Mono or Gecko installer prompt when the wine prefix is created.
export WINEDLLOVERRIDES='mscoree,mshtml='
bin=$TREE/bin
export WINEPATH="Z:${bin//\//\\}"
mkdir -p "$WINEPREFIX"
# A persistent wineserver, and wine's services started once with no pipe
# of ours, so that they do not hold the caller's stdout open (fact 15).
"$server" -p
wineserver=$server
"$wine" cmd /c exit </dev/null >/dev/null 2>&1 || true
echo "running it under $wine (WINEPATH=$WINEPATH):"
"$wine" "$tmp/smoke.exe" </dev/null 2>&1 | tr -d '\r'
