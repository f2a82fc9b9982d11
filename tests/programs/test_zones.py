"""The time-zone list people pick from: canonical zones, found by city, country or offset."""

from __future__ import annotations

import datetime as dt

import pytest

from programs import zones

DECEMBER = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
JULY = dt.datetime(2026, 7, 2, 12, 0, tzinfo=dt.UTC)


def names(query: str, at: dt.datetime = DECEMBER) -> list[str]:
    return [zone.name for zone in zones.search_zones(query, at=at).zones]


def test_it_offers_canonical_zones_only():
    offered = {zone.name for zone in zones.canonical_zones()}
    assert {"Asia/Kolkata", "Pacific/Auckland", "America/Sao_Paulo", "UTC"} <= offered
    assert "Asia/Calcutta" not in offered
    assert not [name for name in offered if name.startswith(("US/", "Etc/"))]
    assert len(offered) < 450


@pytest.mark.parametrize(
    ("query", "expected"),
    [("kolkata", "Asia/Kolkata"), ("Kolk", "Asia/Kolkata"), ("auckland", "Pacific/Auckland")],
)
def test_it_finds_a_zone_by_city(query, expected):
    assert names(query)[0] == expected


def test_it_finds_zones_by_country():
    assert names("india")[0] == "Asia/Kolkata"
    brazil = zones.search_zones("brazil", at=DECEMBER)
    assert brazil.total == len([z for z in zones.canonical_zones() if "Brazil" in z.country])
    assert brazil.total > 10  # more than are shown: the main one must be among those shown
    assert "America/Sao_Paulo" in [z.name for z in brazil.zones]
    assert all("Brazil" in z.country for z in brazil.zones)


def test_it_finds_zones_by_their_offset_now():
    assert set(names("+05:30")) == {"Asia/Kolkata", "Asia/Colombo"}
    minus_three = zones.search_zones("-03", at=DECEMBER)
    assert "America/Sao_Paulo" in [z.name for z in minus_three.zones]
    assert all(z.offset(DECEMBER) == dt.timedelta(hours=-3) for z in minus_three.zones)
    # Auckland is +13 in (southern) summer, +12 in winter.
    assert "Pacific/Auckland" in names("UTC+13", DECEMBER)
    assert "Pacific/Auckland" not in names("UTC+13", JULY)
    assert "Pacific/Auckland" in names("+12", JULY)


def test_an_old_name_finds_its_zone_but_is_not_listed():
    assert names("calcutta") == ["Asia/Kolkata"]


def test_labels_show_the_offset_in_force_at_that_instant():
    assert zones.zone_label("Asia/Kolkata", DECEMBER) == "Asia/Kolkata — Kolkata, India (UTC+05:30)"
    assert zones.zone_label("Pacific/Auckland", DECEMBER).endswith("New Zealand (UTC+13:00)")
    assert zones.zone_label("Pacific/Auckland", JULY).endswith("New Zealand (UTC+12:00)")
    assert zones.zone_label("America/Sao_Paulo", JULY).endswith("(UTC-03:00)")
    assert zones.zone_label("America/Los_Angeles", DECEMBER).endswith("(UTC-08:00)")
    assert zones.zone_label("America/Los_Angeles", JULY).endswith("(UTC-07:00)")
    assert zones.zone_label("Asia/Calcutta", DECEMBER).startswith("Asia/Kolkata — ")


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Asia/Kolkata", "Asia/Kolkata"),
        ("asia/kolkata", "Asia/Kolkata"),
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("US/Pacific", "America/Los_Angeles"),
        ("Kolkata", "Asia/Kolkata"),
        ("São Paulo", "America/Sao_Paulo"),
        ("India", "Asia/Kolkata"),
        ("kolk", "Asia/Kolkata"),
        ("Etc/UTC", "UTC"),
    ],
)
def test_a_typed_value_is_understood(typed, zone):
    assert zones.validate_zone(typed, at=DECEMBER) == zone


def test_a_country_with_several_zones_asks_for_a_city():
    with pytest.raises(zones.UnknownZone, match=r"Brazil has \d+ time zones; type a city"):
        zones.validate_zone("Brazil", at=DECEMBER)


def test_an_unknown_zone_is_refused_with_what_to_type_instead():
    with pytest.raises(zones.UnknownZone, match="No time zone matches “Mars/Base”. Type a city"):
        zones.validate_zone("Mars/Base", at=DECEMBER)
