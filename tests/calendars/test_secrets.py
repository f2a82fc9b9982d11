"""Tokens and keys are encrypted at rest, rotate with MultiFernet, and never reach the logs."""

from __future__ import annotations

import io
import logging

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from calendars.crypto import _fernet
from calendars.models import CalendarConnection


def _raw_tokens():
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM calendars_calendarconnection")
        return cursor.fetchone()


def test_a_database_dump_holds_no_plaintext_token(alice_mentee):
    CalendarConnection.objects.create(
        user=alice_mentee,
        provider="google",
        account_email=alice_mentee.email,
        access_token="ya29.plain-access",
        refresh_token="1//plain-refresh",
    )
    raw = _raw_tokens()
    assert "plain" not in "".join(raw)
    conn = CalendarConnection.objects.get()
    assert conn.refresh_token == "1//plain-refresh"


def test_it_rotates_keys_with_multifernet(alice_mentee, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TOGETHER_ENCRYPTION_KEYS = [old]
    _fernet.cache_clear()
    CalendarConnection.objects.create(
        user=alice_mentee,
        provider="google",
        account_email=alice_mentee.email,
        refresh_token="secret-r",
    )
    before = _raw_tokens()[1]
    settings.TOGETHER_ENCRYPTION_KEYS = [new, old]
    assert CalendarConnection.objects.get().refresh_token == "secret-r"  # old key still decrypts
    call_command("rotate_calendar_keys", stdout=io.StringIO())
    after = _raw_tokens()[1]
    assert after != before
    settings.TOGETHER_ENCRYPTION_KEYS = [new]
    assert CalendarConnection.objects.get().refresh_token == "secret-r"
    _fernet.cache_clear()


def test_tokens_never_reach_the_logs(alice_mentee, caplog, emulator):
    from calendars import services

    caplog.set_level(logging.DEBUG)
    conn = CalendarConnection.objects.create(
        user=alice_mentee,
        provider="google",
        account_email=alice_mentee.email,
        access_token="ya29.LEAKCHECK",
        refresh_token="1//LEAKCHECK-R",
    )
    services.sync_connection(connection_id=conn.pk)  # refresh fails (unknown token): logs happen
    services.connection_disconnect(connection=conn)
    assert "LEAKCHECK" not in caplog.text
