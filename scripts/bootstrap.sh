#!/usr/bin/env bash
# Installs Together into .venv (Python 3.11) with its development tools. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "Together needs Python 3.11 (found $("$PYTHON" --version 2>&1))." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Re-install only when the declared dependencies changed since the last install.
stamp=.venv/.together-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "Installing Together's Python packages into .venv ..."
  log=$(mktemp)
  if ! { .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip &&
         .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'; } >"$log" 2>&1; then
    # The machine's pip configuration may name local mirrors that do not exist; skip that noise.
    grep -v "^WARNING: Location 'file://" "$log" >&2
    echo "Installing the Python packages failed (see above)." >&2
    exit 1
  fi
  rm -f "$log"
  touch "$stamp"
fi
