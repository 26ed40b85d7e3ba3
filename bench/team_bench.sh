#!/usr/bin/env bash
# Plugins for a team (issue 11), side by side in one run: the reqwest
# plugin built on a "second machine" — a fresh local cache (at the path
# every machine of the team uses), and so a fresh cargo target directory
# (<cache>/_target) — with
#   (a) nothing shared: cargo builds every unit;
#   (b) sccache warmed by a first machine: RUSTC_WRAPPER=sccache (honoured
#       as cargo honours it) with the first machine's SCCACHE_DIR, so the
#       dependency rlibs come from sccache (proc-macro dylibs and the
#       plugin itself still compile: sccache does not cache dylibs);
#   (c) the shared entry tier warmed by a first machine
#       (--shared-cache-dir): the entry is verified and brought into the
#       local cache; no cargo, no rustc.
# (a) runs first and last (its mean is the baseline), so that drift in the
# machine's load falls on both sides. Targets: (c) >= 100x faster than
# (a); (b) >= 2x faster than (a).
#
# Needs Debian's librust-reqwest-dev and sccache (apt-get install sccache).
# Usage: bench/team_bench.sh [build-dir]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
RIMPORT=$BUILD/rimport
REG=/usr/share/cargo/registry
[ -x "$RIMPORT" ] || { echo "build rimport first (scripts/demo.sh)" >&2; exit 1; }
ls -d "$REG"/reqwest-0.11* >/dev/null 2>&1 || { echo "needs librust-reqwest-dev" >&2; exit 1; }
command -v sccache >/dev/null || { echo "needs sccache (apt-get install sccache)" >&2; exit 1; }
W=$(mktemp -d /tmp/rimport-team-bench.XXXXXX)
export SCCACHE_DIR=$W/sccache SCCACHE_CACHE_SIZE=20G SCCACHE_IDLE_TIMEOUT=0
stop_sccache() { sccache --stop-server >/dev/null 2>&1 || true; }
trap 'stop_sccache; rm -rf "$W"' EXIT
stop_sccache # a server started elsewhere would use another SCCACHE_DIR
now() { date +%s.%N; }
mkdir -p "$W/tier" # the team's share, mounted
cell=$W/reqwest.cell
printf 'rimport reqwest(version="0.11", features=["blocking"])\nfrom reqwest.blocking rimport Client\nfrom reqwest rimport StatusCode\n' >"$cell"

# Every machine has its local cache at the same path (README "A shared
# cache for a team": cargo's and rustc's crate hashes hold it), and a new
# machine starts with it empty.
build() { # $1: the run's name; the rest: environment
  local cache=$W/local t0 t1 name=$1
  shift
  rm -rf "$cache"
  t0=$(now)
  env "$@" "$RIMPORT" --cache-dir "$cache" --source-dir "$REG" --offline build "$cell" \
    >/dev/null 2>"$W/$name.err" || { cat "$W/$name.err" >&2; exit 1; }
  t1=$(now)
  echo "$t1 - $t0" | bc
}
tier() { # the shared tier's options, as a machine of the team gives them
  echo RIMPORT_SHARED_CACHE_DIR="$W/tier"
}

echo "== the first machine warms sccache and the shared tier ($(nproc) cores)"
w1=$(build m1-sccache RUSTC_WRAPPER=sccache)
echo "first machine, through sccache:       ${w1} s"
w2=$(build m1-tier "$(tier)")
echo "first machine, publishing to the tier: ${w2} s"
ls "$W"/tier/reqwest/*/manifest.json >/dev/null 2>&1 ||
  { echo "error: nothing was published to the tier" >&2; exit 1; }
sccache --zero-stats >/dev/null

echo "== the second machine (fresh local cache and target dir each time)"
a1=$(build m2-a1 RUSTC_WRAPPER=)
echo "(a) nothing shared:        ${a1} s"
b=$(build m2-b RUSTC_WRAPPER=sccache)
echo "(b) sccache warmed:        ${b} s"
sccache --show-stats | grep -E "Cache hits|Cache misses|Non-cacheable" | sed 's/^/      sccache: /'
c=$(build m2-c "$(tier)")
echo "(c) shared tier warmed:    ${c} s"
grep -q "found in the shared cache" "$W/m2-c.err" ||
  { echo "error: the second machine did not take the plugin from the tier:" >&2; cat "$W/m2-c.err" >&2; exit 1; }
a2=$(build m2-a2 RUSTC_WRAPPER=)
echo "(a) nothing shared:        ${a2} s"
a=$(echo "($a1 + $a2) / 2" | bc -l)
printf '(a) %.2f s, (b) %.2f s, (c) %.3f s\n' "$a" "$b" "$c"
printf '(a)/(b) = %.2fx (target >= 2x); (a)/(c) = %.0fx (target >= 100x)\n' \
  "$(echo "$a / $b" | bc -l)" "$(echo "$a / $c" | bc -l)"
