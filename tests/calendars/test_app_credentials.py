"""A wrong or expired client secret is the application's problem, not each user's: nobody is
asked to reconnect, the site's operators are alerted once."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from calendars import services
from calendars.models import CalendarConnection
from tests.calendars.test_google_individual import connect_google
from tests.calendars.test_microsoft_individual import connect_outlook


@pytest.fixture
def operators(settings):
    settings.ADMINS = [("Ops", "ops@together.example")]
    from django.core.cache import cache

    cache.clear()
    return settings


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_a_refused_client_secret_alerts_operators_once_and_leaves_users_alone(
    provider, operators, emulator, client, alice_mentee, carol_outsider
):
    person = alice_mentee if provider == "google" else carol_outsider
    client.force_login(person)
    (connect_google if provider == "google" else connect_outlook)(client, emulator)
    connection = CalendarConnection.objects.get(user=person)
    # The secret was rotated at the provider and Together still has the old one.
    if provider == "google":
        operators.GOOGLE_OAUTH_CLIENT_SECRET = "an-old-secret"
    else:
        operators.MICROSOFT_CLIENT_SECRET = "an-old-secret"
        from calendars.providers import microsoft

        microsoft._msal_app.cache_clear()
    mail.outbox.clear()
    for _ in range(3):
        CalendarConnection.objects.filter(pk=connection.pk).update(token_expires_at=timezone.now())
        services.sync_connection(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.status == CalendarConnection.Status.ACTIVE
    assert connection.needs_reconnect_since is None and connection.reconnect_emailed_at is None
    assert [m.to for m in mail.outbox] == [["ops@together.example"]]
    assert "application credentials" in mail.outbox[0].subject
    assert person.email not in mail.outbox[0].body
