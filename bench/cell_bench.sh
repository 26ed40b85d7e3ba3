#!/usr/bin/env bash
# Per-cell cost, side by side in one run (issue 9; DESIGN.md fact 7):
#
#  1. A small reqwest cell: rimport's compile + load + run of a cell (each
#     cell new to the cache), against a minimal hand-written cell that makes
#     the same calls through the same plugin with no rimport wrapper
#     (`rustc --extern` of one function, loaded and run from Python), and
#     against an empty `rustc --crate-type dylib -C prefer-dynamic` crate;
#     in ROUNDS rounds that alternate which goes first. Target: rimport <=
#     1.1x the hand-written cell.
#  2. Sessions where every cell defines items and uses an earlier cell's:
#     rimport's compile of cell 200 against cell 2 (from `run --json`'s
#     compile_seconds), for a notebook-like session (cell k uses cell k/2)
#     and the worst case (cell k uses cell k-1, so its crate depends on
#     every earlier cell and rustc loads them all). Two ways: the medians
#     of cells 2-21 and 181-200 in sequence, and side by side, pairs of
#     cells after the 200th, one linking what cell 2 links and one linking
#     what cell 201 links (the machine's noise falls on both). Next to them:
#     bare rustc on the same chain of crates by hand (rustc's own floor),
#     and an evcxr-style baseline that re-emits every earlier item in each
#     cell (cell k compiles items 1..k). Target: rimport's cell 200 <= 1.2x
#     its cell 2.
#  3. The second run of an unchanged 20-cell file against the first (every
#     compiled cell from the cache). Target: >= 10x faster.
#  4. Resident memory after M cells: rimport's process against a process
#     that has loaded M evcxr-style cell dylibs (each with reqwest linked in).
#
# Needs Debian's librust-reqwest-dev and python3; usage:
#   bench/cell_bench.sh [build-dir]      (N=20 M=100 CHAIN=200 ROUNDS=5 by default)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
RIMPORT=$BUILD/rimport
REG=/usr/share/cargo/registry
N=${N:-20}
M=${M:-100}
CHAIN=${CHAIN:-200}
ROUNDS=${ROUNDS:-5}
[ -x "$RIMPORT" ] || { echo "build rimport first (scripts/demo.sh)" >&2; exit 1; }
W=$(mktemp -d /tmp/rimport-cellbench.XXXXXX)
trap 'rm -rf "$W"' EXIT
C=$W/cache
now() { date +%s.%N; }
R=("$RIMPORT" --cache-dir "$C" --source-dir "$REG" --offline)
SALT=$RANDOM$RANDOM # cells new to the cache in every bench run

cells() { # cells N file [tag]: N reqwest cells
  {
    echo 'rimport reqwest(version="0.11", features=["blocking"])'
    echo 'from reqwest rimport StatusCode'
    for i in $(seq "$1"); do
      [ "$i" -gt 1 ] && echo '%%'
      echo "let s = StatusCode::from_u16(200 + ($SALT$i${3:-}u64 % 100) as u16).unwrap();"
      echo "kprintln!(\"cell $i: {}\", s);"
    done
  } >"$2"
}

echo "== warming the plugin cache (builds reqwest's plugin once)"
cells 1 "$W/warm.cell" 7
"${R[@]}" run "$W/warm.cell" >/dev/null 2>&1

