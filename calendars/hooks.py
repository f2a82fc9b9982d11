"""How calendars/ tells the apps above it that something changed, without importing them.

Dependencies point one way (programs ← calendars ← scheduling): an app that cares registers
a function here from its ``AppConfig.ready()``, and calendars/ calls every registered one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

# Called with the ids of people whose calendar can be written again: a reconnect, or an
# organization's grant working again for its members. Each hook must be safe to call any
# time and more than once (scheduling re-queues invites that were waiting).
WRITE_ACCESS_RESTORED: list[Callable[[list[int]], object]] = []


def on_write_access_restored(func: Callable[[list[int]], object]) -> Callable:
    if func not in WRITE_ACCESS_RESTORED:
        WRITE_ACCESS_RESTORED.append(func)
    return func


def write_access_restored(user_ids: Iterable[int]) -> None:
    ids = list(user_ids)
    if not ids:
        return
    for hook in WRITE_ACCESS_RESTORED:
        hook(ids)
