"""The demo books sessions through the booking services once busy times are in."""

import json
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone

from programs.models import Session
from scheduling.models import SessionInvite
from tests.calendars.conftest import emulator, emulator_server  # noqa: F401
from tests.scheduling.test_invites import written_events

DEMO_FIXTURE = Path(__file__).resolve().parents[2] / "emulator" / "fixtures" / "together-demo.json"


def test_the_demo_books_sessions_with_invites_in_the_emulated_calendars(
    emulator,  # noqa: F811
    settings,
    db,
    capsys,
    django_capture_on_commit_callbacks,
):
    emulator.reset(json.loads(DEMO_FIXTURE.read_text()))
    settings.CALENDAR_EMULATOR_URL = emulator.base
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")
    out = capsys.readouterr().out
    assert "Ben booked a weekly series of 3 with Ada." in out
    assert "Dev booked a session with Chloe." in out
    assert "Liam scheduled a Platform Circle session (7 of 7 free)." in out

    booked = Session.objects.filter(invite__isnull=False).select_related("invite")
    series = [s for s in booked if s.booked_by.email == "ben@northwind.example"]
    assert len(series) == 3 and len({s.series_id for s in series}) == 1
    assert {s.invite.state for s in booked} == {SessionInvite.State.SENT}
    assert all("meet" in s.conference_url for s in booked)
    group_session = booked.get(group__isnull=False)
    assert group_session.participants.count() == 7
    # One event per booked session in the booker's emulated calendar, with its Meet link.
    events = [e for e in written_events(emulator) if not e["deleted"]]
    assert sorted(e["conference_link"] for e in events) == sorted(s.conference_url for s in booked)
    # Yesterday's session of Hiro and Grace waits to be marked as done.
    assert Session.objects.filter(
        match__mentee__email="hiro@northwind.example",
        status=Session.Status.SCHEDULED,
        end__lt=timezone.now(),
    ).exists()
