"""Half-open intervals of epoch seconds: ``(start, end)`` with ``start <= end``.

Lists passed between these functions are sorted by start and disjoint unless a function says
otherwise. Adjacent intervals are merged as well as overlapping ones, because two back-to-back
meetings leave no gap a session could fit into.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import compress
from operator import gt

Interval = tuple[int, int]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort ``intervals`` (in any order, possibly overlapping) and merge overlaps and touches.

    Empty intervals (``start == end``) block nothing and are dropped.
    """
    out: list[Interval] = []
    end = None
    for a, b in sorted(intervals):
        if a >= b:
            continue
        if end is not None and a <= end:
            if b > end:
                end = b
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
            end = b
    return out


def union(starts: Sequence[int], ends: Sequence[int]) -> tuple[list[int], list[int]]:
    """The union of intervals ``[starts[k], ends[k])`` as disjoint ``(starts, ends)`` lists,
    overlaps and touches merged, given ``starts`` and ``ends`` *each sorted on its own*.

    Sorting the two ends separately loses which start went with which end, but not the
    union: when each interval is non-empty, the k-th smallest start is below the k-th
    smallest end, so the union has a gap exactly where ``starts[k] > ends[k - 1]``. That
    makes the merge a handful of ``map``/``compress`` passes, with no Python-level loop and
    no sort of pairs, which matters here because it runs for every block of every person.
    """
    if not starts:
        return [], []
    tail = ends[:-1]
    fresh = list(map(gt, starts[1:], tail))
    if all(fresh):  # nothing overlaps or touches: already the union
        return list(starts), list(ends)
    return [starts[0], *compress(starts[1:], fresh)], [*compress(tail, fresh), ends[-1]]
