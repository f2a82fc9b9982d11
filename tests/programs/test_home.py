"""Sign-in, password reset and the home page."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs import services
from programs.models import Session, SessionParticipant, User
from scheduling.models import SessionInvite
from tests import factories


def test_it_asks_anonymous_visitors_to_sign_in(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_signs_in_with_email_and_password(client, alice_mentee):
    response = client.post(
        reverse("login"), {"username": "alice@northwind.example", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_it_refuses_a_wrong_password_with_a_clear_message(client, alice_mentee):
    response = client.post(
        reverse("login"), {"username": "alice@northwind.example", "password": "nope"}
    )
    assert response.status_code == 200
    assert b"didn't match" in response.content


def test_it_signs_out(client, alice_mentee):
    client.force_login(alice_mentee)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_it_emails_a_password_reset_link(client, alice_mentee):
    response = client.post(reverse("password_reset"), {"email": "alice@northwind.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Reset your Together password"
    assert "/accounts/reset/" in mail.outbox[0].body


def test_home_lists_my_matches_with_book_session(client, alice_and_bob, alice_mentee):
    client.force_login(alice_mentee)
    page = client.get(reverse("home")).content.decode()
    assert "Bob Example" in page
    assert "Your mentor" in page
    assert reverse("match_book", args=[alice_and_bob.pk]) in page


def test_home_lists_my_groups_with_book_session(client, northwind, alice_mentee, bob_mentor):
    circles = factories.group_program(northwind)
    group = services.group_create(
        program=circles, name="Platform Circle", facilitator=bob_mentor, members=[alice_mentee]
    )
    client.force_login(alice_mentee)
    page = client.get(reverse("home")).content.decode()
    assert "Platform Circle" in page
    assert reverse("group_book", args=[group.pk]) in page


def test_home_shows_upcoming_sessions_in_my_time_zone(client, alice_and_bob, alice_mentee):
    start = (timezone.now() + dt.timedelta(days=2)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    session = Session.objects.create(
        program=alice_and_bob.program,
        match=alice_and_bob,
        start=start,
        end=start + dt.timedelta(minutes=45),
        duration_minutes=45,
    )
    SessionParticipant.objects.create(session=session, user=alice_mentee)
    client.force_login(alice_mentee)
    page = client.get(reverse("home")).content.decode()
    assert start.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M") in page
    assert "Upcoming sessions" in page


def test_home_todo_asks_to_book_the_first_session(client, alice_and_bob, alice_mentee):
    client.force_login(alice_mentee)
    page = client.get(reverse("home")).content.decode()
    assert "Book your first session with Bob Example" in page


def test_home_does_not_show_other_peoples_matches(client, alice_and_bob, carol_outsider):
    client.force_login(carol_outsider)
    page = client.get(reverse("home")).content.decode()
    assert "Bob Example" not in page
    assert "You have no matches yet." in page


def test_only_the_two_people_in_a_match_can_open_its_booking_page(client, alice_and_bob, northwind):
    stranger = factories.person(northwind, "eve")
    client.force_login(stranger)
    assert client.get(reverse("match_book", args=[alice_and_bob.pk])).status_code == 404


def test_the_demo_loads_a_realistic_organization_and_prints_logins(db, capsys):
    call_command("demo")
    out = capsys.readouterr().out
    assert "together-demo" in out
    assert "programs@northwind.example" in out
    people = User.objects.filter(organization__slug="northwind")
    zones = set(people.values_list("time_zone", flat=True))
    assert "Asia/Kolkata" in zones  # a half-hour offset
    assert {"America/New_York", "Europe/London", "Australia/Sydney", "Africa/Lagos"} <= zones
    from programs.models import Group, Match

    assert Match.objects.filter(program__organization__slug="northwind").count() >= 4
    assert Group.objects.get(name="Platform Circle").members.count() == 7
    assert User.objects.get(email="programs@northwind.example").is_staff
    # Loading twice replaces the demo rather than failing or duplicating it.
    call_command("demo")
    assert Match.objects.filter(program__organization__slug="northwind").count() == 5


def upcoming_session(owner, *, days: int, booked_by: User, invite: dict | None = None) -> Session:
    """A scheduled session ``days`` ahead with every member as participant, and its invite row
    in the given state (none if ``invite`` is None), written directly as delivery would leave it."""
    start = (timezone.now() + dt.timedelta(days=days)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    is_match = hasattr(owner, "mentee")
    session = Session.objects.create(
        program=owner.program,
        match=owner if is_match else None,
        group=None if is_match else owner,
        start=start,
        end=start + dt.timedelta(minutes=30),
        duration_minutes=30,
        booked_by=booked_by,
    )
    people = [owner.mentee, owner.mentor] if is_match else list(owner.members.all())
    SessionParticipant.objects.bulk_create(
        SessionParticipant(session=session, user=u) for u in people
    )
    if invite is not None:
        SessionInvite.objects.create(session=session, **invite)
    return session


def invite_states_on_home(page: str) -> dict[int, str | None]:
    """Each upcoming-session card's invite state (``data-state``), None for a card without."""
    cards = re.findall(r'<li class="card session" data-session="(\d+)">(.*?)</li>', page, re.S)
    states = {}
    for pk, body in cards:
        found = re.findall(r'data-state="(\w+)"', body)
        assert len(found) <= 1, body
        states[int(pk)] = found[0] if found else None
    return states


