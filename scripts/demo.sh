#!/usr/bin/env bash
# The main job: build rimport and run it on the example cells.
# For now that is `rimport doctor` and `rimport plan` (parse → plan → cache
# keys); building and running the plugins comes with the build and load
# stages.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_packages "${BASE_PACKAGES[@]}"
ensure_rust
mkdir -p "$ROOT/build"
log "building rimport (build/)"
build "$ROOT/build"
RIMPORT=("$ROOT/build/rimport")
# Debian's crates stand in for crates.io where there is no network.
if [ -d /usr/share/cargo/registry ]; then
  RIMPORT+=(--source-dir /usr/share/cargo/registry --offline)
fi

log "rimport doctor"
"${RIMPORT[@]}" doctor || true
for cell in "$ROOT"/examples/*.cell; do
  log "rimport plan ${cell#"$ROOT"/}"
  (cd "$ROOT" && "${RIMPORT[@]}" plan "${cell#"$ROOT"/}")
done
log "a malformed cell: rimport plan examples/bad/typo.cell (fails on purpose)"
if (cd "$ROOT" && "${RIMPORT[@]}" plan examples/bad/typo.cell); then
  echo "error: the malformed cell was accepted" >&2
  exit 1
fi
log "done"
