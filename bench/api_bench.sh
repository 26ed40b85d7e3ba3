#!/usr/bin/env bash
# What knowing the imported API costs, side by side in one run (issue 10):
#
#  a. A dynamic call through libffi (rimport_call_item, and rimport_call by
#     name) against a direct C call of the same thunk, and against
#     compiling and running a cell that makes the same call
#     (rimport_dyncall_bench: reqwest's StatusCode::as_u16). Targets: at
#     most 1 us more than the direct call; the cell at least 10,000x the
#     dynamic call.
#  b. A cold build of the reqwest plugin with the API index (rustdoc JSON,
#     the index, the plugin compiled again with its thunks) against one
#     without it (RIMPORT_RUSTDOC=/bin/false: rustdoc "fails", which is a
#     warning, and the plugin is built as before the index existed), each
#     from an empty cache, after one untimed warm-up build; runs alternate
#     A B B A. Target: the index adds at most 15%.
#  c. A warm import (a new `rimport build` process that finds the entry)
#     with the index against one without it, 20 runs each, alternated, and
#     under strace: no child process with the index either.
#
# Needs Debian's librust-reqwest-dev and strace. Usage:
#   bench/api_bench.sh [build-dir]        (CALLS=1000000 CELLS=5 N=20)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
RIMPORT=$BUILD/rimport
DYNCALL=$BUILD/rimport_dyncall_bench
REG=/usr/share/cargo/registry
CALLS=${CALLS:-1000000}
CELLS=${CELLS:-5}
N=${N:-20}
[ -x "$RIMPORT" ] && [ -x "$DYNCALL" ] ||
  { echo "build rimport first (cmake --build $BUILD)" >&2; exit 1; }
ls -d "$REG"/reqwest-0.11* >/dev/null 2>&1 || { echo "needs librust-reqwest-dev" >&2; exit 1; }
W=$(mktemp -d /tmp/rimport-api-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
cell=$W/reqwest.cell
printf 'rimport reqwest(version="0.11", features=["blocking"])\nfrom reqwest.blocking rimport Client\nfrom reqwest rimport StatusCode\n' >"$cell"

cold() { # $1: cache name, $2: "index" or "none"
  local t0 t1
  t0=$(now)
  if [ "$2" = index ]; then
    "$RIMPORT" --cache-dir "$W/$1" --source-dir "$REG" --offline build "$cell" >/dev/null 2>"$W/$1.err"
  else
    RIMPORT_RUSTDOC=/bin/false "$RIMPORT" --cache-dir "$W/$1" --source-dir "$REG" --offline build "$cell" >/dev/null 2>"$W/$1.err"
  fi
  t1=$(now)
  echo "$t1 - $t0" | bc
}

echo "== b. cold reqwest plugin build ($(nproc) cores); A = with the API index, B = without"
# One untimed build first: it brings the crates' sources into the page
# cache, which the first timed build would otherwise pay for alone.
w=$(cold warmup index); echo "(warm-up, not counted: ${w} s)"
a1=$(cold idx1 index); echo "A with index     ${a1} s"
b1=$(cold none1 none); echo "B without index  ${b1} s"
b2=$(cold none2 none); echo "B without index  ${b2} s"
a2=$(cold idx2 index); echo "A with index     ${a2} s"
grep -q "API index" "$W/none1.err" || { echo "error: the run without rustdoc gave no warning:" >&2; cat "$W/none1.err" >&2; exit 1; }
ls "$W"/idx1/reqwest/*/api.json >/dev/null 2>&1 || { echo "error: the entry has no api.json" >&2; exit 1; }
if ls "$W"/none1/reqwest/*/api.json >/dev/null 2>&1; then echo "error: the entry without rustdoc has an api.json" >&2; exit 1; fi
ra=$(echo "($a1 + $a2) / 2" | bc -l)
rb=$(echo "($b1 + $b2) / 2" | bc -l)
printf 'cold: with index %.2f s, without %.2f s: the index adds %.1f%% (target <= 15%%)\n' \
  "$ra" "$rb" "$(echo "($ra / $rb - 1) * 100" | bc -l)"

echo "== c. warm import (new process each time), $N runs each, alternated"
ti=0; tn=0
for i in $(seq "$N"); do
  t0=$(now); "$RIMPORT" --cache-dir "$W/idx1" --source-dir "$REG" --offline build "$cell" >/dev/null 2>&1; t1=$(now)
  ti=$(echo "$ti + $t1 - $t0" | bc -l)
  t0=$(now); RIMPORT_RUSTDOC=/bin/false "$RIMPORT" --cache-dir "$W/none1" --source-dir "$REG" --offline build "$cell" >/dev/null 2>&1; t1=$(now)
  tn=$(echo "$tn + $t1 - $t0" | bc -l)
done
printf 'warm: with index %.2f ms, without %.2f ms (ratio %.3f; target: nothing added)\n' \
  "$(echo "$ti * 1000 / $N" | bc -l)" "$(echo "$tn * 1000 / $N" | bc -l)" "$(echo "$ti / $tn" | bc -l)"
if command -v strace >/dev/null; then
  strace -f -e trace=execve,clone,clone3,fork,vfork -o "$W/strace.log" \
    "$RIMPORT" --cache-dir "$W/idx1" --source-dir "$REG" --offline build "$cell" >/dev/null 2>&1
  children=$(grep -c -E "clone\(|clone3\(|fork\(" "$W/strace.log" || true)
  echo "warm import with the index under strace: $children child processes or threads started (target: 0)"
fi

echo "== a. dynamic calls against a direct call and a cell"
"$DYNCALL" "$W/idx1" "$REG" "$CALLS" "$CELLS"
