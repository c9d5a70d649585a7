#!/usr/bin/env bash
# Create .venv and install Tocsin into it (from the package registries); skip when up to date.
#   scripts/bootstrap.sh        runtime dependencies only
#   scripts/bootstrap.sh dev    plus the test and lint tools
set -euo pipefail
cd "$(dirname "$0")/.."
extra=${1:-}
python=${PYTHON:-python3}

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "Tocsin needs Python 3.11 or newer; found: $("$python" --version 2>&1)" >&2
  exit 1
fi
[ -x .venv/bin/python ] || { echo "==> creating .venv"; "$python" -m venv .venv; }

hash=$(sha256sum pyproject.toml | cut -c1-16)
stamp=".venv/.tocsin-$hash${extra:+-$extra}"
if [ ! -f "$stamp" ]; then
  echo "==> installing Tocsin${extra:+ with its $extra tools} into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ "$extra" = "dev" ]; then
    .venv/bin/python -m pip install --quiet --editable ".[dev]"
  else
    .venv/bin/python -m pip install --quiet --editable .
  fi
  find .venv -maxdepth 1 -name '.tocsin-*' ! -name ".tocsin-$hash*" -delete
  touch "$stamp" ".venv/.tocsin-$hash"
fi
