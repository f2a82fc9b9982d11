"""Availability over HTTP.

Run: ``DATABASE_URL=postgres://... REDIS_URL=redis://... .venv/bin/python -m bench.bench_http``

What it measures: the JSON availability endpoint of one match
(``GET /api/matches/<id>/availability/``, signed in, a week of 15-minute slots in the viewer's
zone) served by gunicorn from PostgreSQL and Redis with a warm busy cache (both people
integrated, 250 cached busy blocks each, synced just now, so no request triggers a sync).
In the same run, by the same load generator, at the same concurrency:

- a trivial JSON view (``{"ok": true}``) through the same middleware, not signed in;
- the same trivial view signed in with the same session cookie (it reads the session and the
  user, as every signed-in endpoint must): the baseline the target is judged against, since
  the availability endpoint cannot answer anyone who is not signed in;
- the availability endpoint with a query never asked before (an extra ignored parameter per
  request), so the answer is computed rather than served from the stored answers.

Each endpoint runs ``BENCH_ROUNDS`` rounds of ``BENCH_SECONDS``, the order rotated per round;
throughput is the median over rounds and each ratio the median of per-round ratios, so a
change in the machine's load during the run does not favour one endpoint.

Target (design brief): availability throughput >= 50% of a trivial JSON view's; p99 <= 150 ms.

Database: DATABASE_URL must point at PostgreSQL and REDIS_URL at Redis (production's shape:
sessions and stored answers live in Redis). The benchmark creates (if needed) and migrates a
scratch database named after DATABASE_URL's with a ``_bench_http`` suffix, never the database
itself. The load generator is plain Python (processes x threads, keep-alive HTTP/1.1
connections); it shares the machine with gunicorn, which is why every endpoint is measured
with it.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DURATION = float(os.environ.get("BENCH_SECONDS", "5"))
WARMUP = 2.0
PROCESSES = int(os.environ.get("BENCH_CLIENT_PROCESSES", "2"))
THREADS = int(os.environ.get("BENCH_CLIENT_THREADS", "4"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "2"))
DAYS = int(os.environ.get("BENCH_DAYS", "7"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
BUSY_BLOCKS = 250
SLUG = "bench-http"


# --- The app under test (gunicorn imports this module with BENCH_HTTP_SERVE=1) ---------------


def _make_application():
    from django.core.wsgi import get_wsgi_application
    from django.http import JsonResponse
    from django.urls import path

    application = get_wsgi_application()
    from together import urls

    def trivial(request):
        return JsonResponse({"ok": True})

    def trivial_signed_in(request):
        if not request.user.is_authenticated:
            return JsonResponse({"detail": "Sign in."}, status=403)
        return JsonResponse({"ok": True, "user": request.user.pk})

    urls.urlpatterns.insert(0, path("bench/trivial/", trivial))
    urls.urlpatterns.insert(0, path("bench/trivial-signed-in/", trivial_signed_in))
    return application


if os.environ.get("BENCH_HTTP_SERVE"):
    application = _make_application()


# --- Setup ------------------------------------------------------------------------------


def _scratch_url() -> str:
    # Never Redis DB 0 (the app's own): a scratch DB unless told otherwise.
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        sys.exit("bench_http needs DATABASE_URL=postgres://... (PostgreSQL, as in production)")
    if not os.environ.get("REDIS_URL", "").startswith(("redis://", "rediss://")):
        sys.exit("bench_http needs REDIS_URL=redis://... (sessions and answers live in Redis)")
    name = parts.path.strip("/")
    if not name.endswith("_bench_http"):
        name += "_bench_http"
    import psycopg2

    admin = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return urlunsplit(parts._replace(path="/" + name))


def _seed() -> tuple[int, str]:
    """One match of two integrated people with a warm busy cache; returns (match id, cookie)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.test import Client
    from django.utils import timezone

    from calendars.models import BusyBlock, CalendarConnection, ConnectedCalendar
    from programs import services
    from programs.models import Organization, Program, User

    org = Organization.objects.filter(slug=SLUG).first()
    if org is not None:
        User.objects.filter(organization=org).delete()
        Program.objects.filter(organization=org).delete()
        org.domains.all().delete()
        org.delete()
    org = services.organization_create(name="Bench HTTP", slug=SLUG, domains=["benchhttp.example"])
    people = [
        services.user_create(
            email=f"{name}@benchhttp.example",
            organization=org,
            time_zone=zone,
            first_name=name.capitalize(),
            password="bench-password-123",
        )
        for name, zone in (("ada", "Europe/London"), ("ben", "America/New_York"))
    ]
    today = timezone.now().date()
    program = services.program_create(
        organization=org,
        name="Bench",
        kind=Program.Kind.ONE_TO_ONE,
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=365),
    )
    match = services.match_create(program=program, mentee=people[0], mentor=people[1])
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for i, person in enumerate(people):
        connection = CalendarConnection.objects.create(
            user=person,
            provider="caldav",
            account_email=person.email,
            caldav_url="http://127.0.0.1:5232/",
            last_synced_at=timezone.now() + dt.timedelta(hours=1),
        )
        calendar = ConnectedCalendar.objects.create(
            connection=connection,
            calendar_id=f"bench-{i}",
            name="Work",
            primary=True,
            can_write=True,
            check_conflicts=True,
            is_destination=True,
            last_synced_at=timezone.now(),
        )
        # 250 blocks over the next four weeks: several a day, of varied length.
        BusyBlock.objects.bulk_create(
            BusyBlock(
                user=person,
                calendar=calendar,
                start=now + dt.timedelta(minutes=160 * k + 37 * i),
                end=now + dt.timedelta(minutes=160 * k + 37 * i + 30 + (k % 4) * 15),
                kind="busy",
            )
            for k in range(BUSY_BLOCKS)
        )
    client = Client()
    client.force_login(people[0])
    return match.pk, client.cookies["sessionid"].value


