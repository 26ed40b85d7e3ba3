#!/usr/bin/env bash
# Every test: the cmocka suite (each case its own CTest test), the same suite
# under ASan+UBSan and under valgrind, every build type compiled with gcc and
# clang, the Windows stage (mingw-w64 build, the suite under wine64:
# scripts/test-windows.sh), and short fuzzing runs of the parser, the
# Rust source scanner, the rustdoc JSON reader, the cache's manifest reader
# and the reader of cargo's output.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Debian's rustc 1.63 and cargo too (/usr/bin; rustup's stay first on PATH):
# the generated crates must build with the oldest Rust rimport supports; and
# its Windows std, for plugins built for x86_64-pc-windows-gnu.
ensure_packages "${BASE_PACKAGES[@]}" "${CRATE_PACKAGES[@]}" valgrind clang strace gcc-mingw-w64-x86-64 \
  rustc cargo libstd-rust-dev-windows
ensure_rust
mkdir -p "$ROOT/build" "$ROOT/build-asan" "$ROOT/build-valgrind" "$ROOT/build-fuzz" \
  "$ROOT/build-matrix"

log "build and test (build/)"
build "$ROOT/build"
SUMMARY=$(mktemp)
trap 'rm -f "$SUMMARY"' EXIT
# run_ctest DIR [ctest args…]: runs the suite and keeps its totals. The
# cases' scratch directories (DIR/tests/tmp/<case>-<pid>: caches, cargo
# targets, gigabytes in all) are removed before, and after a stage that
# passes; a failing stage keeps them to be read.
run_ctest() {
  local dir=$1
  shift
  rm -rf "$dir/tests/tmp"
  (cd "$dir" && ctest --output-on-failure -j "$JOBS" "$@") | tee -a "$SUMMARY"
  rm -rf "$dir/tests/tmp"
}
run_ctest "$ROOT/build"

log "build and test with ASan+UBSan (build-asan/)"
build "$ROOT/build-asan" -DRIMPORT_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_ctest "$ROOT/build-asan"

log "the suite under valgrind (build-valgrind/)"
build "$ROOT/build-valgrind" -DRIMPORT_TEST_WRAPPER="valgrind;-q;--suppressions=$ROOT/tests/valgrind.supp;--leak-check=full;--errors-for-leak-kinds=definite,indirect;--error-exitcode=99;--trace-children=no"
run_ctest "$ROOT/build-valgrind" -E '^install\.'

log "every build type compiles with gcc and clang, -Werror (build-matrix/)"
# Packagers build Release and MinSizeRel; optimisers warn about what -O2
# does not see. The library, the command and every test executable; the
# suite itself ran above (RelWithDebInfo, gcc).
for cc in gcc clang; do
  for type in Debug Release RelWithDebInfo MinSizeRel; do
    [ "$cc/$type" = gcc/RelWithDebInfo ] && continue # that is build/
    echo "  $cc $type"
    build "$ROOT/build-matrix/$cc-$type" -DCMAKE_C_COMPILER="$cc" \
      -DCMAKE_BUILD_TYPE="$type"
  done
done

log "the Windows sources compile with mingw-w64"
"$ROOT/scripts/check-windows.sh"

log "the Windows stage: mingw-w64 build and the suite under wine64"
SUMMARY=$SUMMARY "$ROOT/scripts/test-windows.sh"

build "$ROOT/build-fuzz" -DCMAKE_C_COMPILER=clang -DRIMPORT_FUZZ=ON -DRIMPORT_BUILD_TESTS=ON -DRIMPORT_BUILD_CLI=OFF
# fuzz TARGET SECONDS WHAT: runs build-fuzz/tests/fuzz/fuzz_TARGET on a copy
# of its corpus (tests/fuzz/corpus/TARGET), with tests/fuzz/TARGET.dict
# when there is one.
fuzz() {
  local corpus dict=()
  log "fuzz $3 for $2 s (build-fuzz/)"
  corpus=$(mktemp -d)
  cp "$ROOT/tests/fuzz/corpus/$1"/* "$corpus"/
  [ -f "$ROOT/tests/fuzz/$1.dict" ] && dict=(-dict="$ROOT/tests/fuzz/$1.dict")
  "$ROOT/build-fuzz/tests/fuzz/fuzz_$1" -max_total_time="$2" -timeout=10 \
    "${dict[@]}" -print_final_stats=1 "$corpus" 2>&1 | tail -15
  rm -rf "$corpus"
}
fuzz parse 60 "the parser"
fuzz rustsrc 30 "the Rust source scanner"
fuzz rustdoc 30 "the rustdoc JSON reader (the API index)"
fuzz manifest 30 "the cache's manifest reader"
fuzz cargo_json 30 "the reader of cargo's JSON messages and progress"
log "all tests passed"
# One closing line over the runs of the suite (Linux three times, wine).
awk '/tests passed, [0-9]+ tests failed out of/ { f += $4; t += $NF }
     / passed when run once more under wine:/ { r += $1; sub(/^.*wine: /, ""); names = names " " $0 }
     END { printf "%d passed, %d failed", t - f + r, f - r
           if (r) printf " (%d passed only when run once more under wine:%s)", r, names
           printf "\n" }' "$SUMMARY"
