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

# Sign-in: the first start creates the user "admin" with a generated password, readable
# only by this account; later starts keep it (and TOCSIN_ADMIN_PASSWORD, when set, wins:
# `db upgrade` above then created the admin already).
password_file=var/admin-password
if ! $tocsin users has-admin >/dev/null 2>&1; then
  echo "==> no admin yet: creating the user 'admin' with a generated password"
  mkdir -p var
  (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(18))' \
    > "$password_file")
  chmod 600 "$password_file"
  $tocsin users create admin --role admin --password-stdin < "$password_file"
fi
dashboard="http://${TOCSIN_DASHBOARD_HOST:-127.0.0.1}:${TOCSIN_DASHBOARD_PORT:-8050}/"
if [ -s "$password_file" ]; then
  echo "==> sign in at $dashboard as admin with the password in $password_file"
else
  echo "==> sign in at $dashboard with your account (admin from TOCSIN_ADMIN_PASSWORD)"
fi
exec $tocsin serve all
