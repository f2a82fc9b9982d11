"""The one rule for rendering instants: pages in the viewer's zone, chosen or from the profile.

Templates render aware datetimes plainly; which zone is active decides what people read. So
no template may pick a zone itself, and every render in a test is checked (tests/zone_guard.py)
to happen in its reader's zone.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from pathlib import Path

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from programs import services as programs_services
from scheduling import services
from tests import factories
from tests.zone_guard import ZoneGuard

# Not a test of hours: everyone is bookable every day 07:00-21:00 on their clock.
pytestmark = pytest.mark.usefixtures("everyone_bookable_all_week")

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# What would render an instant in a zone other than the active one.
PICKS_A_ZONE = re.compile(r"{%\s*(timezone|localtime)\b|\|\s*(utc|localtime|timezone)\b")

NOW = dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC)


def _text(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_no_template_picks_a_zone_of_its_own():
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*"))
        if path.is_file()
        for match in PICKS_A_ZONE.finditer(path.read_text())
    ]
    assert offenders == []


@pytest.mark.renders_in_a_wrong_zone_on_purpose
def test_the_guard_catches_a_render_in_a_zone_other_than_the_readers():
    template = Template("{{ start|date:'H:i' }}")
    start = dt.datetime(2026, 12, 3, 7, 45, tzinfo=dt.UTC)
    with ZoneGuard() as guard, timezone.override("UTC"):
        shown = template.render(Context({"start": start, "time_zone": "Asia/Kolkata"}))
    assert shown == "07:45"
    assert guard.wrong and "Asia/Kolkata" in guard.wrong[0]
    with ZoneGuard() as guard, timezone.override("Asia/Kolkata"):
        shown = template.render(Context({"start": start, "time_zone": "Asia/Kolkata"}))
    assert shown == "13:15" and guard.wrong == []


@pytest.fixture
def dev_and_isla(northwind):
    program = factories.one_to_one_program(
        northwind, starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2027, 6, 30)
    )
    dev = factories.person(northwind, "dev", time_zone="Asia/Kolkata")
    isla = factories.person(northwind, "isla", time_zone="Pacific/Auckland")
    match = programs_services.match_create(program=program, mentee=isla, mentor=dev)
    with time_machine.travel(NOW, tick=False):
        session = services.session_book(
            match_or_group=match,
            # 07:30 UTC: 13:00 Thursday in Kolkata, 20:30 Thursday in Auckland.
            start=dt.datetime(2026, 12, 3, 7, 30, tzinfo=dt.UTC),
            duration=30,
            booked_by=dev,
        )
    return dev, isla, session


@pytest.mark.parametrize(
    ("who", "when"),
    [
        (0, "Thursday 3 December 2026, 13:00–13:30 (Asia/Kolkata)"),
        (1, "Thursday 3 December 2026, 20:30–21:00 (Pacific/Auckland)"),
    ],
)
def test_each_person_reads_a_session_on_their_own_clock(client, dev_and_isla, who, when):
    person, session = dev_and_isla[who], dev_and_isla[2]
    client.force_login(person)
    with time_machine.travel(NOW, tick=False):
        assert when in _text(client.get(reverse("session_detail", args=[session.pk])))
        short = when.split(",")[0].replace("Thursday", "Thu").replace("December", "Dec")
        clock = when.split(", ")[1][:5]
        assert f"{short}, {clock}" in _text(client.get(reverse("home")))
        assert f"{short}, {clock}" in _text(client.get(reverse("session_list")))


def test_a_zone_chosen_in_the_wizard_is_used_on_booking_pages_and_named_there(client, dev_and_isla):
    dev, isla, session = dev_and_isla
    client.force_login(isla)
    with time_machine.travel(NOW, tick=False):
        wizard = _text(
            client.get(
                reverse("match_book", args=[session.match_id]) + "?tz=Asia/Kolkata&day=2026-12-03"
            )
        )
        assert "All times are shown in Asia/Kolkata" in wizard
        # Her home page stays on her own clock, and says so.
        home = _text(client.get(reverse("home")))
    assert "Times are shown in Pacific/Auckland" in home
    assert "Thu 3 Dec 2026, 20:30" in home
