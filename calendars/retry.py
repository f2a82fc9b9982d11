"""Capped retries for provider calls: honour Retry-After, else exponential backoff with jitter."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings

from calendars.errors import TemporaryProviderError

T = TypeVar("T")

# Waiting longer than this inside one request would hold a worker hostage; past it the
# error goes up and the Celery task retries later instead.
MAX_INLINE_WAIT = 30.0


def backoff_delay(attempt: int, retry_after: float | None, base: float) -> float:
    if retry_after is not None:
        return min(float(retry_after), MAX_INLINE_WAIT)
    # Full jitter: many workers hitting one limit spread out instead of retrying in step.
    return random.uniform(0, min(MAX_INLINE_WAIT, base * (2**attempt)))


def call_with_retries(
    func: Callable[[], T],
    *,
    retries: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `func`, retrying TemporaryProviderError up to `retries` times (a setting)."""
    retries = settings.CALENDAR_MAX_RETRIES if retries is None else retries
    base = getattr(settings, "CALENDAR_RETRY_BASE_SECONDS", 0.5)
    attempt = 0
    while True:
        try:
            return func()
        except TemporaryProviderError as exc:
            if attempt >= retries or (exc.retry_after or 0) > MAX_INLINE_WAIT:
                raise
            sleep(backoff_delay(attempt, exc.retry_after, base))
            attempt += 1
