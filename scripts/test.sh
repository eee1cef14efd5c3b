#!/usr/bin/env bash
# Install everything and run the whole test suite: lint and checks, then on SQLite and again on
# PostgreSQL a smoke run of the README's first command (scripts/smoke.py) and the tests (a real
# Celery worker on Redis, RabbitMQ and the SQLite broker, real Chromium).
# Services are found on localhost (or KEHU_TEST_DATABASE_URL); with KEHU_REQUIRE_SERVICES=1 a
# missing one fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
start=$(date +%s)
export KEHU_TESTING=1
export KEHU_DATA_DIR=$(mktemp -d /tmp/kehu-test-XXXXXX)
export DJANGO_SETTINGS_MODULE=kehu.settings_test
trap 'rm -rf "$KEHU_DATA_DIR"' EXIT
PY=.venv/bin/python

echo "== lint and checks"
.venv/bin/ruff check .
.venv/bin/ruff format --check --quiet . || { echo "ruff format: run '.venv/bin/ruff format .'"; exit 1; }
.venv/bin/lint-imports --no-cache  # imports run one way: [tool.importlinter] in pyproject.toml
$PY manage.py check
$PY manage.py makemigrations --check --dry-run
$PY manage.py spectacular --lang en --file "$KEHU_DATA_DIR/openapi.yaml" --validate --fail-on-warn
diff -u docs/openapi.yaml "$KEHU_DATA_DIR/openapi.yaml" || { echo "docs/openapi.yaml is stale: run scripts/schema.sh"; exit 1; }
bash scripts/messages.sh --check

# The SQLite and the PostgreSQL halves run side by side (2 cores: one each), each with its own
# data directory; Celery tests use their own queues, servers take free ports. Each half's output
# is printed whole when both are done, so the log reads as one run after the other.
smoke_customers=${KEHU_SMOKE_CUSTOMERS:-3000}
pg_url=${KEHU_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kehu}
sqlite_half() {
  echo "== smoke on SQLite: the README's first command on a fresh data directory, then the real server"
  env -u DATABASE_URL $PY scripts/smoke.py --customers "$smoke_customers"
  echo "== tests on SQLite"
  env -u DATABASE_URL $PY -m pytest -q --durations=10 "$@"
}
pg_half() {
  echo "== smoke on PostgreSQL"
  $PY scripts/smoke.py --customers "$smoke_customers" --database-url "$pg_url"
  echo "== tests on PostgreSQL"
  # The browser tests drive the UI; they run on SQLite only (the PostgreSQL run covers the same
  # pages and queries through the test client).
  DATABASE_URL=$pg_url KEHU_TEST_DB_NAME=test_kehu_$$ $PY -m pytest -q -p no:randomly -m "not browser" --durations=10 "$@"
}

if $PY - "$pg_url" <<'PYEOF'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1].replace("/kehu", "/postgres"), connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}")
    sys.exit(1)
PYEOF
then
  have_pg=1
elif [ "${KEHU_REQUIRE_SERVICES:-}" = "1" ]; then
  echo "PostgreSQL is required (KEHU_REQUIRE_SERVICES=1) but not reachable at $pg_url" >&2
  exit 1
else
  have_pg=0
fi

mkdir -p "$KEHU_DATA_DIR/sqlite" "$KEHU_DATA_DIR/pg"
KEHU_DATA_DIR=$KEHU_DATA_DIR/sqlite sqlite_half "$@" >"$KEHU_DATA_DIR/sqlite.log" 2>&1 &
sqlite_pid=$!
pg_status=0
if [ "$have_pg" = 1 ]; then
  KEHU_DATA_DIR=$KEHU_DATA_DIR/pg pg_half "$@" >"$KEHU_DATA_DIR/pg.log" 2>&1 &
  pg_pid=$!
  wait "$pg_pid" || pg_status=$?
fi
sqlite_status=0
wait "$sqlite_pid" || sqlite_status=$?
cat "$KEHU_DATA_DIR/sqlite.log"
if [ "$have_pg" = 1 ]; then
  cat "$KEHU_DATA_DIR/pg.log"
else
  echo "SKIPPED: tests on PostgreSQL (no server at $pg_url; set KEHU_TEST_DATABASE_URL)"
fi
echo "== whole run took $(( $(date +%s) - start ))s"
[ "$sqlite_status" = 0 ] || { echo "the SQLite half failed (exit $sqlite_status)"; exit "$sqlite_status"; }
[ "$pg_status" = 0 ] || { echo "the PostgreSQL half failed (exit $pg_status)"; exit "$pg_status"; }
