"""Half-open intervals of epoch seconds: ``(start, end)`` with ``start <= end``.

Lists passed between these functions are sorted by start and disjoint unless a function says
otherwise. Adjacent intervals are merged as well as overlapping ones, because two back-to-back
meetings leave no gap a session could fit into.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable

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


def clip(intervals: list[Interval], lo: int, hi: int) -> list[Interval]:
    """The parts of sorted, disjoint ``intervals`` inside ``[lo, hi)``."""
    ends = [b for _, b in intervals]
    first = bisect_right(ends, lo)
    out = intervals[first : bisect_left(intervals, (hi,), first)]
    if out:
        a, b = out[0]
        if a < lo:
            out[0] = (lo, b)
        a, b = out[-1]
        if b > hi:
            out[-1] = (a, hi)
    return out


def widen(intervals: list[Interval], before: int, after: int) -> list[Interval]:
    """Each interval grown by ``before`` seconds at its start and ``after`` at its end, merged."""
    if not before and not after:
        return intervals
    return merge((a - before, b + after) for a, b in intervals)
