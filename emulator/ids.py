"""Identifiers shaped like each provider's own."""

from __future__ import annotations

import base64
import re
import secrets
import uuid

BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
# Google's rule for client-supplied event ids: base32hex characters, 5 to 1024 of them.
GOOGLE_EVENT_ID = re.compile(r"^[0-9a-v]{5,1024}$")


def google_event_id() -> str:
    number = uuid.uuid4().int
    chars = []
    for _ in range(26):
        number, digit = divmod(number, 32)
        chars.append(BASE32HEX[digit])
    return "".join(chars)


def google_user_id() -> str:
    return "1" + "".join(secrets.choice("0123456789") for _ in range(20))


def google_secondary_calendar_id() -> str:
    return secrets.token_hex(20) + "@group.calendar.google.com"


def graph_id(prefix: str = "AAMkAG") -> str:
    """An opaque Exchange-style id (URL-safe, so it survives a path segment)."""
    return prefix + base64.urlsafe_b64encode(secrets.token_bytes(33)).decode()


def guid() -> str:
    return str(uuid.uuid4())


def token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def meet_code() -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    parts = ("".join(secrets.choice(letters) for _ in range(n)) for n in (3, 4, 3))
    return "-".join(parts)