def test_home_shows_each_upcoming_sessions_invite_state(
    client, alice_and_bob, alice_mentee, bob_mentor
):
    pending = upcoming_session(
        alice_and_bob, days=2, booked_by=alice_mentee, invite={"state": "pending"}
    )
    sent = upcoming_session(
        alice_and_bob,
        days=3,
        booked_by=alice_mentee,
        invite={"state": "sent", "channel": "calendar", "provider_name": "google"},
    )
    failed = upcoming_session(
        alice_and_bob,
        days=4,
        booked_by=alice_mentee,
        invite={
            "state": "failed",
            "notice": "Google did not answer. Press Retry to try again.",
            "last_error": "Google 503 backendError",
        },
    )
    no_invite = upcoming_session(alice_and_bob, days=5, booked_by=alice_mentee)
    # Bob did not book any of them; like the session page, the home page offers him Retry.
    client.force_login(bob_mentor)
    page = client.get(reverse("home")).content.decode()
    assert invite_states_on_home(page) == {
        pending.pk: "pending",
        sent.pk: "sent",
        failed.pk: "failed",
        no_invite.pk: None,
    }
    assert "Invite pending" in page and "Invite sent" in page and "Invite failed" in page
    assert "via Alice Example's Google calendar" in page
    assert "Google did not answer. Press Retry to try again." in page
    assert "backendError" not in page  # provider text is for operators only
    retry_urls = re.findall(r'action="(/sessions/\d+/retry/)"', page)
    assert retry_urls == [reverse("invite_retry", args=[failed.pk])]
    # Only the pending invite keeps asking for its new state.
    assert re.findall(r'hx-get="(/sessions/\d+/)"', page) == [
        reverse("session_detail", args=[pending.pk])
    ]


def test_home_invite_state_queries_do_not_grow_with_the_number_of_sessions(
    client, alice_and_bob, northwind, alice_mentee, bob_mentor
):
    circles = factories.group_program(northwind)
    dan = factories.person(northwind, "dan")
    group = services.group_create(
        program=circles, name="Platform Circle", facilitator=bob_mentor, members=[alice_mentee, dan]
    )
    upcoming_session(alice_and_bob, days=1, booked_by=alice_mentee, invite={"state": "sent"})
    client.force_login(alice_mentee)
    client.get(reverse("home"))  # warm up anything cached once per process
    with CaptureQueriesContext(connection) as one_session:
        client.get(reverse("home"))

    states = ["pending", "failed", "sent", "pending", "failed"]
    for day, state in enumerate(states, start=2):
        owner = group if day % 2 else alice_and_bob
        upcoming_session(
            owner,
            days=day,
            booked_by=dan if owner is group else bob_mentor,
            invite={"state": state, "channel": "calendar", "provider_name": "microsoft"},
        )
    with CaptureQueriesContext(connection) as six_sessions:
        page = client.get(reverse("home")).content.decode()

    assert sorted(invite_states_on_home(page).values()) == sorted(["sent", *states])
    assert len(six_sessions) == len(one_session), [q["sql"] for q in six_sessions]
