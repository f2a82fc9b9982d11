"""Sign-in is throttled by account and by address, says so plainly, and the real person gets
back in through a password reset (django-axes; settings AXES_*)."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from programs.models import User
from tests import factories

LIMIT = 5  # LOGIN_FAILURE_LIMIT's default


@pytest.fixture
def alice(alice_mentee):
    return alice_mentee


def sign_in(client, email, password, *, url="login", address="203.0.113.7", **extra):
    return client.post(
        reverse(url), {"username": email, "password": password}, REMOTE_ADDR=address, **extra
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", ["login", "admin:login"])
def test_repeated_wrong_passwords_pause_the_account_even_for_the_right_one(client, alice, url):
    for _ in range(LIMIT - 1):
        assert sign_in(client, alice.email, "wrong", url=url).status_code == 200
    paused = sign_in(client, alice.email, "wrong", url=url)
    assert paused.status_code == 429
    assert b"Sign-in paused" in paused.content
    assert b"15 minutes" in paused.content
    assert reverse("password_reset").encode() in paused.content
    right = sign_in(client, alice.email, factories.PASSWORD, url=url)
    assert right.status_code == 429
    assert not signed_in(client)


def test_another_address_does_not_get_around_the_accounts_pause(client, alice):
    for n in range(LIMIT):
        sign_in(client, alice.email, "wrong", address=f"198.51.100.{n + 1}")
    response = sign_in(client, alice.email, factories.PASSWORD, address="192.0.2.50")
    assert response.status_code == 429
    assert not signed_in(client)


def test_one_address_trying_many_accounts_is_paused(client, northwind):
    people = [factories.person(northwind, f"p{n}") for n in range(LIMIT + 1)]
    for person in people[:LIMIT]:
        sign_in(client, person.email, "wrong")
    response = sign_in(client, people[LIMIT].email, factories.PASSWORD)
    assert response.status_code == 429
    # The same person from elsewhere is not held back by that address.
    assert (
        sign_in(client, people[LIMIT].email, factories.PASSWORD, address="192.0.2.9").status_code
        == 302
    )


def test_a_forged_forwarded_for_header_does_not_change_the_address(client, northwind):
    people = [factories.person(northwind, f"q{n}") for n in range(LIMIT + 1)]
    for n, person in enumerate(people[:LIMIT]):
        sign_in(client, person.email, "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    response = sign_in(
        client, people[LIMIT].email, factories.PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9"
    )
    assert response.status_code == 429


def test_a_password_reset_lets_the_real_person_back_in_at_once(client, alice):
    for _ in range(LIMIT):
        sign_in(client, alice.email, "wrong", address="198.51.100.20")
    assert sign_in(client, alice.email, factories.PASSWORD).status_code == 429

    client.post(reverse("password_reset"), {"email": alice.email})
    link = re.search(r"https?://[^\s]+/accounts/reset/[^\s]+/", mail.outbox[-1].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form = client.get("/" + path, follow=True)
    assert form.status_code == 200
    new = "a-fresh-long-passphrase-42"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302

    response = sign_in(client, alice.email, new)
    assert response.status_code == 302
    assert signed_in(client)
    assert User.objects.get(pk=alice.pk).check_password(new)


def test_the_pause_ends_by_itself(client, alice, time_machine):
    time_machine.move_to(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False)
    for _ in range(LIMIT):
        sign_in(client, alice.email, "wrong")
    assert sign_in(client, alice.email, factories.PASSWORD).status_code == 429
    time_machine.move_to(dt.datetime(2026, 3, 2, 12, 16, tzinfo=dt.UTC), tick=False)
    assert sign_in(client, alice.email, factories.PASSWORD).status_code == 302


def test_a_right_password_before_the_limit_clears_the_count(client, alice):
    for _ in range(LIMIT - 1):
        sign_in(client, alice.email, "wrong")
    assert sign_in(client, alice.email, factories.PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert sign_in(client, alice.email, "wrong").status_code == 200
