#!/usr/bin/env bash
# `make run`: install, migrate an SQLite database under var/, load data, start everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export TOCSIN_DATABASE_URL=${TOCSIN_DATABASE_URL:-sqlite:///var/tocsin.db}
export TOCSIN_DATA_DIR=${TOCSIN_DATA_DIR:-var/data}
tocsin=.venv/bin/tocsin

echo "==> migrating the database ($TOCSIN_DATABASE_URL)"
$tocsin db upgrade
if $tocsin db has-data; then
  echo "==> reusing the data already in the database"
else
  echo "==> loading data: trying the live sources first (short timeouts)"
  if ! $tocsin ingest probe; then
    echo "==> live sources unreachable (air-gapped?): loading the demo dataset"
    $tocsin demo load
  fi
fi
exec $tocsin serve all
