"""A cancelled session no longer offers a way to join it."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.urls import reverse

from scheduling import services

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
SLOT = dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC)
LINK = "https://meet.example/abc-defg-hij"


def test_a_cancelled_session_shows_no_join_link(client, alice_and_bob, alice_mentee):
    with time_machine.travel(NOW, tick=False):
        session = services.session_book(
            match_or_group=alice_and_bob,
            start=SLOT,
            duration=30,
            booked_by=alice_mentee,
            conferencing=services.Conferencing(kind="custom_link", url=LINK),
        )
        client.force_login(alice_mentee)
        url = reverse("session_detail", args=[session.pk])
        assert f'href="{LINK}"' in client.get(url).content.decode()

        services.session_cancel(session=session, by=alice_mentee)
        page = client.get(url).content.decode()
        assert 'data-status="cancelled"' in page
        assert LINK not in page
        assert "Join" not in page
        home = client.get(reverse("home")).content.decode()
        assert LINK not in home
