#!/usr/bin/env bash
# Per-cell cost with a rimported crate (reqwest, blocking), side by side in
# one run:
#  R  rimport: compile + load + run of each cell (`rimport run` of N cells,
#     minus a 1-cell run, divided by N-1; plugins already in the cache);
#  F  the floor: a bare `rustc --extern` of the same generated cell sources
#     against the same plugin (what rimport runs, without rimport);
#  E  evcxr's default: a cargo crate per cell that depends on reqwest itself
#     (dependencies linked into every cell), `cargo build` each time.
# Then resident memory after M cells: rimport's process against a process
# that has loaded M of E's cell dylibs.
# Needs Debian's librust-reqwest-dev; usage: bench/cell_bench.sh [build-dir]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
RIMPORT=$BUILD/rimport
REG=/usr/share/cargo/registry
N=${N:-20}
M=${M:-100}
[ -x "$RIMPORT" ] || { echo "build rimport first (scripts/demo.sh)" >&2; exit 1; }
W=$(mktemp -d /tmp/rimport-cellbench.XXXXXX)
trap 'rm -rf "$W"' EXIT
C=$W/cache
now() { date +%s.%N; }
R=("$RIMPORT" --cache-dir "$C" --source-dir "$REG" --offline)

cells() { # cells N file: N cells using reqwest
  {
    echo 'rimport reqwest(version="0.11", features=["blocking"])'
    echo 'from reqwest rimport StatusCode'
    for i in $(seq "$1"); do
      [ "$i" -gt 1 ] && echo '%%'
      echo "let s = StatusCode::from_u16(200 + $i % 100).unwrap();"
      echo "kprintln!(\"cell $i: {}\", s);"
    done
  } >"$2"
}

echo "== warming the plugin cache (builds reqwest's plugin once)"
cells 1 "$W/one.cell"
"${R[@]}" run "$W/one.cell" >/dev/null 2>&1
cells "$N" "$W/many.cell"

echo "== R: rimport, $N cells"
t0=$(now); "${R[@]}" run "$W/one.cell" >/dev/null 2>&1; t1=$(now)
"${R[@]}" run "$W/many.cell" >"$W/many.out" 2>&1; t2=$(now)
grep -q "cell $N: " "$W/many.out" || { cat "$W/many.out"; exit 1; }
r=$(echo "(($t2 - $t1) - ($t1 - $t0)) / ($N - 1)" | bc -l)

echo "== F: bare rustc --extern of the same sources"
entry=$(ls -d "$C"/reqwest/*/ | head -1)
plugin=$(ls "$entry"/lib/*.so)
pname=$(basename "$plugin" .so); pname=${pname#lib}
api=$(ls "$entry"/deps/libkayton_api.so)
sysroot=$(rustc --print sysroot)
sess=$(for d in "$C"/_cells/*/; do echo "$(ls "$d" | wc -l) $d"; done |
  awk -v n="$N" '$1 == n { print $2; exit }')
srcs=$(for i in $(seq "$N"); do echo "$sess$i"; done)
t0=$(now)
for d in $srcs; do
  f=$(ls "$d"/*.cell)
  "$sysroot/bin/rustc" --edition 2021 --crate-type dylib -C prefer-dynamic \
    -C debuginfo=0 --crate-name "floor_$(basename "$d")" \
    -L "dependency=$entry/deps" --extern "$pname=$plugin" \
    --extern "kayton_api=$api" -o "$W/libfloor_$(basename "$d").so" "$f" 2>/dev/null
done
t1=$(now)
f=$(echo "($t1 - $t0) / $N" | bc -l)

echo "== E: a cargo crate per cell depending on reqwest (evcxr's default)"
E=$W/evcxr
mkdir -p "$E/src"
ecell() { # ecell i: crate cell_i
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
ecell 0 # dependencies compiled once, not counted
t0=$(now)
for i in $(seq "$N"); do ecell "$i"; done
t1=$(now)
e=$(echo "($t1 - $t0) / $N" | bc -l)
printf 'per cell: rimport %.3f s, floor (rustc) %.3f s, evcxr-style cargo %.3f s\n' "$r" "$f" "$e"
printf 'rimport/floor = %.2f (target <= 1.25), cargo/rimport = %.1fx (target >= 3x)\n' \
  "$(echo "$r / $f" | bc -l)" "$(echo "$e / $r" | bc -l)"
printf 'cell dylib size: rimport %s bytes, evcxr-style %s bytes\n' \
  "$(stat -c %s "$(ls "$sess$N"/lib*.so)")" "$(stat -c %s "$W/libecell_1.so")"

echo "== resident memory after $M cells"
cells "$M" "$W/m.cell"
cells 1 "$W/m1.cell"
rss() { RIMPORT_REPORT_RSS=1 "$@" 2>&1 >/dev/null | sed -n 's/^rimport: resident memory \([0-9]*\) KiB$/\1/p'; }
r1=$(rss "${R[@]}" run "$W/m1.cell")
rm=$(rss "${R[@]}" run "$W/m.cell")
for i in $(seq $((N + 1)) "$M"); do ecell "$i"; done
cat >"$W/load.py" <<'PY'
import ctypes, os, sys
n = int(sys.argv[1]); d = sys.argv[2]
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
base = rss()
for i in range(1, n + 1):
    lib = ctypes.CDLL(os.path.join(d, "libecell_%d.so" % i), mode=os.RTLD_NOW)
    lib.run_cell()
    if i == 1:
        one = rss()
print(one, rss())
PY
read -r e1 em < <(python3 "$W/load.py" "$M" "$W")
gr=$(echo "($rm - $r1) / ($M - 1)" | bc -l)
ge=$(echo "($em - $e1) / ($M - 1)" | bc -l)
printf 'RSS: rimport %d KiB after 1 cell, %d KiB after %d (%.1f KiB/cell); evcxr-style %d KiB after 1, %d KiB after %d (%.1f KiB/cell); ratio %.1fx (target >= 20x)\n' \
  "$r1" "$rm" "$M" "$gr" "$e1" "$em" "$M" "$ge" "$(echo "$ge / $gr" | bc -l)"
