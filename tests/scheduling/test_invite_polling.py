"""When a page keeps asking for a pending invite's state (htmx every 2 s), and when it stops:
for 30 s after the invite last changed, never while it waits for a calendar reconnect."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from programs.models import Session
from scheduling import invites, services
from scheduling.models import SessionInvite
from tests.calendars.conftest import emulator, emulator_server, priya_it  # noqa: F401
from tests.calendars.test_domain_wide import connect_google_workspace
from tests.calendars.test_google_individual import connect_google

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
SLOT = dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC)
PAGES = ["home", "session_list", "session_detail"]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def session(clock, alice_and_bob, alice_mentee) -> Session:
    """Booked by Alice. The test database never commits, so its invite stays pending."""
    return services.session_book(
        match_or_group=alice_and_bob, start=SLOT, duration=30, booked_by=alice_mentee
    )


def page_for(client, user, name: str, session: Session, **headers) -> str:
    client.force_login(user)
    args = [session.pk] if name == "session_detail" else []
    response = client.get(reverse(name, args=args), **headers)
    assert response.status_code == 200
    return response.content.decode()


def invite_state(page: str, session: Session) -> str:
    """The session's invite-state element, from its opening tag to its end."""
    found = re.findall(
        rf'(<span class="invite-state" data-invite-session="{session.pk}".*?)\n</span>',
        page,
        re.S,
    )
    assert len(found) == 1, page
    return found[0]


def polls(state: str) -> bool:
    opening = state.split(">", 1)[0]
    return 'hx-trigger="every 2s"' in opening


def wait_for_reconnect(session: Session) -> None:
    """Deliver the invite into the booker's calendar, whose grant the emulator now refuses."""
    invites.invite_deliver(invite_id=session.invite.pk)


@pytest.fixture
def alices_calendar(emulator, client, alice_mentee, session):  # noqa: F811
    """Alice's own Google calendar, connected through the emulator, whose grant she then
    revoked (the emulator's revoke_tokens fault): the write is refused for real."""
    client.force_login(alice_mentee)
    connect_google(client, emulator, account=alice_mentee.email)
    emulator.control("POST", "/faults", {"kind": "revoke_tokens", "account": alice_mentee.email})
    client.logout()


@pytest.fixture
def northwinds_integration(emulator, client, priya_it, alice_mentee, session):  # noqa: F811
    """Northwind's domain-wide Google grant, writing into Alice's primary calendar, whose
    delegation the organization's Google admin then withdrew."""
    connect_google_workspace(client, emulator, priya_it)
    emulator.control("POST", "/faults", {"kind": "withdraw_delegation", "org": "Northwind"})
    client.logout()


@pytest.mark.parametrize("name", PAGES)
def test_a_fresh_pending_invite_polls_every_two_seconds(client, session, alice_mentee, name):
    state = invite_state(page_for(client, alice_mentee, name, session), session)
    assert polls(state)
    assert f'hx-get="{reverse("session_detail", args=[session.pk])}"' in state
    assert "Invite pending" in state and "still sending" not in state


def test_it_keeps_polling_for_30_seconds_then_stops(client, clock, session, alice_mentee):
    clock.shift(dt.timedelta(seconds=29))
    assert polls(invite_state(page_for(client, alice_mentee, "home", session), session))
    clock.shift(dt.timedelta(seconds=2))
    # What the 2-second poll gets back: the partial, now without the trigger, so it stops.
    partial = page_for(client, alice_mentee, "session_detail", session, HTTP_HX_REQUEST="true")
    assert not polls(invite_state(partial, session))
    assert "still sending" in partial and "check again" in partial


@pytest.mark.parametrize("name", PAGES)
def test_an_invite_pending_for_over_30_seconds_does_not_poll(
    client, clock, session, bob_mentor, name
):
    clock.shift(dt.timedelta(minutes=5))
    state = invite_state(page_for(client, bob_mentor, name, session), session)
    assert not polls(state)
    assert "Invite pending" in state and "still sending" in state


def test_a_rescheduled_invite_polls_again(client, clock, session, alice_mentee):
    SessionInvite.objects.filter(session=session).update(state=SessionInvite.State.SENT)
    clock.shift(dt.timedelta(days=1))
    services.session_reschedule(
        session=session, start=SLOT + dt.timedelta(days=1), by=alice_mentee, time_zone="UTC"
    )
    state = invite_state(page_for(client, alice_mentee, "home", session), session)
    assert polls(state) and "Invite pending" in state


@pytest.mark.parametrize("name", PAGES)
def test_an_invite_waiting_for_a_reconnect_does_not_poll(
    client, session, alice_mentee, bob_mentor, alices_calendar, name
):
    wait_for_reconnect(session)
    invite = SessionInvite.objects.get(session=session)
    assert invite.state == SessionInvite.State.PENDING and invite.waiting_for_reconnect
    # Just now changed, but nothing will happen until Alice reconnects.
    for_bob = invite_state(page_for(client, bob_mentor, name, session), session)
    assert not polls(for_bob)
    assert "Invite waiting" in for_bob
    assert "waiting for Alice Example to reconnect their calendar" in for_bob
    assert "still sending" not in for_bob
    for_alice = invite_state(page_for(client, alice_mentee, name, session), session)
    assert not polls(for_alice)
    assert "waiting for you to" in for_alice
    assert f'href="{reverse("calendars:my_calendar")}"' in for_alice


def test_an_invite_waiting_for_the_organization_says_so(
    client, session, bob_mentor, northwinds_integration
):
    wait_for_reconnect(session)
    state = invite_state(page_for(client, bob_mentor, "session_detail", session), session)
    assert not polls(state)
    assert "waiting for your organization to fix its calendar integration" in state


def test_a_failed_temporary_attempt_is_not_taken_for_a_reconnect(client, session, bob_mentor):
    SessionInvite.objects.filter(session=session).update(
        notice="Google is not answering right now; Together keeps trying.",
        last_error="Google 503",
    )
    state = invite_state(page_for(client, bob_mentor, "home", session), session)
    assert polls(state) and "Google is not answering right now" in state
    assert "waiting for" not in state and "Google 503" not in state