echo "== 1. a small reqwest cell: rimport against the hand-written cell, $ROUNDS rounds of $N cells"
entry=$(ls -d "$C"/reqwest/*/ | head -1)
plugin=$(ls "$entry"lib/*.so)
pname=$(basename "$plugin" .so); pname=${pname#lib}
sysroot=$(rustc --print sysroot)
libdir=$(rustc --print target-libdir)
std=$(ls "$libdir"/libstd-*.so)
api=$(ls "$entry"deps/libkayton_api.so)
RUSTC=("$sysroot/bin/rustc" --edition 2021 --crate-type dylib --cap-lints allow
  -C prefer-dynamic -C debuginfo=0 -L "dependency=$entry/deps")
cat >"$W/load.py" <<'PY'
# Loads std, kayton_api and the plugin, then each given cell dylib, and
# calls its hand_run (what the cell prints goes into a buffer, as kprintln!
# does).
import ctypes, os, sys
for lib in sys.argv[1:4]:
    ctypes.CDLL(lib, mode=os.RTLD_NOW | os.RTLD_GLOBAL)
buf = ctypes.create_string_buffer(256)
for path in sys.argv[4:]:
    f = ctypes.CDLL(path, mode=os.RTLD_NOW).hand_run
    f.restype = ctypes.c_size_t
    n = f(buf, 256)
    assert buf.raw[:n].startswith(b"cell "), buf.raw[:n]
PY
rimport_round() { # rimport_round tag: seconds per cell (N cells less 1)
  local t0 t1 t2
  cells 1 "$W/one$1.cell" "8$1"
  cells "$N" "$W/many$1.cell" "9$1"
  t0=$(now); "${R[@]}" run "$W/one$1.cell" >/dev/null 2>&1; t1=$(now)
  "${R[@]}" run "$W/many$1.cell" >"$W/many.out" 2>&1; t2=$(now)
  grep -q "cell $N: " "$W/many.out" || { cat "$W/many.out" >&2; exit 1; }
  echo "(($t2 - $t1) - ($t1 - $t0)) / ($N - 1)" | bc -l
}
hand_round() { # hand_round tag: seconds per cell (rustc, load, run)
  local d=$W/hand$1 i t0 t1 t2 t3
  mkdir -p "$d"
  for i in $(seq "$N"); do
    cat >"$d/h$i.rs" <<RS
use $pname::items::StatusCode;
#[no_mangle] pub extern "C" fn hand_run(out: *mut u8, cap: usize) -> usize {
    let s = StatusCode::from_u16(200 + ($SALT${i}7$1u64 % 100) as u16).unwrap();
    let text = format!("cell $i: {}\n", s);
    let n = text.len().min(cap);
    unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), out, n) };
    n
}
RS
  done
  t0=$(now)
  for i in $(seq "$N"); do
    "${RUSTC[@]}" --crate-name "hand$i" --extern "$pname=$plugin" \
      -o "$d/libhand$i.so" "$d/h$i.rs"
  done
  t1=$(now)
  python3 "$W/load.py" "$std" "$api" "$plugin" "$d"/libhand*.so
  t2=$(now)
  python3 "$W/load.py" "$std" "$api" "$plugin"
  t3=$(now)
  echo "(($t1 - $t0) + ($t2 - $t1) - ($t3 - $t2)) / $N" | bc -l
}
# Rounds alternate which goes first (A B, B A, ...): the machine's speed
# drifts over minutes, and a cell costs 0.1 s.
: >"$W/rounds"
for k in $(seq "$ROUNDS"); do
  if [ $((k % 2)) -eq 1 ]; then r=$(rimport_round "$k"); h=$(hand_round "$k")
  else h=$(hand_round "$k"); r=$(rimport_round "$k"); fi
  printf 'round %d: rimport %.3f s, hand-written %.3f s per cell (%.2fx)\n' \
    "$k" "$r" "$h" "$(echo "$r / $h" | bc -l)"
  echo "$r $h" >>"$W/rounds"
done
mkdir -p "$W/empty"
t0=$(now)
for i in $(seq "$N"); do
  echo "" >"$W/empty/e$i.rs"
  "${RUSTC[@]}" --crate-name "empty$i" -o "$W/empty/libempty$i.so" "$W/empty/e$i.rs"
done
e=$(echo "($(now) - $t0) / $N" | bc -l)
read -r r h q < <(python3 -c 'import sys,statistics as S
rows=[tuple(map(float,l.split())) for l in open(sys.argv[1])]
print(S.median(x[0] for x in rows), S.median(x[1] for x in rows), S.median(x[0]/x[1] for x in rows))' "$W/rounds")
printf 'per cell (medians): rimport %.3f s, hand-written %.3f s, empty crate %.3f s\n' "$r" "$h" "$e"
printf 'rimport/hand-written = %.2f (median of the rounds'"'"' ratios; target <= 1.1)\n' "$q"

echo "== 2. sessions of $CHAIN cells, each defining items and using an earlier cell's"
# chain N file parent: cell k defines f_k and S_k and uses f_(parent k).
# parent k-1: every cell uses the one before it, so cell k's crate depends
# on all k-1 earlier ones (the worst case: rustc loads the whole chain).
# parent k/2: each cell uses one earlier cell, as notebook cells do; cell
# k's crate depends on log2(k) earlier ones.
item() { # item k body: cell k's items and statement
  echo "fn f_$1(x: i64) -> i64 { $2 }"
  echo "#[derive(Debug, Clone)] struct S_$1 { v: i64 }"
  echo "impl S_$1 { fn get(&self) -> i64 { self.v } }"
  echo "kprintln!(\"cell $1: {}\", S_$1 { v: f_$1(0) }.get());"
}
chain() {
  for k in $(seq "$1"); do
    [ "$k" -gt 1 ] && echo '%%'
    if [ "$k" -eq 1 ]; then item 1 "x + $SALT"; else item "$k" "f_$(($2))(x) + 1"; fi
  done
}
PROBES=10
# probes N: after the session's N cells, PROBES pairs of cells side by side:
# one that uses cell 1's items (what cell 2 links) and one that uses cell
# N's (what cell N+1 links). They run at the same moment of the session, so
# the machine's noise falls on both; a compile of cell 2 and one of cell
# 200 made a minute apart are not comparable on a shared machine.
probes() {
  for p in $(seq "$PROBES"); do
    for w in 1 "$1"; do
      echo '%%'
      item "p${w}_$p" "f_$w(x) + $p"
    done
  done
}
med() { # med file from to [step]: median compile_seconds of those cells
  python3 -c 'import json,sys,statistics
t=[json.loads(l)["compile_seconds"] for l in open(sys.argv[1])]
print(statistics.median(t[int(sys.argv[2]):int(sys.argv[3]):int(sys.argv[4])]))' "$@"
}
# session <name> <parent expression> <label>: the session's cells, then the
# probes; prints the medians of cells 2-21 and of the last 20 cells (one
# compile is noisy) and the probes' ratio.
session() {
  { chain "$CHAIN" "$2"; probes "$CHAIN"; } >"$W/$1.cell"
  local t0 t1 c2 cn pa pb
  t0=$(now)
  "${R[@]}" run --json "$W/$1.cell" >"$W/$1.json" 2>"$W/$1.err" ||
    { cat "$W/$1.err"; exit 1; }
  t1=$(now)
  c2=$(med "$W/$1.json" 1 21 1)
  cn=$(med "$W/$1.json" $((CHAIN - 20)) "$CHAIN" 1)
  pa=$(med "$W/$1.json" "$CHAIN" $((CHAIN + 2 * PROBES)) 2)
  pb=$(med "$W/$1.json" $((CHAIN + 1)) $((CHAIN + 2 * PROBES)) 2)
  printf '%s, %d cells in %.1f s:\n' "$3" "$CHAIN" "$(echo "$t1 - $t0" | bc -l)"
  printf '  in sequence: cells 2-21 %.3f s, cells %d-%d %.3f s (%.2fx)\n' \
    "$c2" $((CHAIN - 19)) "$CHAIN" "$cn" "$(echo "$cn / $c2" | bc -l)"
  printf '  side by side: a cell linking cell 1 %.3f s, one linking cell %d %.3f s (%.2fx, target <= 1.2)\n' \
    "$pa" "$CHAIN" "$pb" "$(echo "$pb / $pa" | bc -l)"
}
session notebook 'k / 2' "each cell uses cell k/2's items (notebook-like)"
session chain 'k - 1' "each cell uses the previous cell's items (worst case)"
# rustc's own floor for the worst case: the same chain of crates built by
# hand with bare rustc (no rimport), then the same side-by-side pairs: a
# crate that uses c1 against one that uses c$CHAIN. rustc loads every crate
# of the chain (each adds its metadata load and a library on the link line).
F=$W/floor
mkdir -p "$F/lib" "$F/src"
fcrate() { # fcrate name extern body
  {
    echo "pub fn f(x: i64) -> i64 { $3 }"
    echo "#[derive(Debug, Clone)] pub struct S { pub v: i64 }"
    echo "impl S { pub fn get(&self) -> i64 { self.v } }"
    echo "#[no_mangle] pub extern \"C\" fn run_$1() -> i64 { S { v: f(0) }.get() }"
  } >"$F/src/$1.rs"
  (cd "$F" && "${RUSTC[@]}" --crate-name "$1" -L dependency=lib ${2:+--extern "$2=lib/lib$2.so"} \
    -o "lib/lib$1.so" "src/$1.rs")
}
fcrate c1 "" "x + $SALT"
for k in $(seq 2 "$CHAIN"); do fcrate "c$k" "c$((k - 1))" "c$((k - 1))::f(x) + 1"; done
: >"$F/times"
for p in $(seq "$PROBES"); do
  for w in 1 "$CHAIN"; do
    s=$(now); fcrate "p${w}_$p" "c$w" "c$w::f(x) + $p"
    echo "$w $(echo "$(now) - $s" | bc -l)" >>"$F/times"
  done
done
read -r fa fb < <(python3 -c 'import sys,statistics
t={}
for l in open(sys.argv[1]): w,s=l.split(); t.setdefault(w,[]).append(float(s))
print(statistics.median(t["1"]), statistics.median(t[sys.argv[2]]))' "$F/times" "$CHAIN")
printf 'bare rustc, the same chain by hand: a crate linking c1 %.3f s, one linking c%d %.3f s (%.2fx: rustc'"'"'s floor)\n' \
  "$fa" "$CHAIN" "$fb" "$(echo "$fb / $fa" | bc -l)"
# evcxr-style: cell k re-emits the items of cells 1..k (and runs its own
# statements), compiled with the same rustc flags.
evc() { # evc k: the crate of cell k
  {
    for j in $(seq "$1"); do
      if [ "$j" -eq 1 ]; then echo "pub fn f_1(x: i64) -> i64 { x + $SALT }"
      else echo "pub fn f_$j(x: i64) -> i64 { f_$((j - 1))(x) + 1 }"; fi
      echo "#[derive(Debug, Clone)] pub struct S_$j { pub v: i64 }"
      echo "impl S_$j { pub fn get(&self) -> i64 { self.v } }"
    done
    echo "#[no_mangle] pub extern \"C\" fn run() -> i64 { S_$1 { v: f_$1(0) }.get() }"
  } >"$W/evc$1.rs"
  local s; s=$(now)
  "${RUSTC[@]}" --crate-name "evc$1" -o "$W/libevc$1.so" "$W/evc$1.rs"
  echo "$(now) - $s" | bc -l
}
e2=$(evc 2)
en=$(evc "$CHAIN")
printf 'evcxr-style (every earlier item re-emitted): cell 2 %.3f s, cell %d %.3f s (%.2fx)\n' \
  "$e2" "$CHAIN" "$en" "$(echo "$en / $e2" | bc -l)"

echo "== 3. an unchanged 20-cell file, run twice"
chain 20 'k - 1' >"$W/twenty.cell"
sed -i "s/x + $SALT/x + $SALT + 20/" "$W/twenty.cell" # new to the cache
t0=$(now); "${R[@]}" run "$W/twenty.cell" >/dev/null 2>&1; t1=$(now)
"${R[@]}" run "$W/twenty.cell" >"$W/twenty.out" 2>&1; t2=$(now)
grep -q "cell 20: " "$W/twenty.out" || { cat "$W/twenty.out"; exit 1; }
printf 'first run %.3f s, second run %.3f s: %.1fx faster (target >= 10x)\n' \
  "$(echo "$t1 - $t0" | bc -l)" "$(echo "$t2 - $t1" | bc -l)" \
  "$(echo "($t1 - $t0) / ($t2 - $t1)" | bc -l)"

echo "== 4. resident memory after $M cells"
E=$W/evcxr
mkdir -p "$E/src"
ecell() { # ecell i: a cargo crate cell_i that depends on reqwest itself
  cat >"$E/Cargo.toml" <<TOML
[package]
name = "cell_$1"
version = "0.0.0"
edition = "2021"
[lib]
crate-type = ["dylib"]
[dependencies]
reqwest = { version = "0.11", features = ["blocking"] }
[workspace]
TOML
  cat >"$E/src/lib.rs" <<RS
#[no_mangle] pub extern "C" fn run_cell() -> u16 {
    reqwest::StatusCode::from_u16(200 + $1 % 100).unwrap().as_u16()
}
RS
  (cd "$E" && cargo build --release --offline --target-dir "$W/etarget" \
    --config 'source.crates-io.replace-with="d"' \
    --config "source.d.directory=\"$REG\"" >/dev/null 2>&1)
  cp "$W/etarget/release/libcell_$1.so" "$W/libecell_$1.so"
}
cells "$M" "$W/m.cell" 5
cells 1 "$W/m1.cell" 6
rss() { RIMPORT_REPORT_RSS=1 "$@" 2>&1 >/dev/null | sed -n 's/^rimport: resident memory \([0-9]*\) KiB$/\1/p'; }
r1=$(rss "${R[@]}" run "$W/m1.cell")
rm=$(rss "${R[@]}" run "$W/m.cell")
for i in $(seq "$M"); do ecell "$i"; done
cat >"$W/eload.py" <<'PY'
import ctypes, os, sys
n = int(sys.argv[1]); d = sys.argv[2]
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
for i in range(1, n + 1):
    lib = ctypes.CDLL(os.path.join(d, "libecell_%d.so" % i), mode=os.RTLD_NOW)
    lib.run_cell()
    if i == 1:
        one = rss()
print(one, rss())
PY
read -r e1 em < <(python3 "$W/eload.py" "$M" "$W")
gr=$(echo "($rm - $r1) / ($M - 1)" | bc -l)
ge=$(echo "($em - $e1) / ($M - 1)" | bc -l)
printf 'RSS: rimport %d KiB after 1 cell, %d KiB after %d (%.1f KiB/cell); evcxr-style %d KiB after 1, %d KiB after %d (%.1f KiB/cell); ratio %.1fx (target >= 20x)\n' \
  "$r1" "$rm" "$M" "$gr" "$e1" "$em" "$M" "$ge" "$(echo "$ge / $gr" | bc -l)"
