#!/usr/bin/env bash
# Rebuild the upgrade test's databases at the schema before the register (commit 0a3eff3).
#   tools/legacy-fixture/make.sh sqlite|postgresql OUT   (postgresql needs TIPLINE_TEST_PG_URL and TIPLINE_TEST_PGBIN)
# Writes OUT/dump.sql, OUT/manifest.json and OUT/attachments/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
kind=$1
out=$(mkdir -p "$2" && cd "$2" && pwd)
old=$(mktemp -d)
data=$(mktemp -d)
git -C "$repo" worktree add -q "$old/src" 0a3eff3
trap 'git -C "$repo" worktree remove --force "$old/src"; rm -rf "$old" "$data"' EXIT
export TIPLINE_DATA_DIR=$data TIPLINE_PEPPER=legacy-fixture-pepper-not-secret TIPLINE_KDF_COST=t=1,m=8M
export TIPLINE_ALLOW_WEAK_KDF=1 TIPLINE_CLEAN_DIR=/dev/shm TIPLINE_KDF_SLOTS=0 PYTHONPATH=$old/src
if [ "$kind" = postgresql ]; then
  db=tipline_legacy_build
  "$TIPLINE_TEST_PGBIN/psql" "$TIPLINE_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  export TIPLINE_DATABASE_URL=${TIPLINE_TEST_PG_URL%/*}/$db
fi
(cd "$old/src" && "$repo/.venv/bin/python" "$here/build.py" "$out")
if [ "$kind" = postgresql ]; then
  "$TIPLINE_TEST_PGBIN/pg_dump" --no-owner --no-privileges "$TIPLINE_DATABASE_URL" > "$out/dump.sql"
  "$TIPLINE_TEST_PGBIN/psql" "$TIPLINE_TEST_PG_URL" -qc "DROP DATABASE $db"
else
  "$repo/.venv/bin/python" -c "import sqlite3,sys; print('\n'.join(sqlite3.connect(sys.argv[1]).iterdump()))" \
    "$data/tipline.sqlite3" > "$out/dump.sql"
fi
rm -rf "$out/attachments"; cp -r "$data/attachments" "$out/attachments"
