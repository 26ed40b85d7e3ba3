#!/usr/bin/env bash
# The main job: `rimport run examples/reqwest.cell` — the reqwest cells end
# to end (plugin built with cargo from Debian's crates, loaded, registered,
# cells compiled against it and run; a Client kept by cell 1 is used by
# cell 2), twice: the second run builds nothing. Before it, `rimport doctor`
# and `rimport plan`; after it, `rimport doc` of an item it imports and
# dynamic calls of its thunks in `rimport repl` (`:call`, no cell
# compiled), then the notebook examples/notebook.cell (items
# defined in one cell used by later ones, a serde derive round trip, a
# panic the session survives), twice: the second run compiles nothing.
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
log "rimport run examples/reqwest.cell (the first run builds reqwest's plugin: ~40 s on 2 cores)"
(cd "$ROOT" && "${RIMPORT[@]}" run examples/reqwest.cell)
log "rimport run examples/reqwest.cell again: the plugins come from the cache"
(cd "$ROOT" && "${RIMPORT[@]}" run examples/reqwest.cell)
# The statements of examples/reqwest.cell's first cell: the plugin it built.
REQWEST_IMPORTS=('rimport reqwest(version="0.11", features=["blocking"])'
  'from reqwest rimport StatusCode, Method as M'
  'from reqwest.blocking rimport Client')
log "rimport doc reqwest::StatusCode::from_u16: kinds, signatures and docs from the plugin's API index"
(cd "$ROOT" && "${RIMPORT[@]}" doc reqwest::StatusCode::from_u16 "${REQWEST_IMPORTS[@]}")
log "rimport repl: dynamic calls through the plugin's thunks (:call), no cell compiled for them"
printf '%s\n' "${REQWEST_IMPORTS[@]}" "" ':call StatusCode::from_u16(404)' \
  ':call StatusCode::as_u16($1)' ':call StatusCode::is_client_error($1)' \
  ':call StatusCode::from_u16(70000)' ':quit' |
  (cd "$ROOT" && "${RIMPORT[@]}" repl)
log "rimport run examples/notebook.cell: items across cells, a serde derive round trip, a panic the session survives (exit 1: cell 3 panics on purpose)"
status=0
(cd "$ROOT" && "${RIMPORT[@]}" run examples/notebook.cell) || status=$?
[ "$status" -eq 1 ] || { echo "error: expected exit 1 (one cell panics), got $status" >&2; exit 1; }
log "rimport run examples/notebook.cell again: every cell comes from the cache (no rustc)"
status=0
(cd "$ROOT" && "${RIMPORT[@]}" run examples/notebook.cell) || status=$?
[ "$status" -eq 1 ] || { echo "error: expected exit 1 (one cell panics), got $status" >&2; exit 1; }
log "a malformed cell: rimport plan examples/bad/typo.cell (fails on purpose)"
if (cd "$ROOT" && "${RIMPORT[@]}" plan examples/bad/typo.cell); then
  echo "error: the malformed cell was accepted" >&2
  exit 1
fi
log "done"
