"""Shared fixtures: named people in two organizations, programs, and a fixed clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests import factories

_deselected_postgres: list[str] = []

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
# The flags this machine needs: no sandbox as root, and no background calls to the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    # PostgreSQL-only behaviour (exclusion constraints, row locks under concurrency) cannot be
    # shown on SQLite. Those tests are deselected there, and the run says so at the end.
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    kept = []
    for item in items:
        if item.get_closest_marker("postgres"):
            _deselected_postgres.append(item.nodeid)
        else:
            kept.append(item)
    if _deselected_postgres:
        config.hook.pytest_deselected(items=[i for i in items if i.nodeid in _deselected_postgres])
        items[:] = kept


def pytest_terminal_summary(terminalreporter):
    if _deselected_postgres:
        terminalreporter.write_line(
            f"NOTE: {len(_deselected_postgres)} PostgreSQL-only tests did not run on SQLite; "
            "set DATABASE_URL to a PostgreSQL database to run them (CI does).",
            yellow=True,
        )


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    # Several developers' runs may share one PostgreSQL server: give each run its own test
    # database so one run never drops another's.
    import os

    from django.conf import settings as django_settings

    db = django_settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql") and not os.environ.get("CI"):
        db.setdefault("TEST", {})["NAME"] = f"test_{db['NAME']}_{os.getpid()}"


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Tasks run in-process unless a test starts a real worker itself."""
    from together.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _templates_render_in_the_right_zone(request):
    """Every template is rendered with the zone of the person who reads it active, so each
    aware datetime shows in that zone (templates never pick a zone themselves: see
    tests/programs/test_viewing_zone.py). A render in any other zone fails the test."""
    from tests.zone_guard import ZoneGuard

    with ZoneGuard() as guard:
        yield
    if request.node.get_closest_marker("renders_in_a_wrong_zone_on_purpose"):
        return
    assert not guard.wrong, "Times rendered in the wrong zone:\n" + "\n".join(guard.wrong)


@pytest.fixture
def fixed_now() -> dt.datetime:
    return dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def everyone_bookable_all_week(monkeypatch):
    """For tests about something other than hours: anyone without a week of their own has the
    demo people's week (every day 07:00-21:00 on their clock), instead of weekdays
    09:00-17:00."""
    from programs.demo_data import DEMO_WEEK
    from scheduling import policy

    monkeypatch.setattr(policy, "DEFAULT_WEEK", DEMO_WEEK)


@pytest.fixture
def northwind(db):
    return factories.organization("Northwind", "northwind.example")


@pytest.fixture
def contoso(db):
    return factories.organization("Contoso", "contoso.example")


@pytest.fixture
def alice_mentee(northwind):
    return factories.person(northwind, "alice", time_zone="Europe/London")


@pytest.fixture
def bob_mentor(northwind):
    return factories.person(northwind, "bob", time_zone="America/New_York")


@pytest.fixture
def priya_admin(northwind):
    return factories.person(northwind, "priya", time_zone="America/Toronto")


@pytest.fixture
def carol_outsider(contoso):
    return factories.person(contoso, "carol", time_zone="Asia/Kolkata")


@pytest.fixture
def mentoring(northwind):
    return factories.one_to_one_program(northwind)


@pytest.fixture
def alice_and_bob(mentoring, alice_mentee, bob_mentor):
    from programs import services

    return services.match_create(program=mentoring, mentee=alice_mentee, mentor=bob_mentor)


@pytest.fixture
def circle(northwind, alice_mentee, bob_mentor):
    """Circle A: Alice and Dan (Berlin), facilitated by Bob; all three are participants."""
    from programs import services

    program = factories.group_program(northwind)
    dan = factories.person(northwind, "dan", time_zone="Europe/Berlin")
    return services.group_create(
        program=program, name="Circle A", facilitator=bob_mentor, members=[alice_mentee, dan]
    )


@pytest.fixture
def chromium(monkeypatch):
    """Debian's Chromium driven by Playwright. A missing browser fails the test, loudly."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Chromium is missing: run `bash scripts/install-browser.sh` (scripts/test.sh does)"
        )
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's ORM calls stay
    # plain synchronous code, so Django's async guard does not apply to them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # While that loop runs, asgiref keeps Django's connections for this thread apart
            # from the ones it uses outside the loop, so nothing after this block (the test
            # teardown, pytest-django's final close) can see them. Close them while they are
            # still reachable, or the test database is "being accessed by other users" at the
            # end of the run and cannot be dropped.
            connections.close_all()


@pytest.fixture
def open_as(chromium, live_server):
    """A page signed in as ``user`` (session cookie from Django's test client)."""

    def _open(user, *, width: int = 1300):
        client = Client()
        client.force_login(user)
        context = chromium.new_context(viewport={"width": width, "height": 1000})
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    return _open
