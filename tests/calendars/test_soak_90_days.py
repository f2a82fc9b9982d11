"""A time-travel soak: one small organization lives through 90 days, hour by hour.

Google and Microsoft people, connected individually and by their organization's domain-wide
grant, with recurring meetings, all-day and multi-day events, out-of-office, tentative and
free ones, events created, moved, declined and deleted at random moments, some far ahead.
Google pushes every change over real HTTP to Together's webhook (a live server), and so
does Graph (change notifications on each mailbox's events, validated, clientState-checked);
some messages are lost, Google channels expire after a simulated week and are replaced by
the daily backstop poll, Graph subscriptions are renewed by it before their 10,080-minute
maximum, and Graph's lifecycle events (missed, subscriptionRemoved, reauthorizationRequired)
arrive on set days. Twice a simulated day every member's busy times as Together shows them
(calendars.selectors.busy_for, what every booking page reads) must equal the truth computed
from the emulator's own store, over the whole bookable range: at midnight, when people are
only as fresh as their pushes (a person whose message was lost since their last poll is
excused until that poll), and at noon, right after everyone's poll.

Kept small so CI runs it in a minute or two: six people.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.utils import timezone

from calendars import selectors, services
from calendars.models import CalendarConnection, OrganizationIntegration, PushChannel
from emulator.store import Attendee, merge
from tests import factories
from tests.calendars.test_domain_wide import admin_consent, connect_google_workspace
from tests.calendars.test_google_individual import connect_google
from tests.calendars.test_microsoft_individual import connect_outlook

DAYS = 90
BACKSTOP_POLL_HOUR = 12  # polling, once a day, behind both providers' pushes
# Graph lifecycle events sent to every subscription at 03:00 on these days.
LIFECYCLE_DAYS = {20: "missed", 40: "subscriptionRemoved", 60: "reauthorizationRequired"}
SEED = 16
BLOCKING = ("busy", "tentative", "oof")
LOSE_ONE_IN = 12
GOOGLE_DOMAINS = ("northwind.example", "tailspin.example")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(settings, live_server, emulator, client, priya_it, bob_mentor, carol_outsider):
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
    settings.CALENDAR_PUSH_URL = live_server.url
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


def _poll(provider: str) -> None:
    """What beat's calendars-sync-all fans out, run in place, for one provider's sources."""
    for pk in CalendarConnection.objects.filter(status="active", provider=provider).values_list(
        "pk", flat=True
    ):
        services.sync_connection(connection_id=pk)
    for pk in OrganizationIntegration.objects.filter(
        status="active", provider=provider
    ).values_list("pk", flat=True):
        services.sync_organization(integration_id=pk)


def _quiet(emulator) -> None:
    """Wait until every push is delivered and every webhook request has finished."""
    import threading
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        busy = any("process_request_thread" in t.name for t in threading.enumerate())
        if (
            not busy
            and emulator.control("GET", "/push/channels")["pending"] == 0
            and emulator.control("GET", "/graph-push/subscriptions")["pending"] == 0
        ):
            time.sleep(0.01)
            if not any("process_request_thread" in t.name for t in threading.enumerate()):
                return
        time.sleep(0.01)
    raise AssertionError("pushes did not settle within 20 s")


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

    def step(self) -> str | None:
        """Maybe change someone's calendar; returns whose."""
        rng = self.rng
        if rng.random() > 0.2:
            return None
        email = rng.choice(self.emails)
        action = rng.choices(["create", "move", "decline", "delete"], weights=[5, 2, 1, 2])[0]
        if action == "create":
            self.create(email)
            return email
        with self.store.lock:
            events = [
                e
                for e in self.calendar(email).events.values()
                if not e.deleted and e.status != "cancelled" and not e.recurring_event_id
            ]
            if not events:
                return None
            event = rng.choice(events)
            if action == "move":
                if event.recurrence:
                    return None  # series keep their place; single events move
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
        return email

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
    google_people = {p.email for p in people if p.email.split("@")[1] in GOOGLE_DOMAINS}
    life = Life(emulator, people, random.Random(SEED))
    losses = random.Random(SEED + 1)
    wrong: list[str] = []
    checks = excused = lost = 0
    unpushed: set[str] = set()  # people whose change's message was lost since a poll
    # Day one starts at midnight UTC, where the synced window rolls (services.sync_window):
    # "midnight" checks then see exactly the range the last noon poll read, whatever the
    # time of day the test is run. (Started at another hour, a check before any read of
    # the new UTC day would look hours past what was read.)
    start = timezone.now().astimezone(dt.UTC).replace(
        hour=0, minute=0, second=0, microsecond=0
    ) + dt.timedelta(days=1)
    with time_machine.travel(start, tick=False) as clock:
        for hour in range(DAYS * 24):
            lose = losses.randrange(LOSE_ONE_IN) == 0
            if lose:
                emulator.control("POST", "/push/drop", {"count": 1})
                emulator.control("POST", "/graph-push/drop", {"count": 1})
            changed = life.step()
            _quiet(emulator)
            if lose:
                if changed:
                    unpushed.add(changed)
                    lost += 1
                # Take back the drop the other provider (or both) did not use.
                if changed not in google_people:
                    emulator.control("POST", "/push/drop", {"count": -1})
                if not changed or changed in google_people:
                    emulator.control("POST", "/graph-push/drop", {"count": -1})
            if hour % 24 == 3 and hour // 24 in LIFECYCLE_DAYS:
                event = LIFECYCLE_DAYS[hour // 24]
                emulator.control("POST", "/graph-push/lifecycle", {"event": event})
                _quiet(emulator)
                if event != "reauthorizationRequired":
                    # Both bring a full read of everyone Microsoft.
                    unpushed -= {e for e in unpushed if e not in google_people}
            if hour % 24 == BACKSTOP_POLL_HOUR:
                _poll("google")
                _poll("microsoft")
                _quiet(emulator)  # a renewed channel's first message
                unpushed.clear()
            if hour % 12 == 0:
                now = timezone.now()
                lo, hi = now, now + services.booking_horizon()
                shown = _shown(people, lo, hi)
                for p in people:
                    if p.email in unpushed:
                        excused += 1
                        continue
                    checks += 1
                    truth = life.truth(p.email, lo, hi)
                    if shown[p.email] != truth:
                        missing = sorted(set(truth) - set(shown[p.email]))[:3]
                        extra = sorted(set(shown[p.email]) - set(truth))[:3]
                        wrong.append(
                            f"day {hour // 24} h{hour % 24} {p.email}: missing {missing} "
                            f"extra {extra}"
                        )
            clock.shift(dt.timedelta(hours=1))
    assert not wrong, f"{len(wrong)} wrong checks, first: " + "\n".join(wrong[:8])
    assert checks + excused == DAYS * 2 * len(people) and checks > 0.9 * (checks + excused)
    assert lost > 0, "no push was lost: the backstop was never needed"
    assert sum(life.counts.values()) > 2 * DAYS, life.counts  # the world did change, a lot
    # Each watched once: expired Google channels replaced, Graph subscriptions renewed (or,
    # after subscriptionRemoved, made anew), none left over.
    assert PushChannel.objects.filter(provider="google").count() == len(google_people)
    assert PushChannel.objects.filter(provider="microsoft").count() == len(people) - len(
        google_people
    )
    assert len(emulator.control("GET", "/graph-push/subscriptions")["subscriptions"]) == len(
        people
    ) - len(google_people)
