"""100 simultaneous bookings of one slot on PostgreSQL: exactly one wins."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from programs.models import Session
from scheduling import services
from scheduling.models import SessionInvite

ATTEMPTS = 100
# The shared PostgreSQL server allows 100 connections for every developer's runs together, so
# the 100 attempts are released at once by a barrier but hold at most this many connections.
CONNECTIONS = 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
# The slot is two days from the real date, which may be a weekend: this is about races, not hours.
@pytest.mark.usefixtures("everyone_bookable_all_week")
def test_100_simultaneous_bookings_of_one_slot_book_exactly_one(
    alice_and_bob, alice_mentee, bob_mentor
):
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    barrier = threading.Barrier(ATTEMPTS)
    gate = threading.BoundedSemaphore(CONNECTIONS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        booker = alice_mentee if index % 2 else bob_mentor
        barrier.wait()
        with gate:
            try:
                services.session_book(
                    match_or_group=alice_and_bob,
                    start=start,
                    duration=30,
                    booked_by=booker,
                    time_zone="UTC",
                )
                result = "booked"
            except services.SlotTaken as error:
                result = f"taken: {error}"
            except Exception as error:
                result = f"error: {type(error).__name__}: {error}"
            finally:
                connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == ATTEMPTS
    assert outcomes.count("booked") == 1, [o for o in outcomes if o != "booked"][:3]
    losers = [o for o in outcomes if o != "booked"]
    assert all(o == "taken: That time was just taken; please choose another slot." for o in losers)
    assert Session.objects.filter(start=start, status="scheduled").count() == 1
    assert SessionInvite.objects.count() == 1
