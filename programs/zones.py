"""Time zones as people pick them: canonical names only, each with a city, a country and its
offset at a given instant, found by typing a city, a country, an offset or an old name.

The list is tz's own ``zone.tab`` (one zone per country or region, the names the tz project
keeps for people to choose from) plus UTC; aliases such as Asia/Calcutta or US/Pacific are not
offered but still accepted and mapped to their zone through tzdata's link table. The data is
read from the ``tzdata`` package so every machine offers the same list.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

UTC_NAME = "UTC"


class UnknownZone(ValueError):
    """What a person typed names no time zone (the message says what to type instead)."""


@dataclass(frozen=True)
class Zone:
    name: str  # canonical IANA name, e.g. "Asia/Kolkata"
    city: str  # "Kolkata"
    country: str  # "India" (empty for UTC)
    comment: str  # tz's own note, e.g. "most of New Zealand"
    aliases: tuple[str, ...]  # older names that mean this zone, e.g. ("Asia/Calcutta",)
    words: tuple[str, ...]  # folded words a query's words are matched against

    def offset(self, at: dt.datetime) -> dt.timedelta:
        return ZoneInfo(self.name).utcoffset(at) or dt.timedelta(0)

    def label(self, at: dt.datetime) -> str:
        place = "Coordinated Universal Time" if self.name == UTC_NAME else self.place
        return f"{self.name} — {place} (UTC{format_offset(self.offset(at))})"

    @property
    def place(self) -> str:
        return f"{self.city}, {self.country}" if self.country else self.city


def fold(text: str) -> str:
    """Lower case, accents and separators gone: "São_Paulo" and "sao paulo" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_/,.()\-:]+", " ", plain.lower()).strip()


def format_offset(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def _tzdata_text(name: str) -> str:
    return resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")


def _rows(name: str) -> list[list[str]]:
    return [
        line.split("\t")
        for line in _tzdata_text(name).splitlines()
        if line.strip() and not line.startswith("#")
    ]


@functools.cache
def _links() -> dict[str, str]:
    """Every alias in tzdata (link name → the zone it points to)."""
    links = {}
    for line in _tzdata_text("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, link = line.split()
            links[link] = target
    return links


@functools.cache
def _zones() -> dict[str, Zone]:
    countries = {code: name for code, name, *_ in _rows("iso3166.tab")}
    installed = available_timezones()
    rows: dict[str, dict] = {}
    for code, _coordinates, name, *comment in _rows("zone.tab"):
        if name not in installed:
            continue
        row = rows.setdefault(name, {"countries": [], "comment": comment[0] if comment else ""})
        row["countries"].append(countries.get(code, code))
    canonical = set(rows) | {UTC_NAME}
    aliases: dict[str, list[str]] = {name: [] for name in canonical}
    for link, target in _links().items():
        if link in canonical or link not in installed:
            continue
        target = UTC_NAME if target == "Etc/UTC" else target
        if target in aliases:
            aliases[target].append(link)
    zones = {}
    for name in sorted(canonical):
        row = rows.get(name, {"countries": [], "comment": ""})
        city = "UTC" if name == UTC_NAME else name.rsplit("/", 1)[-1].replace("_", " ")
        texts = [name, city, *row["countries"], row["comment"], *aliases[name]]
        if name == UTC_NAME:
            texts += ["Coordinated Universal Time", "GMT", "Zulu"]
        words = tuple(sorted({w for text in texts for w in fold(text).split()}))
        zones[name] = Zone(
            name=name,
            city=city,
            country=", ".join(row["countries"]),
            comment=row["comment"],
            aliases=tuple(sorted(aliases[name])),
            words=words,
        )
    return zones


# In the tz database's folder but not zones a person lives in: "localtime" is whatever zone
# the server runs in, "Factory" a placeholder that renders as "-00".
NOT_ZONES = frozenset({"localtime", "Factory"})


@functools.cache
def known_zone_names() -> frozenset[str]:
    """Every zone name Together accepts (canonical names, aliases, other real zones)."""
    return frozenset(available_timezones()) - NOT_ZONES


def is_known_zone(name: object) -> bool:
    return isinstance(name, str) and name in known_zone_names()


def canonical_zones() -> list[Zone]:
    """Every zone a person can pick, by name."""
    return list(_zones().values())


def canonical_name(name: str) -> str | None:
    """The canonical zone ``name`` means (itself, or the zone an alias points to), else None."""
    zones = _zones()
    if name in zones:
        return name
    target = _links().get(name)
    if target == "Etc/UTC" or name == "Etc/UTC":
        return UTC_NAME
    return target if target in zones else None


def zone_label(name: str, at: dt.datetime) -> str:
    """ "Asia/Kolkata — Kolkata, India (UTC+05:30)": the offset is the one in force at ``at``.
    An alias is labelled as its zone; a valid zone outside the list shows its offset only."""
    canonical = canonical_name(name)
    if canonical:
        return _zones()[canonical].label(at)
    return f"{name} (UTC{format_offset(ZoneInfo(name).utcoffset(at) or dt.timedelta(0))})"


_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+\-−])\s*(\d{1,2})(?::?(\d{2}))?$")


