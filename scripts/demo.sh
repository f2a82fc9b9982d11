#!/usr/bin/env bash
# One command: install everything, load the demo organization, and serve it on
# http://127.0.0.1:8000 with the embedded default (SQLite, eager Celery, console email).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
PY=.venv/bin/python
$PY manage.py migrate --no-input -v0
$PY manage.py demo
echo
echo "Together is running at http://127.0.0.1:${PORT:-8000}/ (Ctrl-C to stop)"
exec $PY manage.py runserver "127.0.0.1:${PORT:-8000}"
