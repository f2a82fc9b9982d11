"""Benchmark of the program report (run: .venv/bin/python -m bench.bench_report).

Builds one program with 5,000 matches (10,000 mentees and mentors) and 50,000 sessions in a
scratch database, then renders its admin report page through Django's test client as a
program admin of the organization, and prints median / p95 wall time and the query count.
Also timed, for information: the program comparison list and the CSV export of every booked
session (streamed to the end).

Target (design brief): the report renders in <= 500 ms with a bounded number of queries.

Database: DATABASE_URL if set (PostgreSQL, e.g. postgres://postgres@127.0.0.1:5432/together_bench
-- a scratch database: the benchmark migrates it and replaces its own organization's data);
otherwise a throw-away SQLite file in a temporary directory. Never the development database.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time

MATCHES = 5_000
SESSIONS = 50_000
WAITING_MATCHES = 500  # the last 500 matches have no session yet
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
SLUG = "bench-report-org"


def _configure() -> None:
    if not os.environ.get("DATABASE_URL"):
        scratch = tempfile.mkdtemp(prefix="together-bench-")
        os.environ["SQLITE_PATH"] = os.path.join(scratch, "bench.sqlite3")
        print(f"scratch SQLite database: {os.environ['SQLITE_PATH']}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "together.settings")
    import django

    django.setup()


def _build():
    from calendars.models import CalendarConnection, OrganizationIntegration
    from programs import services
    from programs.models import (
        Match,
        Membership,
        Organization,
        Program,
        Session,
        SessionParticipant,
        User,
    )

    existing = Organization.objects.filter(slug=SLUG).first()
    if existing is not None:
        # Rows first: people are PROTECTed by their organization.
        SessionParticipant.objects.filter(session__program__organization=existing).delete()
        Session.objects.filter(program__organization=existing).delete()
        Program.objects.filter(organization=existing).delete()
        CalendarConnection.objects.filter(user__organization=existing).delete()
        User.objects.filter(organization=existing).delete()
        existing.delete()

    org = services.organization_create(name="Bench Org", slug=SLUG, domains=["bench.example"])
    OrganizationIntegration.objects.create(organization=org, provider="google", status="active")
    program = services.program_create(
        organization=org,
        name="Big mentoring",
        kind=Program.Kind.ONE_TO_ONE,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        target_sessions=8,
    )
    viewer = services.user_create(
        email="admin@bench.example", organization=org, time_zone="America/Toronto"
    )
    services.membership_add(program=program, user=viewer, role=Membership.Role.ADMIN)

    # A third of people use a partner domain the organization's integration does not cover.
    people = User.objects.bulk_create(
        (
            User(
                email=f"p{i}@{'partner.example' if i % 3 == 0 else 'bench.example'}",
                organization=org,
                password="!",
            )
            for i in range(2 * MATCHES)
        ),
        batch_size=2000,
    )
    Membership.objects.bulk_create(
        (
            Membership(program=program, user=u, role="mentee" if i % 2 == 0 else "mentor")
            for i, u in enumerate(people)
        ),
        batch_size=2000,
    )
    CalendarConnection.objects.bulk_create(
        (
            CalendarConnection(
                user=u,
                provider="google",
                account_email=u.email,
                status="needs_reconnect" if i % 30 == 0 else "active",
            )
            for i, u in enumerate(people)
            if i % 3 == 0 and i % 2 == 0
        ),
        batch_size=2000,
    )
    start = dt.datetime(2026, 1, 5, 14, tzinfo=dt.UTC)
    matches = Match.objects.bulk_create(
        (
            Match(
                program=program,
                mentee=people[2 * i],
                mentor=people[2 * i + 1],
                matched_at=start + dt.timedelta(minutes=17 * i),
            )
            for i in range(MATCHES)
        ),
        batch_size=2000,
    )
    booked = matches[: MATCHES - WAITING_MATCHES]
    statuses = ["completed", "completed", "scheduled", "cancelled"]
    sessions = []
    for n in range(SESSIONS):
        match = booked[n % len(booked)]
        begins = match.matched_at + dt.timedelta(days=3 + 7 * (n // len(booked)), hours=n % 5)
        sessions.append(
            Session(
                program=program,
                match=match,
                start=begins,
                end=begins + dt.timedelta(minutes=45),
                duration_minutes=45,
                status=statuses[n % 4],
                origin="outside" if n % 7 == 0 else "platform",
            )
        )
    Session.objects.bulk_create(sessions, batch_size=5000)
    # Fresh planner statistics, as autovacuum would gather soon after a load like this one;
    # without them PostgreSQL guesses one row per table and sorts 50,000 rows on disk.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return program, viewer


def _time(fn, runs: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()  # warm up (template loading, connection)
    samples = []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1000)
        queries = len(captured)
    return samples, queries


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    _configure()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from programs.models import Session

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    program, viewer = _build()
    built_s = time.perf_counter() - t0

    client = Client()
    client.force_login(viewer)
    report = reverse("admin:reporting_programreport_change", args=[program.pk])
    changelist = reverse("admin:reporting_programreport_changelist")
    export = reverse("admin:reporting_programreport_csv", args=[program.pk, "sessions-booked"])

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        if response.streaming:
            b"".join(response.streaming_content)

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"database: {engine}; built in {built_s:.1f} s; {os.cpu_count()} CPUs, load {load}")
    print(
        f"program: {program.matches.count()} matches, "
        f"{Session.objects.filter(program=program).count()} sessions; {RUNS} runs each"
    )
    ok = True
    for name, url, target in [
        ("report page", report, 500),
        ("comparison list", changelist, None),
        ("CSV of booked sessions", export, None),
    ]:
        samples, queries = _time(lambda url=url: get(url), RUNS)
        median, p95 = statistics.median(samples), _p95(samples)
        verdict = ""
        if target is not None:
            verdict = f"  target <= {target} ms: {'PASS' if p95 <= target else 'FAIL'}"
            ok = ok and p95 <= target
        # The minimum is the best estimate of the uncontended cost on a shared machine.
        print(
            f"{name:24} min {min(samples):7.1f} ms  median {median:7.1f} ms  "
            f"p95 {p95:7.1f} ms  {queries:3d} queries{verdict}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