def _parse_offset(query: str) -> dt.timedelta | None:
    match = _OFFSET.match(query.strip().lower())
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = dt.timedelta(hours=int(hours), minutes=int(minutes or 0))
    return -delta if sign in "-−" else delta


@functools.cache
def _representatives() -> frozenset[str]:
    # zonenow.tab names one zone per group of clocks that agree from now on, usually its
    # largest city (America/Sao_Paulo for eastern South America).
    return frozenset(name for _, _, name, *_ in _rows("zonenow.tab"))


def _prominence(zone: Zone) -> tuple[int, int]:
    # Representatives first; then zones with many old names, which tz kept because many
    # people used them (America/New_York has US/Eastern and EST5EDT).
    return (0 if zone.name in _representatives() else 1, -len(zone.aliases))


@dataclass(frozen=True)
class SearchResult:
    zones: list[Zone]
    total: int  # how many matched before the limit


def search_zones(query: str, *, at: dt.datetime, limit: int = 10) -> SearchResult:
    """Zones matching a city, a country, a zone or alias name, or an offset ("+05:30",
    "-03", "UTC+13" at ``at``); best matches first."""
    query = query.strip()
    zones = canonical_zones()
    if not query:
        return SearchResult(zones=[], total=0)
    offset = _parse_offset(query)
    if offset is not None:
        found = sorted(
            (z for z in zones if z.offset(at) == offset), key=lambda z: (_prominence(z), z.name)
        )
        return SearchResult(zones=found[:limit], total=len(found))
    folded = fold(query)
    terms = folded.split()
    scored = []
    for zone in zones:
        every_term = all(any(w.startswith(t) for w in zone.words) for t in terms)
        if not every_term and folded not in fold(zone.name):
            continue
        city, country = fold(zone.city), fold(zone.country)
        if city == folded:
            rank = 0
        elif any(fold(c) == folded for c in zone.country.split(", ")):
            rank = 1
        elif city.startswith(folded):
            rank = 2
        elif country.startswith(folded):
            rank = 3
        else:
            rank = 4
        scored.append((rank, _prominence(zone), zone.name, zone))
    scored.sort(key=lambda item: item[:3])
    return SearchResult(zones=[z for *_, z in scored[:limit]], total=len(scored))


def validate_zone(value: str, *, at: dt.datetime) -> str:
    """The zone a submitted value means: a canonical name, an alias (normalised to its zone),
    any other zone this machine knows, or a city or country that has exactly one zone.
    Raises UnknownZone with a sentence saying what to type instead."""
    value = value.strip()
    if not value:
        raise UnknownZone("Type a city, a country or a time zone name, e.g. Asia/Kolkata.")
    canonical = canonical_name(value)
    if canonical:
        return canonical
    installed = known_zone_names()
    if value in installed:
        return value
    by_lower = {name.lower(): name for name in installed}
    if value.lower() in by_lower:
        return canonical_name(by_lower[value.lower()]) or by_lower[value.lower()]
    folded = fold(value)
    zones = canonical_zones()
    cities = [z for z in zones if fold(z.city) == folded]
    if len(cities) == 1:
        return cities[0].name
    in_country = [z for z in zones if any(fold(c) == folded for c in z.country.split(", "))]
    if len(in_country) == 1:
        return in_country[0].name
    if not in_country:
        typed = search_zones(value, at=at, limit=1)
        if typed.total == 1:  # e.g. "kolk", or an old city name such as "Calcutta"
            return typed.zones[0].name
    if in_country:
        country = next(c for c in in_country[0].country.split(", ") if fold(c) == folded)
        examples = sorted(in_country, key=lambda z: (_prominence(z), z.name))[:3]
        raise UnknownZone(
            f"{country} has {len(in_country)} time zones; type a city instead, e.g. "
            + ", ".join(z.city for z in examples)
            + "."
        )
    raise UnknownZone(
        f"No time zone matches “{value}”. Type a city (e.g. Kolkata), a country with one "
        "time zone (e.g. India) or a zone name (e.g. Asia/Kolkata)."
    )
