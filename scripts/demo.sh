#!/usr/bin/env bash
# One command: install everything, start the calendar provider emulator, load the demo
# organizations (connected domain-wide to the emulated Google Workspace and Microsoft 365,
# busy times synced), start a Celery worker with beat for the periodic work (reminders,
# calendar syncs), and serve it on http://127.0.0.1:8000 with the embedded default (SQLite,
# tasks of the web process run in-process, console email).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
PY=.venv/bin/python
EMU_PORT=${EMULATOR_PORT:-8765}
EMU_TLS_PORT=${EMULATOR_TLS_PORT:-8766}
mkdir -p .emulator

# People's browsers reach the emulator's sign-in pages on its plain HTTP port, so connecting
# a calendar in the browser meets no certificate warning (the emulator's CA is not theirs).
$PY -m emulator --fixture emulator/fixtures/together-demo.json --port "$EMU_PORT" \
  --tls-port "$EMU_TLS_PORT" --state-dir .emulator \
  --browser-base-url "http://127.0.0.1:$EMU_PORT" >.emulator/emulator.log 2>&1 &
EMU_PID=$!
trap 'kill $EMU_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -sf "http://127.0.0.1:$EMU_PORT/_emulator/health" >/dev/null 2>&1 && break
  kill -0 $EMU_PID 2>/dev/null || { cat .emulator/emulator.log >&2; exit 1; }
  sleep 0.2
done

# Point Together's calendar integrations at the emulator (settings refuse this in production).
export CALENDAR_EMULATOR_URL="https://127.0.0.1:$EMU_TLS_PORT"
export CALENDAR_CA_BUNDLE="$PWD/.emulator/tls/ca.pem"
# Google's sign-in page on that port too; oauthlib refuses a non-https authorization URL
# unless told this is local development. Tokens and API calls still go over TLS.
export GOOGLE_OAUTH_AUTH_URI="http://127.0.0.1:$EMU_PORT/o/oauth2/v2/auth"
export OAUTHLIB_INSECURE_TRANSPORT=1
# Microsoft's sign-in page is served there too: the pages' CSP lets forms lead to it.
export CALENDAR_SIGN_IN_ORIGINS="http://127.0.0.1:$EMU_PORT"
export GOOGLE_OAUTH_CLIENT_ID=together-demo.apps.googleusercontent.com
export GOOGLE_OAUTH_CLIENT_SECRET=demo-google-client-secret
export MICROSOFT_CLIENT_ID=6c1c5a53-4f4e-4b8e-9d1a-7b0f0e2a1d01
export MICROSOFT_CLIENT_SECRET=demo-microsoft-client-secret
# Links in emails (Reconnect, Open Together) point at the port the demo serves on.
export SITE_URL=${SITE_URL:-http://127.0.0.1:${PORT:-8000}}
# Google pushes calendar changes to the demo's webhook (/calendar/push/google/), so an event
# added to a Google person's emulated calendar blocks the wizard within seconds; polling
# stays every ten minutes as the backstop.
export CALENDAR_PUSH_URL=${CALENDAR_PUSH_URL:-$SITE_URL}
export CALENDAR_SYNC_INTERVAL_SECONDS=${CALENDAR_SYNC_INTERVAL_SECONDS:-600}

$PY manage.py migrate --no-input -v0
$PY manage.py demo

# The periodic work (reminders before sessions, calendar syncs) needs beat. With Redis the
# deployment runs its own worker and beat (docker-compose.yml); without it, one worker with
# embedded beat on kombu's filesystem broker (.celery/), no server needed. The web process
# keeps running its own tasks in-process (see together/settings.py, Celery).
WORKER_PID=
if [ -z "${REDIS_URL:-}" ]; then
  mkdir -p .celery
  # Reminders are checked every minute here (15 in a deployment) so they show up soon.
  CELERY_TASK_ALWAYS_EAGER=false REMINDERS_INTERVAL_SECONDS=${REMINDERS_INTERVAL_SECONDS:-60} \
    $PY -m celery -A together worker -B --concurrency=1 \
    --without-gossip --without-mingle --without-heartbeat --loglevel=INFO \
    >.celery/worker.log 2>&1 &
  WORKER_PID=$!
fi
trap 'kill $EMU_PID ${WORKER_PID} 2>/dev/null || true' EXIT
echo
echo "Calendar emulator: http://127.0.0.1:$EMU_PORT/ and https://127.0.0.1:$EMU_TLS_PORT/ (log in .emulator/)"
if [ -n "$WORKER_PID" ]; then
  echo "Celery worker with beat (reminders, calendar syncs): log in .celery/worker.log"
fi
echo "Together is running at http://127.0.0.1:${PORT:-8000}/ (Ctrl-C to stop)"
$PY manage.py runserver "127.0.0.1:${PORT:-8000}"
