#!/usr/bin/env bash
# Every test: the cmocka suite (each case its own CTest test), the same suite
# under ASan+UBSan and under valgrind, and a short fuzzing run of the parser.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_packages "${BASE_PACKAGES[@]}" valgrind clang strace gcc-mingw-w64-x86-64
ensure_rust
mkdir -p "$ROOT/build" "$ROOT/build-asan" "$ROOT/build-valgrind" "$ROOT/build-fuzz"

log "build and test (build/)"
build "$ROOT/build"
(cd "$ROOT/build" && ctest --output-on-failure -j "$JOBS")

log "build and test with ASan+UBSan (build-asan/)"
build "$ROOT/build-asan" -DRIMPORT_SANITIZE=ON
(cd "$ROOT/build-asan" && ASAN_OPTIONS=detect_leaks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j "$JOBS")

log "the suite under valgrind (build-valgrind/)"
build "$ROOT/build-valgrind" -DRIMPORT_TEST_WRAPPER="valgrind;-q;--leak-check=full;--errors-for-leak-kinds=definite,indirect;--error-exitcode=99;--trace-children=no"
(cd "$ROOT/build-valgrind" && ctest --output-on-failure -j "$JOBS" -E '^install\.')

log "the Windows sources compile with mingw-w64"
"$ROOT/scripts/check-windows.sh"

log "fuzz the parser for 60 s (build-fuzz/)"
build "$ROOT/build-fuzz" -DCMAKE_C_COMPILER=clang -DRIMPORT_FUZZ=ON -DRIMPORT_BUILD_TESTS=ON -DRIMPORT_BUILD_CLI=OFF
corpus=$(mktemp -d)
cp "$ROOT"/tests/fuzz/corpus/parse/* "$corpus"/
"$ROOT/build-fuzz/tests/fuzz/fuzz_parse" -max_total_time=60 -timeout=10 \
  -dict="$ROOT/tests/fuzz/parse.dict" -print_final_stats=1 "$corpus" 2>&1 | tail -15
rm -rf "$corpus"
log "all tests passed"
