"""A signed-in person's row may come from Redis, but a deactivation, a password change or a
sign-out is refused on the very next request (programs/user_cache.py)."""

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs import services


def _signed_in(client) -> bool:
    return client.get(reverse("api_sessions")).status_code == 200


def test_a_deactivated_person_is_refused_on_the_next_request(client, alice_mentee):
    client.force_login(alice_mentee)
    assert _signed_in(client)
    assert _signed_in(client)  # the row is now cached, where Redis is on
    services.user_update(user=alice_mentee, is_active=False)
    assert not _signed_in(client)


def test_a_changed_password_signs_the_old_session_out_on_the_next_request(client, alice_mentee):
    client.force_login(alice_mentee)
    assert _signed_in(client)
    assert _signed_in(client)
    alice_mentee.set_password("a-brand-new-passphrase-42")
    alice_mentee.save()
    assert not _signed_in(client)


def test_signing_out_is_refused_on_the_next_request(client, alice_mentee):
    client.force_login(alice_mentee)
    assert _signed_in(client)
    client.post(reverse("logout"))
    assert not _signed_in(client)


def test_with_redis_a_signed_in_request_reads_no_user_row(client, alice_mentee):
    client.force_login(alice_mentee)
    assert _signed_in(client)
    with CaptureQueriesContext(connection) as queries:
        assert _signed_in(client)
    user_reads = [q["sql"] for q in queries if 'FROM "programs_user"' in q["sql"]]
    if settings.REDIS_URL:
        assert user_reads == []
    else:
        # A per-process memory cache must not hold people: the row is read every time.
        assert len(user_reads) == 1
