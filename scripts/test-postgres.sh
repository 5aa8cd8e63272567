#!/usr/bin/env bash
# Run the test suite against a fresh PostgreSQL database, dropped afterwards.
# With CI=true an unreachable server fails the run; elsewhere it is skipped with a loud warning.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
NAME="tpl_test_$$_$(date +%s)"
HOST_URL="${PG_TEST_HOST_URL:-postgresql+psycopg://postgres@127.0.0.1:5432}"

$PY scripts/pg_test_db.py create "$NAME"
status=$?
if [ $status -eq 2 ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "ERROR: PostgreSQL is not reachable and CI=true: the PostgreSQL run cannot be skipped." >&2
    exit 1
  fi
  echo "" >&2
  echo "!!! WARNING: PostgreSQL is not reachable: the PostgreSQL half of the suite was NOT run. !!!" >&2
  echo "" >&2
  exit 0
elif [ $status -ne 0 ]; then
  exit $status
fi
trap '$PY scripts/pg_test_db.py drop "$NAME"' EXIT
TEST_DATABASE_URL="$HOST_URL/$NAME" .venv/bin/pytest "$@"
