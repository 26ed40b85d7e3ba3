#!/usr/bin/env bash
# Side by side, in one run:
#  1. cold: `rimport build` of the reqwest plugin against a plain
#     `cargo build --release` of a crate with the same dependencies
#     (reqwest 0.11 + blocking, kayton_api), profile and flags
#     (CARGO_ENCODED_RUSTFLAGS=-Cprefer-dynamic), each from an empty target
#     dir; runs alternate A B B A so that warm-up and page cache even out.
#  2. warm: a new `rimport build` process that finds the entry against one
#     `cargo build` no-op check of the same plain crate (its target dir warm).
# Needs Debian's librust-reqwest-dev (the crates come from
# /usr/share/cargo/registry, offline). Usage: bench/build_bench.sh [build-dir]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
RIMPORT=$BUILD/rimport
REG=/usr/share/cargo/registry
[ -x "$RIMPORT" ] || { echo "build rimport first (scripts/demo.sh)" >&2; exit 1; }
ls -d "$REG"/reqwest-0.11* >/dev/null 2>&1 || { echo "needs librust-reqwest-dev" >&2; exit 1; }
W=$(mktemp -d /tmp/rimport-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
cell=$W/reqwest.cell
printf 'rimport reqwest(version="0.11", features=["blocking"])\nfrom reqwest.blocking rimport Client\n' >"$cell"

rimport_cold() { # $1: run number
  local c=$W/cache$1 t0 t1
  t0=$(now)
  "$RIMPORT" --cache-dir "$c" --source-dir "$REG" --offline build "$cell" >/dev/null 2>"$W/rimport$1.err"
  t1=$(now)
  echo "$t1 - $t0" | bc
}

plain_crate() { # the same dependencies, profile and flags, no rimport
  local d=$W/plain api
  api=$(ls -d "$W"/cache1/_kayton_api/* | head -1)
  mkdir -p "$d/src"
  cat >"$d/Cargo.toml" <<TOML
[package]
name = "plain_reqwest"
version = "0.0.0"
edition = "2021"
[lib]
crate-type = ["dylib"]
[dependencies]
kayton_api = { path = "$api" }
reqwest = { version = "0.11", features = ["blocking"] }
[profile.release]
opt-level = 3
debug = false
panic = "unwind"
incremental = false
[workspace]
TOML
  printf 'extern crate kayton_api;\npub use reqwest::blocking::Client;\n' >"$d/src/lib.rs"
}

cargo_plain() { # $1: target dir name
  local t0 t1
  t0=$(now)
  (cd "$W/plain" && CARGO_ENCODED_RUSTFLAGS=-Cprefer-dynamic CARGO_INCREMENTAL=0 \
    cargo build --release --offline --target-dir "$W/$1" \
    --config 'source.crates-io.replace-with="d"' \
    --config "source.d.directory=\"$REG\"" >/dev/null 2>"$W/$1.err")
  t1=$(now)
  echo "$t1 - $t0" | bc
}

echo "== cold build (2 cores: $(nproc)); A=rimport build, B=plain cargo build"
a1=$(rimport_cold 1); echo "A rimport build      ${a1} s"
plain_crate
b1=$(cargo_plain t1); echo "B cargo build        ${b1} s"
b2=$(cargo_plain t2); echo "B cargo build        ${b2} s"
a2=$(rimport_cold 2); echo "A rimport build      ${a2} s"
ra=$(echo "($a1 + $a2) / 2" | bc -l)
rb=$(echo "($b1 + $b2) / 2" | bc -l)
printf 'cold: rimport %.2f s, cargo %.2f s, ratio rimport/cargo = %.3f (target <= 1.10)\n' \
  "$ra" "$rb" "$(echo "$ra / $rb" | bc -l)"

echo "== warm path (new process each time), 20 runs each"
N=20
tr=0; tc=0
for i in $(seq $N); do
  t0=$(now); "$RIMPORT" --cache-dir "$W/cache1" --source-dir "$REG" --offline build "$cell" >/dev/null 2>&1; t1=$(now)
  tr=$(echo "$tr + $t1 - $t0" | bc -l)
  t0=$(now)
  (cd "$W/plain" && CARGO_ENCODED_RUSTFLAGS=-Cprefer-dynamic CARGO_INCREMENTAL=0 \
    cargo build --release --offline --target-dir "$W/t1" \
    --config 'source.crates-io.replace-with="d"' \
    --config "source.d.directory=\"$REG\"" >/dev/null 2>&1)
  t1=$(now)
  tc=$(echo "$tc + $t1 - $t0" | bc -l)
done
printf 'warm: rimport %.2f ms, cargo no-op %.2f ms, ratio cargo/rimport = %.1fx (target >= 20x)\n' \
  "$(echo "$tr * 1000 / $N" | bc -l)" "$(echo "$tc * 1000 / $N" | bc -l)" "$(echo "$tc / $tr" | bc -l)"
