"""Parsing and formatting instants the way each provider writes them.

Every instant inside the emulator is an aware `datetime` in UTC; conversion to a zone
happens only when a provider's wire format asks for it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Graph accepts Windows zone names as well as IANA ones. These are the zones our users
# are likely to send; an unknown Windows name is refused like Graph refuses it.
WINDOWS_ZONES: dict[str, str] = {
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Central Europe Standard Time": "Europe/Budapest",
    "Central European Standard Time": "Europe/Warsaw",
    "E. Europe Standard Time": "Europe/Chisinau",
    "FLE Standard Time": "Europe/Kiev",
    "Russian Standard Time": "Europe/Moscow",
    "India Standard Time": "Asia/Kolkata",
    "China Standard Time": "Asia/Shanghai",
    "Tokyo Standard Time": "Asia/Tokyo",
    "Singapore Standard Time": "Asia/Singapore",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "New Zealand Standard Time": "Pacific/Auckland",
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "US Mountain Standard Time": "America/Phoenix",
    "Pacific Standard Time": "America/Los_Angeles",
    "Alaskan Standard Time": "America/Anchorage",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "E. South America Standard Time": "America/Sao_Paulo",
    "South Africa Standard Time": "Africa/Johannesburg",
}


def windows_name(iana: str) -> str:
    """The Windows name Exchange reports for an IANA zone (mailbox settings default to
    Windows names: https://learn.microsoft.com/en-us/graph/api/user-get-mailboxsettings);
    the IANA name itself where the table has none."""
    for windows, other in WINDOWS_ZONES.items():
        if other == iana and windows != "UTC":
            return windows
    return iana


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The zone for an IANA or Windows name; `KeyError` when it is neither."""
    iana = WINDOWS_ZONES.get(name, name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise KeyError(name) from exc


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 timestamp as an aware UTC datetime; `ValueError` if malformed or naive."""
    value = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return value.astimezone(UTC)


def rfc3339(value: datetime, tz: str | None = None) -> str:
    """Google's format: ``2024-05-01T10:00:00Z`` in UTC, or with the zone's offset."""
    if tz and tz != "UTC":
        local = value.astimezone(zone(tz))
        return local.isoformat(timespec="seconds")
    # isoformat is several times faster than strftime, and freeBusy formats thousands.
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="seconds")[:-6] + "Z"


def graph_parse(obj: dict[str, str] | None) -> datetime:
    """A Graph ``dateTimeTimeZone`` object as an aware UTC datetime."""
    if not obj or "dateTime" not in obj:
        raise ValueError("dateTime is required")
    text = obj["dateTime"]
    naive = datetime.fromisoformat(text[:26].rstrip("Z")) if "." in text else None
    if naive is None:
        naive = datetime.fromisoformat(text.rstrip("Z"))
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    tz = zone(obj.get("timeZone") or "UTC")
    return naive.replace(tzinfo=tz).astimezone(UTC)


def graph_format(value: datetime, tz: str = "UTC") -> dict[str, str]:
    """Graph's ``dateTimeTimeZone``: seven fractional digits, no offset, zone named apart."""
    local = value.astimezone(zone(tz)).replace(tzinfo=None)
    return {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": tz}


def local_midnight(day: date, tz: str) -> datetime:
    """The instant a calendar day starts in a zone, in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone(tz)).astimezone(UTC)


def day_span(start: date, days: int, tz: str) -> tuple[datetime, datetime]:
    return local_midnight(start, tz), local_midnight(start + timedelta(days=days), tz)
