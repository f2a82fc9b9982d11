"""What a session's custom conference link may be: one rule for the pages, the API, admin and
the services (scheduling calls it before it stores a link; Session.conference_url is a
URLField, whose check alone lets through links built to mislead or to break out of markup).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from programs.errors import Refused

MAX_LENGTH = 500  # Session.conference_url's max_length
# RFC 3986's characters (unreserved, reserved and percent-escapes): no spaces, quotes,
# angle brackets, backslashes or braces, which no meeting link needs.
_URI_CHARACTERS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
_web_address = URLValidator(schemes=["http", "https"])


def check_conference_link(url: str, *, field: str = "url") -> str:
    """The link, stripped, if people can safely be sent to it; else Refused naming ``field``."""
    url = (url or "").strip()
    example = "e.g. https://meet.example.com/room"
    if not url:
        raise Refused(f"Give the custom link, {example}.", field=field)
    if len(url) > MAX_LENGTH:
        raise Refused(f"The custom link is longer than {MAX_LENGTH} characters.", field=field)
    try:
        _web_address(url)
    except ValidationError:
        raise Refused(
            f"The custom link must be a full http(s):// address, {example}.", field=field
        ) from None
    if not _URI_CHARACTERS.match(url):
        raise Refused(
            "The custom link may not contain spaces, quotes, angle brackets or braces.",
            field=field,
        )
    if "@" in urlsplit(url).netloc:
        # "http://127.0.0.1@evil.example/" goes to evil.example: the part before @ only
        # disguises where a link leads.
        raise Refused(
            "The custom link may not put a name before its host (user@host): it hides "
            "where the link goes.",
            field=field,
        )
    return url
