#!/usr/bin/env bash
# `make test`: install what the suite needs, start a throwaway PostgreSQL, run lint, types and
# the tests on SQLite, PostgreSQL and in real headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh dev
bash scripts/system_deps.sh

pgdir=$(mktemp -d /tmp/tocsin-test-pg.XXXXXX)
pgport=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() { bash scripts/pg_test_cluster.sh stop "$pgdir" || true; rm -rf "$pgdir"; }
trap cleanup EXIT
echo "==> starting a throwaway PostgreSQL on port $pgport"
export TOCSIN_TEST_PG_URL=$(bash scripts/pg_test_cluster.sh start "$pgdir" "$pgport")

echo "==> ruff"
.venv/bin/ruff check .
echo "==> mypy (strict on backend, rules, ingest)"
.venv/bin/mypy backend rules ingest
echo "==> pytest (SQLite, PostgreSQL, Chromium)"
.venv/bin/python -m pytest "$@"
