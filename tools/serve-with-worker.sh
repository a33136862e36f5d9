#!/usr/bin/env bash
# Serve the app and run the background worker beside it; stop both together.
set -euo pipefail
BIN=${BIN:-.venv/bin}
"$BIN/tipline" worker &
worker=$!
trap 'kill -TERM $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM
"$BIN/tipline" serve
