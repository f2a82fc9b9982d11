"""Bad input at the OAuth boundary: each gets a clear page, and nothing is stored."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.urls import reverse

from calendars.models import CalendarConnection
from tests import factories
from tests.calendars.test_google_individual import follow_back, start_connect


@pytest.fixture
def alice_client(client, alice_mentee):
    client.force_login(alice_mentee)
    return client


def test_a_replayed_code_is_refused_even_with_a_fresh_state(emulator, alice_client):
    first = emulator.consent(start_connect(alice_client), account="alice@northwind.example")
    assert follow_back(alice_client, first).status_code == 302
    CalendarConnection.objects.all().delete()
    code = parse_qs(urlsplit(first).query)["code"][0]
    fresh_state = parse_qs(urlsplit(start_connect(alice_client)).query)["state"][0]
    replay = alice_client.get(
        reverse("calendars:oauth_callback", args=["google"])
        + "?"
        + urlencode({"code": code, "state": fresh_state})
    )
    assert replay.status_code == 400
    assert b"Google refused the sign-in" in replay.content
    assert not CalendarConnection.objects.exists()


def test_declining_consent_shows_a_clear_page(emulator, alice_client):
    back = emulator.consent(
        start_connect(alice_client), account="alice@northwind.example", decision="decline"
    )
    response = follow_back(alice_client, back)
    assert response.status_code == 400
    assert b"did not grant access" in response.content
    assert not CalendarConnection.objects.exists()


def test_a_state_for_the_other_provider_is_refused(emulator, alice_client):
    url = start_connect(alice_client)
    state = parse_qs(urlsplit(url).query)["state"][0]
    response = alice_client.get(
        reverse("calendars:oauth_callback", args=["microsoft"]), {"state": state, "code": "x"}
    )
    assert response.status_code == 400
    assert not CalendarConnection.objects.exists()


def test_outlook_work_account_whose_org_requires_admin_approval(emulator, client, db):
    emulator.control(
        "POST",
        "/organizations",
        {
            "name": "Strict",
            "provider": "microsoft",
            "domains": ["strict.example"],
            "user_consent_requires_admin": True,
        },
    )
    emulator.control("POST", "/accounts", {"email": "sam@strict.example"})
    strict = factories.organization("Strict", "strict.example")
    sam = factories.person(strict, "sam")
    client.force_login(sam)
    back = emulator.consent(start_connect(client, "microsoft"), account="sam@strict.example")
    response = follow_back(client, back)
    assert response.status_code == 400
    assert b"has not approved this app" in response.content
    assert b"Sign in with a different account" in response.content
    assert not CalendarConnection.objects.exists()


def test_it_refuses_more_accounts_than_the_setting_allows(
    emulator, alice_client, alice_mentee, settings
):
    settings.CALENDAR_ACCOUNTS_PER_USER = 1
    follow_back(
        alice_client,
        emulator.consent(start_connect(alice_client), account="alice@northwind.example"),
    )
    response = alice_client.post(reverse("calendars:connect", args=["microsoft"]))
    assert response.status_code == 302 and response["Location"] == reverse("calendars:my_calendar")
    assert CalendarConnection.objects.filter(user=alice_mentee).count() == 1
