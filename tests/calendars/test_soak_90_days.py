"""A time-travel soak: one small organization lives through 90 days, hour by hour.

Google and Microsoft people, connected individually and by their organization's domain-wide
grant, with recurring meetings, all-day and multi-day events, out-of-office, tentative and
free ones, events created, moved, declined and deleted at random moments, some far ahead.
Periodic work runs as beat runs it (the polling backstop); at every simulated day, after
the poll, every member's busy times as Together shows them (calendars.selectors.busy_for,
what every booking page reads) must equal the truth computed from the emulator's own store,
over the whole bookable range.

Kept small so CI runs it in a minute or two: six people, one poll every six hours.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.utils import timezone

from calendars import selectors, services
from calendars.models import CalendarConnection, OrganizationIntegration
from emulator.store import Attendee, merge
from tests import factories
from tests.calendars.test_domain_wide import admin_consent, connect_google_workspace
from tests.calendars.test_google_individual import connect_google
from tests.calendars.test_microsoft_individual import connect_outlook

DAYS = 90
POLL_EVERY_HOURS = 6
SEED = 16
BLOCKING = ("busy", "tentative", "oof")


@pytest.fixture
def world(emulator, client, priya_it, bob_mentor, carol_outsider):
    """Northwind: Google Workspace, domain-wide (Priya, Bob). Fabrikam: Microsoft 365,
    domain-wide (Frank, Ivy). Gina (Google) and Carol (Outlook) connected on their own."""
    emulator.control(
        "POST",
        "/accounts",
        [
            {"email": "ivy@fabrikam.example", "time_zone": "America/Los_Angeles"},
            {"email": "gina@tailspin.example", "time_zone": "America/Sao_Paulo"},
        ],
    )
    fabrikam = factories.organization("Fabrikam", "fabrikam.example")
    frank = factories.person(fabrikam, "frank", staff=True)
    ivy = factories.person(fabrikam, "ivy", time_zone="America/Los_Angeles")
    tailspin = factories.organization("Tailspin", "tailspin.example")
    gina = factories.person(tailspin, "gina", time_zone="America/Sao_Paulo")
    connect_google_workspace(client, emulator, priya_it)
    admin_consent(client, emulator, frank, "frank@fabrikam.example")
    client.force_login(gina)
    connect_google(client, emulator, "gina@tailspin.example")
    client.force_login(carol_outsider)
    connect_outlook(client, emulator)
    people = [priya_it, bob_mentor, frank, ivy, gina, carol_outsider]
    assert all(selectors.integration_state(p).can_read for p in people)
    return people


def _poll() -> None:
    """What beat's calendars-sync-all fans out, run in place."""
    for pk in CalendarConnection.objects.filter(status="active").values_list("pk", flat=True):
        services.sync_connection(connection_id=pk)
    for pk in OrganizationIntegration.objects.filter(status="active").values_list("pk", flat=True):
        services.sync_organization(integration_id=pk)


class Life:
    """Random but reproducible changes to people's calendars, straight in the emulator."""

    def __init__(self, emulator, people, rng: random.Random) -> None:
        self.emulator = emulator
        self.store = emulator.server.emulator.store
        self.emails = [p.email for p in people]
        self.rng = rng
        self.counts: dict[str, int] = {}

    def calendar(self, email):
        return self.store.primary_calendar(email)

    def step(self) -> None:
        rng = self.rng
        if rng.random() > 0.2:
            return
        email = rng.choice(self.emails)
        action = rng.choices(["create", "move", "decline", "delete"], weights=[5, 2, 1, 2])[0]
        if action == "create":
            self.create(email)
            return
        with self.store.lock:
            events = [
                e
                for e in self.calendar(email).events.values()
                if not e.deleted and e.status != "cancelled" and not e.recurring_event_id
            ]
            if not events:
                return
            event = rng.choice(events)
            if action == "move":
                if event.recurrence:
                    return  # series keep their place; single events move
                shift = (
                    dt.timedelta(days=rng.randint(-3, 20))
                    if event.all_day
                    else (dt.timedelta(minutes=30 * rng.randint(-48, 96)))
                )
                event.start += shift
                event.end += shift
            elif action == "decline":
                owner = [a for a in event.attendees if a.email.lower() == email]
                if owner:
                    owner[0].response = "declined"
                else:
                    event.attendees.append(Attendee(email=email, response="declined"))
            else:
                event.deleted = True
                event.status = "cancelled"
            self.store.touch(event)
        self.counts[action] = self.counts.get(action, 0) + 1

    def create(self, email) -> None:
        rng = self.rng
        far = rng.random() < 0.15
        day = rng.randint(200, 420) if far else rng.randint(0, 45)
        kind = rng.choices(
            ["busy", "tentative", "oof", "free", "all_day", "multi_day", "weekly", "daily"],
            weights=[6, 2, 1, 1, 1, 1, 2, 1],
        )[0]
        spec: dict = {"summary": f"{kind} {day}"}
        if kind in ("all_day", "multi_day"):
            spec.update(start=f"+{day}d", days=1 if kind == "all_day" else rng.randint(2, 4))
        else:
            spec.update(
                start=f"+{day}d {rng.randint(6, 19):02d}:{rng.choice(['00', '30'])}",
                duration=f"{rng.choice([30, 60, 90, 120])}m",
                show_as=kind if kind in ("busy", "tentative", "oof", "free") else "busy",
            )
            if kind == "weekly":
                spec["recurrence"] = [f"RRULE:FREQ=WEEKLY;COUNT={rng.randint(4, 30)}"]
            elif kind == "daily":
                spec["recurrence"] = [f"RRULE:FREQ=DAILY;COUNT={rng.randint(3, 15)}"]
        self.emulator.add_events(email, [spec])
        self.counts["create"] = self.counts.get("create", 0) + 1

    def truth(self, email, lo, hi) -> list[tuple[dt.datetime, dt.datetime]]:
        with self.store.lock:
            blocks = [
                (max(b.start, lo), min(b.end, hi))
                for b in self.store.busy_blocks(self.calendar(email), lo, hi)
                if b.show_as in BLOCKING
            ]
        return merge(blocks)


def _shown(people, lo, hi) -> dict[str, list[tuple[dt.datetime, dt.datetime]]]:
    busy = selectors.busy_for(people, lo, hi)
    return {
        p.email: merge([(max(i.start, lo), min(i.end, hi)) for i in busy[p.pk].intervals])
        for p in people
    }


def test_busy_times_equal_the_providers_truth_every_day_for_90_days(world, emulator):
    people = world
    life = Life(emulator, people, random.Random(SEED))
    wrong: list[str] = []
    checks = 0
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    with time_machine.travel(start, tick=False) as clock:
        for hour in range(DAYS * 24):
            life.step()
            if hour % POLL_EVERY_HOURS == 0:
                _poll()
            if hour % 24 == 0:
                now = timezone.now()
                lo, hi = now, now + services.booking_horizon()
                shown = _shown(people, lo, hi)
                for p in people:
                    checks += 1
                    truth = life.truth(p.email, lo, hi)
                    if shown[p.email] != truth:
                        missing = sorted(set(truth) - set(shown[p.email]))[:3]
                        extra = sorted(set(shown[p.email]) - set(truth))[:3]
                        wrong.append(f"day {hour // 24} {p.email}: missing {missing} extra {extra}")
            clock.shift(dt.timedelta(hours=1))
    assert not wrong, f"{len(wrong)} wrong days, first: " + "\n".join(wrong[:8])
    assert checks == DAYS * len(people)
    assert sum(life.counts.values()) > 2 * DAYS, life.counts  # the world did change, a lot