def _free_port() -> int:
    """BENCH_HTTP_PORT (default 8791), checked free; the run reports it."""
    port = int(os.environ.get("BENCH_HTTP_PORT", "8791"))
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            sys.exit(f"port {port} is taken: set BENCH_HTTP_PORT to a free one")
    return port


def _start_gunicorn(database_url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "BENCH_HTTP_SERVE": "1",
        "LOG_LEVEL": "WARNING",
        "CALENDAR_STALE_AFTER_SECONDS": "86400",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "bench.bench_http:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit("gunicorn did not start")


# --- Load generator ---------------------------------------------------------------------


def _client_process(port: int, path: str, cookie: str, seconds: float, out) -> None:
    import http.client

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        bad = 0
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            began = time.perf_counter()
            try:
                target = path.replace("{n}", f"{os.getpid()}-{threading.get_ident()}-{n}")
                conn.request("GET", target, headers={"Cookie": f"sessionid={cookie}"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
            except OSError:
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((latencies, errors[0]))


def _load(port: int, path: str, cookie: str, seconds: float) -> dict:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(target=_client_process, args=(port, path, cookie, seconds, queue))
        for _ in range(PROCESSES)
    ]
    began = time.perf_counter()
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - began
    latencies = [x for r in results for x in r[0]]
    errors = sum(r[1] for r in results)
    if not latencies:
        sys.exit(f"no answers from {path} ({errors} errors)")
    return {"latencies": latencies, "errors": errors, "rps": len(latencies) / elapsed}


def main() -> None:
    database_url = _scratch_url()
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "together.settings")
    os.environ["CALENDAR_STALE_AFTER_SECONDS"] = "86400"
    import django

    django.setup()
    match_id, cookie = _seed()
    port = _free_port()
    server = _start_gunicorn(database_url, port)
    first_day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date().isoformat()
    availability = (
        f"/api/matches/{match_id}/availability/?first_day={first_day}&days={DAYS}"
        "&duration=30&time_zone=Europe/London"
    )
    endpoints = {
        "trivial JSON view": "/bench/trivial/",
        "trivial JSON view, signed in": "/bench/trivial-signed-in/",
        AVAILABILITY: availability,
        # A query no one asked before: the answer is computed (warm busy cache, no stored
        # answer). An extra parameter the endpoint ignores makes each request new.
        UNCACHED: availability + "&nocache={n}",
    }
    rounds: dict[str, list[dict]] = {name: [] for name in endpoints}
    try:
        import http.client

        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        probe.request("GET", availability, headers={"Cookie": f"sessionid={cookie}"})
        answer = probe.getresponse()
        body = json.loads(answer.read())
        assert answer.status == 200, body
        assert body["insight"] == "mutual", body["insight"]
        slots = len(body["slots"])
        busy = len(body["my_busy"]) + len(body["partner_busy"])
        for path in endpoints.values():
            _load(port, path, cookie, WARMUP)
        names = list(endpoints)
        for k in range(ROUNDS):
            # Rotate the order so drift in the machine's load does not favour one endpoint.
            for name in names[k % len(names) :] + names[: k % len(names)]:
                rounds[name].append(_load(port, endpoints[name], cookie, DURATION))
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(
        f"gunicorn {WORKERS} workers x 4 threads; load {PROCESSES} processes x {THREADS} "
        f"keep-alive connections; {ROUNDS} rounds of {DURATION:.0f} s per endpoint, order "
        f"rotated; {os.cpu_count()} CPUs shared; load average before: {LOAD_BEFORE}; "
        f"port {port}, {os.environ['REDIS_URL']}"
    )
    print(f"availability answer: {slots} slots, {busy} visible busy blocks, insight mutual")
    print(
        "| endpoint | requests | req/s (median of rounds) | p50 ms | p99 ms | errors "
        "| vs trivial | vs trivial signed in |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    summary = {name: _summary(runs) for name, runs in rounds.items()}
    for name, r in summary.items():
        print(
            f"| {name} | {r['requests']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['errors']} | "
            f"{_ratio(rounds, name, 'trivial JSON view'):.0%} | "
            f"{_ratio(rounds, name, 'trivial JSON view, signed in'):.0%} |"
        )
    target = summary[AVAILABILITY]
    ratio = _ratio(rounds, AVAILABILITY, "trivial JSON view, signed in")
    ok = ratio >= 0.5 and target["p99_ms"] <= 150 and not target["errors"]
    print(
        "target (>= 50% of the signed-in trivial view, p99 <= 150 ms):",
        "MET" if ok else "NOT MET",
    )


AVAILABILITY = f"availability ({DAYS} days)"
UNCACHED = f"availability ({DAYS} days), answer not stored"
LOAD_BEFORE = " / ".join(f"{x:.1f}" for x in os.getloadavg())


def _summary(runs: list[dict]) -> dict:
    latencies = sorted(x for r in runs for x in r["latencies"])
    return {
        "requests": len(latencies),
        "errors": sum(r["errors"] for r in runs),
        "rps": statistics.median(r["rps"] for r in runs),
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def _ratio(rounds: dict[str, list[dict]], name: str, base: str) -> float:
    """Median over rounds of the throughput ratio, each taken within one round."""
    return statistics.median(
        a["rps"] / b["rps"] for a, b in zip(rounds[name], rounds[base], strict=True)
    )


if __name__ == "__main__":
    main()
