"""Retry policy: Retry-After honoured, otherwise capped exponential backoff with jitter."""

from __future__ import annotations

import pytest

from calendars.errors import TemporaryProviderError
from calendars.retry import MAX_INLINE_WAIT, backoff_delay, call_with_retries


def test_it_honours_retry_after():
    assert backoff_delay(0, 7, base=0.5) == 7


def test_backoff_grows_with_jitter_and_is_capped():
    delays = [backoff_delay(attempt, None, base=0.5) for attempt in range(12) for _ in range(20)]
    assert all(0 <= d <= MAX_INLINE_WAIT for d in delays)
    assert max(backoff_delay(1, None, base=0.5) for _ in range(50)) <= 1.0


def test_it_gives_up_after_the_capped_number_of_retries():
    calls, sleeps = [], []

    def flaky():
        calls.append(1)
        raise TemporaryProviderError("503", retry_after=1)

    with pytest.raises(TemporaryProviderError):
        call_with_retries(flaky, retries=3, sleep=sleeps.append)
    assert len(calls) == 4 and sleeps == [1, 1, 1]


def test_a_long_retry_after_goes_back_to_the_task_queue_instead_of_blocking():
    sleeps = []

    def limited():
        raise TemporaryProviderError("429", retry_after=120)

    with pytest.raises(TemporaryProviderError):
        call_with_retries(limited, retries=3, sleep=sleeps.append)
    assert sleeps == []


def test_the_beat_task_fans_out_one_sync_per_connection(alice_mentee, monkeypatch):
    from calendars import tasks
    from calendars.models import CalendarConnection

    CalendarConnection.objects.create(
        user=alice_mentee, provider="caldav", account_email=alice_mentee.email
    )
    seen = []
    monkeypatch.setattr(tasks.sync_connection, "delay", lambda pk: seen.append(pk))
    tasks.sync_all()
    assert len(seen) == 1
