#!/usr/bin/env bash
# Set everything up and run the whole test suite (PostgreSQL and Redis for real).
# Extra arguments go to pytest, e.g. ./test.sh -m "not slow" tests/phases
source "$(dirname "$0")/scripts/setup.sh" test

if [ -z "${DATABASE_URL:-}" ]; then
  if python -c "import psycopg; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3').close()" 2>/dev/null; then
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
    echo "[test] database: PostgreSQL at 127.0.0.1:5432 (test database test_test)"
  else
    echo "[test] database: no PostgreSQL answered on 127.0.0.1:5432; FALLING BACK TO SQLite"
  fi
else
  echo "[test] database: $DATABASE_URL"
fi

ruff check . || { echo "[test] ruff check found problems"; exit 1; }
ruff format --check . || { echo "[test] ruff format would change files (run: ruff format .)"; exit 1; }
python manage.py check
python manage.py makemigrations --check --dry-run >/dev/null || { echo "[test] missing migrations"; exit 1; }
ENVIRONMENT=production SECRET_KEY="ci-$(head -c 32 /dev/urandom | sha256sum | cut -c1-50)" \
  ALLOWED_HOSTS=videogen.example.com DATABASE_URL=sqlite:///:memory: \
  python manage.py check --deploy --fail-level WARNING

# Two pytest-xdist workers, each with its own test database, Redis database and media folder
# (videogen/settings_test.py); the browser tests stay together on one of them (tests/conftest.py).
# Later arguments win: ./test.sh -n 0 runs in one process.
set +e
python -m pytest -n 2 --dist loadgroup "$@"
status=$?
set -e
if [ $status -eq 5 ]; then
  echo "[test] pytest collected no tests: failing on purpose"
  exit 1
fi
exit $status
