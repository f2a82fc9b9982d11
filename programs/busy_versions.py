"""A version per person that changes whenever anything deciding when they are busy changes.

Writers: scheduling (a session booked, moved or cancelled) and calendars (busy times synced,
a calendar connected, chosen, broken or disconnected, an organization's grant activated,
failed or withdrawn). Readers that keep computed availability compare the versions they
computed it with instead of trusting a freshness window. Both apps build on programs, so
the versions live here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

KEY = "busy-version:{}"


def busy_versions(user_ids: Iterable[int]) -> str:
    """A token for these people that changes whenever one of their versions is bumped."""
    keys = [KEY.format(pk) for pk in sorted(set(user_ids))]
    found = cache.get_many(keys)
    return ".".join(str(found.get(k, 0)) for k in keys)


def bump_busy_versions(user_ids: Iterable[int]) -> None:
    """Bump these people's versions once the current transaction commits (at once outside one):
    a reader must not see the new version before it can see the new data."""
    ids = set(user_ids)
    if not ids:
        return

    def bump() -> None:
        stamp = time.time_ns()
        cache.set_many({KEY.format(pk): stamp for pk in ids}, timeout=None)

    transaction.on_commit(bump)
