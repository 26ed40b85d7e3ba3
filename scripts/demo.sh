#!/usr/bin/env bash
# The main job: build rimport and run it on the example cells:
# `rimport doctor`, `rimport plan` (parse → plan → cache keys) and
# `rimport build` (plugin crates built with cargo into the cache; run twice:
# the second run finds everything in the cache). Loading and running the
# cells comes with the load stage.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_packages "${BASE_PACKAGES[@]}" "${CRATE_PACKAGES[@]}"
ensure_rust
mkdir -p "$ROOT/build"
log "building rimport (build/)"
build "$ROOT/build"
RIMPORT=("$ROOT/build/rimport")
# Debian's crates stand in for crates.io where there is no network.
RIMPORT+=(--source-dir "$DEBIAN_CRATES" --offline)

log "rimport doctor"
"${RIMPORT[@]}" doctor || true
for cell in "$ROOT"/examples/*.cell; do
  log "rimport plan ${cell#"$ROOT"/}"
  (cd "$ROOT" && "${RIMPORT[@]}" plan "${cell#"$ROOT"/}")
done
log "rimport build examples/reqwest.cell (the first run builds reqwest's plugin: ~40 s on 2 cores)"
(cd "$ROOT" && "${RIMPORT[@]}" build examples/reqwest.cell)
log "rimport build examples/reqwest.cell again: everything comes from the cache"
(cd "$ROOT" && "${RIMPORT[@]}" build examples/reqwest.cell)
log "a malformed cell: rimport plan examples/bad/typo.cell (fails on purpose)"
if (cd "$ROOT" && "${RIMPORT[@]}" plan examples/bad/typo.cell); then
  echo "error: the malformed cell was accepted" >&2
  exit 1
fi
log "done"
