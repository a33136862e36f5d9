#!/usr/bin/env bash
# Start throwaway services, run every test suite, stop the services, fail on any failure.
#   tools/run-tests.sh all   unit tests on SQLite and PostgreSQL, e2e journeys, ruff, mypy
#   tools/run-tests.sh e2e   only the Playwright journeys
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
BIN=.venv/bin
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PGPORT=${TIPLINE_TEST_PGPORT:-55432}
S3PORT=${TIPLINE_TEST_S3PORT:-5055}
RUN=$(mktemp -d /tmp/tipline-ci.XXXXXX)
pids=()

cleanup() {
  status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -f "$RUN/pg/data/postmaster.pid" ]; then
    as_postgres "$PGBIN/pg_ctl -D $RUN/pg/data -m fast -w stop" >/dev/null 2>&1 || true
  fi
  rm -rf "$RUN"
  exit $status
}
trap cleanup EXIT INT TERM

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "$1"; else bash -c "$1"; fi
}

start_postgres() {
  mkdir -p "$RUN/pg/sock"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$RUN/pg" && chmod 755 "$RUN"
  as_postgres "$PGBIN/initdb -D $RUN/pg/data -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=trust" >/dev/null
  if ! as_postgres "$PGBIN/pg_ctl -D $RUN/pg/data -l $RUN/pg/pg.log -w -o \"-c listen_addresses=127.0.0.1 -p $PGPORT -k $RUN/pg/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start" >/dev/null; then
    echo "PostgreSQL did not start; its log:" >&2
    cat "$RUN/pg/pg.log" >&2
    return 1
  fi
  as_postgres "psql -h $RUN/pg/sock -p $PGPORT -U postgres -qc \"CREATE ROLE tipline LOGIN CREATEDB PASSWORD 'tipline'\""
  as_postgres "psql -h $RUN/pg/sock -p $PGPORT -U postgres -qc \"CREATE DATABASE tipline OWNER tipline\""
  export TIPLINE_TEST_PG_URL="postgres://tipline:tipline@127.0.0.1:$PGPORT/tipline"
  export TIPLINE_TEST_PGBIN="$PGBIN"
}

start_s3() {
  "$BIN/moto_server" -H 127.0.0.1 -p "$S3PORT" >"$RUN/moto.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/"$S3PORT") 2>/dev/null && break
    sleep 0.2
  done
  export TIPLINE_TEST_S3_ENDPOINT="http://127.0.0.1:$S3PORT"
  # The mailbox tests start their own Dovecot; here it must be there (make test installs it).
  export TIPLINE_TEST_DOVECOT=required
}

# The unit suites spread over the machine's cores, four processes at most by default (each has
# its own test databases, Dovecot and connections); TIPLINE_TEST_WORKERS=0 runs them in one process.
cores=$(nproc)
workers="-n ${TIPLINE_TEST_WORKERS:-$((cores < 4 ? cores : 4))}"
[ "${TIPLINE_TEST_WORKERS:-}" = 0 ] && workers=""

start_postgres
start_s3
failed=0
failures=()
# Each suite's output goes to the terminal and to a log, so the end of the run can name what failed:
# CI often shows only the last lines.
run() {
  echo "==> $*"
  local started=$SECONDS
  if ! "$@" 2>&1 | tee "$RUN/suite.log"; then
    failed=1
    failures+=("${TIPLINE_DATABASE_URL:+[PostgreSQL] }$*")
    while IFS= read -r line; do failures+=("    $line"); done < <(grep -E '^(FAILED|ERROR) ' "$RUN/suite.log" | cut -c1-300)
  fi
  echo "<== $((SECONDS - started)) s"
}

if [ "$mode" = all ]; then
  run "$BIN/python" -m pytest tipline -q -p no:cacheprovider $workers
  TIPLINE_DATABASE_URL="$TIPLINE_TEST_PG_URL" run "$BIN/python" -m pytest tipline -q -p no:cacheprovider $workers
fi
# The journeys run in one process: they keep both cores busy already (Chromium, the servers).
run "$BIN/python" -m pytest e2e -q -p no:cacheprovider
if [ "$mode" = all ]; then
  run "$BIN/ruff" check tipline e2e bench testenv.py
  run "$BIN/ruff" format --check tipline e2e bench testenv.py
  run "$BIN/mypy"
  run "$BIN/lint-imports"
fi
if [ $failed -eq 0 ]; then
  echo "All suites passed."
else
  echo "Some suites FAILED:" >&2
  printf '  %s\n' "${failures[@]}" >&2
fi
exit $failed
