"""The demo books every session through the booking services, inside everyone's hours, and
the README says what it prints."""

import datetime as dt
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from programs.models import Session
from scheduling import policy
from scheduling.models import SessionInvite
from tests.calendars.conftest import emulator, emulator_server  # noqa: F401
from tests.scheduling.test_invites import written_events

ROOT = Path(__file__).resolve().parents[2]
DEMO_FIXTURE = ROOT / "emulator" / "fixtures" / "together-demo.json"


@pytest.fixture
def demo_output(
    emulator,  # noqa: F811
    settings,
    db,
    capsys,
    django_capture_on_commit_callbacks,
):
    emulator.reset(json.loads(DEMO_FIXTURE.read_text()))
    settings.CALENDAR_EMULATOR_URL = emulator.base
    settings.MICROSOFT_CLIENT_ID = "6c1c5a53-4f4e-4b8e-9d1a-7b0f0e2a1d01"
    settings.MICROSOFT_CLIENT_SECRET = "demo-microsoft-client-secret"
    settings.GOOGLE_OAUTH_CLIENT_ID = "together-demo.apps.googleusercontent.com"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = "demo-google-client-secret"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")
    return capsys.readouterr().out


def test_the_demo_books_sessions_with_invites_in_the_emulated_calendars(emulator, demo_output):  # noqa: F811
    out = demo_output
    assert "Ben booked a weekly series of 3 with Ada." in out
    assert "Dev booked a session with Chloe." in out
    assert "Liam scheduled a Platform Circle session (7 of 7 free)." in out
    assert "Mateo booked a session with Aroha (Contoso, Microsoft Teams)." in out
    # One session is due for a reminder as soon as the worker's beat first runs.
    assert upcoming_within_a_day().filter(match__mentee__email="felipe@northwind.example")

    upcoming = Session.objects.filter(start__gt=timezone.now()).select_related("invite")
    series = [s for s in upcoming if s.booked_by.email == "ben@northwind.example"]
    assert len(series) == 3 and len({s.series_id for s in series}) == 1
    assert {s.invite.state for s in upcoming} == {SessionInvite.State.SENT}
    google = upcoming.filter(program__organization__slug="northwind")
    assert all("meet" in s.conference_url for s in google)
    group_session = upcoming.get(group__isnull=False)
    assert group_session.participants.count() == 7
    # Contoso books through Microsoft Graph, with a Teams link.
    contoso = upcoming.get(program__organization__slug="contoso")
    assert "teams" in contoso.conference_url
    # Tailspin has no calendar connected: both people get an .ics invite by email.
    tailspin = upcoming.get(match__mentee__email="nadia@tailspin.example")
    ics_to = sorted(
        m.to[0] for m in mail.outbox if any(a[0].endswith(".ics") for a in m.attachments)
    )
    assert ics_to == ["nadia@tailspin.example", "owen@tailspin.example"]
    assert tailspin.conference_url == "https://meet.tailspin.example/owen-price"
    # One event per session written to a calendar, with its conference link.
    events = [e for e in written_events(emulator) if not e["deleted"]]
    written = Session.objects.exclude(program__organization__slug="tailspin").filter(
        status__in=[Session.Status.SCHEDULED, Session.Status.COMPLETED],
        origin=Session.Origin.PLATFORM,
    )
    assert sorted(e["conference_link"] for e in events) == sorted(s.conference_url for s in written)


def upcoming_within_a_day():
    now = timezone.now()
    return Session.objects.filter(
        status=Session.Status.SCHEDULED, start__gt=now, start__lte=now + dt.timedelta(hours=24)
    )


def test_the_demo_history_is_booked_through_the_services(demo_output):
    assert Session.objects.filter(status=Session.Status.COMPLETED, origin="platform").count() == 2
    assert Session.objects.filter(origin=Session.Origin.OUTSIDE).count() == 1
    cancelled = Session.objects.get(status=Session.Status.CANCELLED)
    assert cancelled.invite.state == SessionInvite.State.CANCELLED
    # Booked before they happened, as people do: every one has an invite but the outside one.
    assert not Session.objects.filter(origin="platform", invite__isnull=True).exists()


def test_hiros_past_session_is_yesterday_in_tokyo_within_his_hours(demo_output):
    assert "Hiro and Grace have yesterday's session to mark as done." in demo_output
    session = Session.objects.get(
        match__mentee__email="hiro@northwind.example", status=Session.Status.SCHEDULED
    )
    tokyo = ZoneInfo("Asia/Tokyo")
    start, end = session.start.astimezone(tokyo), session.end.astimezone(tokyo)
    assert start.date() == timezone.now().astimezone(tokyo).date() - dt.timedelta(days=1)
    assert dt.time(9, 0) <= start.time() and end.time() <= dt.time(17, 0)
    assert session.end < timezone.now()


def test_every_demo_session_is_within_everyones_bookable_hours(demo_output):
    sessions = Session.objects.prefetch_related("participants")
    assert sessions.count() >= 12
    for session in sessions:
        people = list(session.participants.all())
        owner = session.match or session.group
        day = session.start.date()
        rules = policy.policy_for(program=owner.program, users=people, first_day=day, last_day=day)
        # The policy's own question, as the wizard asks it: None when everyone's hours hold it.
        found = rules.why_not_hours(
            users=people,
            booker=session.booked_by,
            booker_tz=session.booked_by.time_zone,
            start=session.start,
            duration=session.duration_minutes,
            now=session.start,
        )
        assert found is None, (session, found)


def test_the_readme_says_who_books_what_as_the_demo_prints_it(demo_output):
    readme = (ROOT / "README.md").read_text()
    said = [
        line.strip()
        for line in demo_output.splitlines()
        if re.search(r" (booked|scheduled) | to mark as done|^Earlier: ", line)
        and not line.startswith(("Subject", "DESCRIPTION", " "))
    ]
    assert len(said) == 8, said
    for line in said:
        assert line in readme, f"README.md does not say: {line}"
    # And the journeys with their logins, line for line.
    journeys = demo_output.split("Journeys — sign in as, then try:\n")[1].split("\n\n")[0]
    assert journeys.count("\n") > 20
    for line in journeys.splitlines():
        assert line.rstrip() in readme, f"README.md does not say: {line}"
