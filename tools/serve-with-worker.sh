#!/usr/bin/env bash
# Serve the app and run the background job worker beside it; stop both together.
# As granian respawns a web worker that dies, a job worker that dies (killed, out of
# memory, a crash) is started again after a short pause: jobs never silently stop.
# A worker that ends cleanly (SIGTERM or SIGINT, e.g. Ctrl-C) is not restarted.
set -euo pipefail
BIN=${BIN:-.venv/bin}
RESTART_SECONDS=${TIPLINE_WORKER_RESTART_SECONDS:-2}

supervise_worker() {
  local child=""
  # Every job of this shell, not only "$child": a signal can arrive between starting a
  # worker and noting its number, and that worker must not be left running on its own.
  trap 'kill -TERM $(jobs -p) 2>/dev/null || true; wait 2>/dev/null; exit 0' TERM INT
  while true; do
    "$BIN/tipline" worker &
    child=$!
    if wait "$child"; then
      exit 0
    fi
    echo "The job worker stopped unexpectedly; starting it again in ${RESTART_SECONDS} s." >&2
    sleep "$RESTART_SECONDS" &
    wait $! || true
  done
}

# The traps come before anything starts: a signal that arrived earlier, under the
# shell's default action, would end this script and leave its children running.
# Stopping signals every job started so far, whichever of them exist yet.
stop() { kill -TERM $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; }
trap 'stop; exit 0' INT TERM
trap stop EXIT
supervise_worker &
# The server runs in the background too, so that a signal to this script is handled at
# once (bash runs traps only between commands, never during a foreground one).
"$BIN/tipline" serve &
server=$!
wait "$server"
