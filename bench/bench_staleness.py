"""Staleness benchmark: from a change in the provider to the availability answer (run:
.venv/bin/python -m bench.bench_staleness).

Everything real and separate: the provider emulator as its own process, Together's web app
serving the push webhook over HTTP in this process (Django's threaded WSGI server), a real
Celery worker process on Redis (REDIS_URL, default DB 15 of the local server) doing the read
the push hands it, and PostgreSQL (DATABASE_URL) between them. A Google Workspace
organization of BENCH_MEMBERS members (default 20) is connected domain-wide; each member's
primary calendar is watched (events.watch). Then, BENCH_CHANGES times (default 30), an event
is added to a random member's calendar in the emulator, and the clock runs until
calendars.selectors.busy_for (what the wizard reads) shows it.

Without push the same change waits for the next poll: with beat's period P, at most P plus
one sync, half of P plus one sync on median; the run measures that sync and prints the
bound for the configured period beside the push figures. Target: push median ≤ 5 s.
"""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MEMBERS = int(os.environ.get("BENCH_MEMBERS", "20"))
CHANGES = int(os.environ.get("BENCH_CHANGES", "30"))
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    if not os.environ.get("DATABASE_URL"):
        sys.exit("bench_staleness needs PostgreSQL: set DATABASE_URL (a worker shares it)")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    state = Path(tempfile.mkdtemp(prefix="together-bench-staleness-"))
    emulator = subprocess.Popen(
        [
            *(sys.executable, "-m", "emulator", "--port", "0", "--tls-port", "0", "--json"),
            *("--state-dir", str(state)),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    urls = json.loads(emulator.stdout.readline())
    base, ca_path = urls["tls_base_url"], urls["ca_path"]
    web_port = _free_port()
    env = {
        "CALENDAR_EMULATOR_URL": base,
        "CALENDAR_CA_BUNDLE": ca_path,
        "CALENDAR_PUSH_URL": f"http://127.0.0.1:{web_port}",
        "DJANGO_SETTINGS_MODULE": "together.settings",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "together", "worker", "-P", "solo"),
            *("--loglevel", "WARNING", "-Q", "celery"),
        ],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=(state / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        _run(base, ca_path, web_port, state)
    finally:
        worker.terminate()
        emulator.terminate()
        worker.wait(timeout=20)
        emulator.wait(timeout=10)


def _run(base: str, ca_path: str, web_port: int, state: Path) -> None:
    import requests
    from django.conf import settings
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application
    from django.utils import timezone

    from calendars import selectors, services
    from calendars.models import OrganizationIntegration, PushChannel
    from calendars.providers import google
    from programs.models import Organization, OrganizationDomain, User

    http = requests.Session()
    http.trust_env = False
    http.verify = ca_path

    def control(method, path, body=None):
        r = http.request(method, f"{base}/_emulator{path}", json=body, timeout=60)
        r.raise_for_status()
        return r.json() if r.content else None

    sa = {"client_email": "sync@staleness.iam.gserviceaccount.com", "client_id": "777000111"}
    control(
        "POST",
        "/reset",
        {
            "fixture": {
                "clients": [{"provider": "google", "client_id": "g", "client_secret": "g"}],
                "service_accounts": [sa],
                "organizations": [
                    {
                        "name": "Stale",
                        "provider": "google",
                        "domains": ["stale.example"],
                        "delegations": [{"client_id": sa["client_id"], "scopes": google.SCOPES}],
                    }
                ],
                "accounts": [{"email": f"s{i}@stale.example"} for i in range(MEMBERS)],
            }
        },
    )
    key = http.get(f"{base}/_emulator/service-accounts/{sa['client_email']}/key", timeout=30).text

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", web_port), Quiet)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()

    # A previous run's people and organization (users protect their organization).
    User.objects.filter(email__endswith="@stale.example").delete()
    Organization.objects.filter(slug="stale").delete()
    org = Organization.objects.create(name="Stale", slug="stale")
    OrganizationDomain.objects.create(organization=org, domain="stale.example")
    people = User.objects.bulk_create(
        [User(email=f"s{i}@stale.example", organization=org, password="!") for i in range(MEMBERS)]
    )
    integration = OrganizationIntegration.objects.create(
        organization=org,
        provider="google",
        status="active",
        consented_by=people[0],
        service_account_key=key,
    )
    started = time.perf_counter()
    services.sync_organization(integration_id=integration.pk)  # also opens the channels
    first_sync = time.perf_counter() - started
    started = time.perf_counter()
    services.sync_organization(integration_id=integration.pk)  # a poll: channels are live
    one_sync = time.perf_counter() - started
    channels = PushChannel.objects.filter(integration=integration).count()
    control("DELETE", "/counters")
    rng = random.Random(16)
    waits = []
    for n in range(CHANGES):
        person = rng.choice(people)
        day, hour = rng.randint(1, 300), rng.randint(7, 18)
        before = len(_busy(selectors, person))
        t0 = time.perf_counter()
        control(
            "POST",
            "/events",
            {
                "account": person.email,
                "events": [{"start": f"+{day}d {hour:02d}:{15 * (n % 4):02d}", "duration": "25m"}],
            },
        )
        deadline = t0 + 30
        while len(_busy(selectors, person)) == before:
            if time.perf_counter() > deadline:
                raise SystemExit(f"change {n} never arrived; worker log: {state / 'worker.log'}")
            time.sleep(0.02)
        waits.append(time.perf_counter() - t0)
    counters = control("GET", "/counters")["counters"]
    calls = sum(v for k, v in counters.items() if not k.startswith("admin."))
    server.shutdown()
    period = settings.CELERY_BEAT_SCHEDULE["calendars-sync-all"]["schedule"]
    median = statistics.median(waits)
    p90 = sorted(waits)[int(len(waits) * 0.9) - 1]
    print(
        f"Staleness, Google Workspace domain-wide, {MEMBERS} members ({channels} push channels), "
        f"{CHANGES} changes, PostgreSQL + Redis + a Celery worker, {timezone.now():%Y-%m-%d}"
    )
    print(
        f"  push:    median {median:.2f} s, p90 {p90:.2f} s, max {max(waits):.2f} s "
        f"(emulator → webhook → Redis → worker → freeBusy → PostgreSQL → busy_for)  "
        f"[{'OK' if median <= 5 else 'FAIL'} ≤ 5 s]"
    )
    print(f"  provider calls for {CHANGES} pushed changes: {calls} ({calls / CHANGES:.1f} each)")
    print(
        f"  no push: polling every {period:.0f} s, one poll of these members {one_sync:.2f} s "
        f"(the first, opening the channels, {first_sync:.2f} s): a change waits at most "
        f"{period + one_sync:.0f} s, median about {period / 2 + one_sync:.0f} s"
    )
    sys.exit(0 if median <= 5 else 1)


def _busy(selectors, person):
    import datetime as dt

    from django.utils import timezone

    now = timezone.now()
    return selectors.busy_for([person], now, now + dt.timedelta(days=366))[person.pk].intervals


if __name__ == "__main__":
    main()
