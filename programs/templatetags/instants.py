"""Instants written for machines (URLs, data attributes), never for people.

People's times are rendered plainly and Django shows them in the active zone
(programs.viewing_zone); a URL parameter needs the instant itself, which this writes in UTC.
"""

from __future__ import annotations

import datetime as dt

from django import template

register = template.Library()


@register.filter
def utc_iso(value: dt.datetime) -> str:
    """``2026-12-03T12:00:00Z``: the instant, whatever zone the page renders in."""
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise ValueError(f"utc_iso needs an aware datetime, not {value!r}")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
