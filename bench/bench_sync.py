"""Benchmark of a domain-wide busy-time sync (run: .venv/bin/python -m bench.bench_sync).

2,000 members per provider, each with 8 events over the next two weeks, in the in-process
provider emulator with 50 ms added to every API request. Syncs a Google Workspace
organization (service account, freeBusy) and a Microsoft 365 tenant (client credentials,
getSchedule) through the real libraries over HTTPS, and prints wall time, provider calls
against the batching floor (Google ⌈N/50⌉ freeBusy queries per 90-day span, Graph ⌈N/20⌉
getSchedule calls per window under 62 days, over the synced range: the whole bookable year) and
memory: peak RSS growth during each sync, read as VmHWM from /proc/self/status after resetting
the high-water mark to the current RSS by writing "5" to /proc/self/clear_refs (Linux); and
the process max RSS.

Database: DATABASE_URL if set, else a scratch SQLite file. Targets: calls at the floor and
≤ 60 s wall per provider.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEMBERS = int(os.environ.get("BENCH_MEMBERS", "2000"))
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "50"))


def _setup_django():
    if not os.environ.get("DATABASE_URL"):
        scratch = tempfile.mkdtemp(prefix="together-bench-sync-")
        os.environ["SQLITE_PATH"] = os.path.join(scratch, "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "together.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _reset_peak_rss() -> int | None:
    """Reset the process's RSS high-water mark to its current RSS; return that RSS in bytes.

    Without a reset, ru_maxrss is the peak of everything before (setup, the other
    provider's sync), so the growth printed was 0.0 or negative. None if unsupported.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return None
    return _status_kb("VmRSS") * 1024


def _peak_rss() -> int:
    return _status_kb("VmHWM") * 1024


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _delete_bench_organizations() -> None:
    """Remove a previous run's organizations, in the order their protected references need."""
    from calendars.models import OrganizationIntegration
    from programs.models import Organization, OrganizationDomain, User

    orgs = Organization.objects.filter(slug__in=["bench-g", "bench-m"])
    OrganizationIntegration.objects.filter(organization__in=orgs).delete()
    for p in ("g", "m"):
        User.objects.filter(email__endswith=f"@bench-{p}.example").delete()
    User.objects.filter(organization__in=orgs).delete()
    OrganizationDomain.objects.filter(organization__in=orgs).delete()
    orgs.delete()


def main() -> None:
    _setup_django()
    # The emulator runs in its own process so its CPU and memory are not counted as ours.
    state = Path(tempfile.mkdtemp(prefix="together-bench-emulator-"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "--port",
            "0",
            "--tls-port",
            "0",
            "--json",
            "--state-dir",
            str(state),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        _run(proc)
    finally:
        # Whatever failed, the emulator does not outlive the benchmark.
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _run(proc: subprocess.Popen) -> None:
    import requests
    from django.conf import settings

    from calendars import services
    from calendars.models import OrganizationIntegration
    from calendars.providers import google, microsoft
    from programs.models import Organization, OrganizationDomain, User

    urls = json.loads(proc.stdout.readline())
    base = urls["tls_base_url"]
    ca_path = urls["ca_path"]
    http = requests.Session()
    http.trust_env = False
    http.verify = ca_path

    def control(method, path, body=None):
        r = http.request(method, f"{base}/_emulator{path}", json=body, timeout=300)
        r.raise_for_status()
        return r.json() if r.content else None

    sa = {"client_email": "sync@bench.iam.gserviceaccount.com", "client_id": "999000111"}
    ms = {"provider": "microsoft", "client_id": "bench-ms-client", "client_secret": "s"}
    tenant = "bebebebe-0000-1111-2222-333333333333"
    events = [
        {"start": f"+{d}d {h:02d}:00", "duration": "1h", "show_as": kind}
        for d, h, kind in [
            (1, 9, "busy"),
            (1, 14, "tentative"),
            (2, 10, "busy"),
            (3, 11, "oof"),
            (4, 15, "free"),
            (6, 9, "busy"),
            (8, 13, "busy"),
            (12, 16, "busy"),
        ]
    ]
    control(
        "POST",
        "/reset",
        {
            "fixture": {
                "clients": [ms, {"provider": "google", "client_id": "g", "client_secret": "g"}],
                "service_accounts": [sa],
                "organizations": [
                    {
                        "name": "BenchG",
                        "provider": "google",
                        "domains": ["bench-g.example"],
                        "delegations": [{"client_id": sa["client_id"], "scopes": google.SCOPES}],
                    },
                    {
                        "name": "BenchM",
                        "provider": "microsoft",
                        "domains": ["bench-m.example"],
                        "tenant_id": tenant,
                        "admin_consents": [{"client_id": ms["client_id"]}],
                    },
                ],
                "accounts": [
                    {"email": f"m{i}@bench-{p}.example", "events": events}
                    for p in ("g", "m")
                    for i in range(MEMBERS)
                ],
            }
        },
    )
    key = http.get(f"{base}/_emulator/service-accounts/{sa['client_email']}/key", timeout=30).text

    settings.GOOGLE_OAUTH_TOKEN_URI = base + "/token"
    settings.GOOGLE_CALENDAR_API_ENDPOINT = base + "/calendar/v3/"
    settings.MICROSOFT_CLIENT_ID, settings.MICROSOFT_CLIENT_SECRET = (
        ms["client_id"],
        ms["client_secret"],
    )
    settings.MICROSOFT_AUTHORITY_HOST = base
    settings.MICROSOFT_GRAPH_URL = base + "/v1.0"
    settings.CALENDAR_CA_BUNDLE = ca_path
    microsoft._msal_app.cache_clear()

    _delete_bench_organizations()
    results = []
    for p, provider in (("g", "google"), ("m", "microsoft")):
        org = Organization.objects.create(name=f"Bench {provider}", slug=f"bench-{p}")
        OrganizationDomain.objects.create(organization=org, domain=f"bench-{p}.example")
        User.objects.bulk_create(
            [
                User(email=f"m{i}@bench-{p}.example", organization=org, password="!")
                for i in range(MEMBERS)
            ],
            batch_size=1000,
        )
        admin = User.objects.get(email=f"m0@bench-{p}.example")
        integration = OrganizationIntegration.objects.create(
            organization=org,
            provider=provider,
            status="active",
            consented_by=admin,
            service_account_key=key if provider == "google" else "",
            tenant_id=tenant if provider == "microsoft" else "",
        )
        control("DELETE", "/counters")
        control("POST", "/faults", {"kind": "latency", "latency_ms": LATENCY_MS})
        rss_before = _reset_peak_rss()
        started = time.perf_counter()
        summary = services.sync_organization(integration_id=integration.pk)
        wall = time.perf_counter() - started
        # Growth of the peak RSS during this sync alone (the mark was reset just before;
        # tracemalloc would slow the run and miss C allocations).
        peak = None if rss_before is None else _peak_rss() - rss_before
        control("DELETE", "/faults")
        counters = control("GET", "/counters")["counters"]
        endpoint = "calendar.freebusy.query" if provider == "google" else "graph.getSchedule"
        per = 50 if provider == "google" else 20
        # The window is the whole bookable range (a year ahead), read in the longest spans
        # each API accepts: freeBusy 90 days, getSchedule under 62 days.
        lo, hi = services.sync_window()
        span = google.FREEBUSY_SPAN if provider == "google" else microsoft.SCHEDULE_WINDOW
        floor = math.ceil(MEMBERS / per) * math.ceil((hi - lo) / span)
        results.append((provider, summary, wall, counters.get(endpoint, 0), floor, peak, counters))

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    db = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    print(
        f"Domain-wide sync, {MEMBERS} members, {LATENCY_MS} ms added latency per request, {db}, "
        f"Python {sys.version.split()[0]}"
    )
    ok = True
    for provider, summary, wall, calls, floor, peak, counters in results:
        token_calls = sum(v for k, v in counters.items() if k.endswith(".token"))
        verdict = "OK" if calls == floor and wall <= 60 and summary.resolved == MEMBERS else "FAIL"
        ok &= verdict == "OK"
        print(
            f"  {provider:9s}: {wall:6.2f} s wall, {calls} batch calls (floor {floor}), "
            f"{token_calls} token calls, {summary.resolved}/{MEMBERS} resolved, "
            f"{summary.busy_blocks} busy blocks, peak RSS growth "
            f"{'n/a' if peak is None else f'{peak / 1e6:.1f} MB'} (VmHWM after clear_refs)"
            f"  [{verdict}]"
        )
    period = settings.CELERY_BEAT_SCHEDULE["calendars-sync-all"]["schedule"]
    polls = 86400 / period
    print(f"  polling every {period:.0f} s (no push): {polls:.0f} syncs a day per organization")
    for provider, _summary, wall, _calls, _floor, _peak, counters in results:
        total = sum(v for k, v in counters.items() if not k.startswith("admin."))
        print(
            f"  {provider:9s}: {total * polls / MEMBERS:.1f} provider calls per member per day; "
            f"staleness of a change: at most {period + wall:.0f} s, median about "
            f"{period / 2 + wall:.0f} s (half the period plus this sync's wall time)"
        )
    print(f"  process max RSS {rss_mb:.0f} MB")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
