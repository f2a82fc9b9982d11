"""Sign-in, password reset and the home page."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from programs import services
from programs.models import Session, SessionParticipant, User
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
