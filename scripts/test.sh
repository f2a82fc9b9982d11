#!/usr/bin/env bash
# One command: install everything (Python packages, Debian's Chromium) and run the whole suite.
# With DATABASE_URL / REDIS_URL set the suite runs on PostgreSQL and Redis; otherwise SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/install-browser.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
