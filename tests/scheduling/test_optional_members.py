"""A facilitator marks group members optional: the heat map says where every required member
is free, and a booking needs only the required members' hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from programs import availability as hours
from programs import services as program_services
from programs.models import Session
from scheduling import availability, services
from tests import factories

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
TUESDAY = dt.date(2026, 3, 3)


@pytest.fixture
def circle_with_kiri(northwind, alice_mentee):
    """Alice (London) facilitates; Kiri (Auckland) is asleep during London's afternoon."""
    kiri = factories.person(northwind, "kiri", time_zone="Pacific/Auckland")
    hours.weekly_hours_set(user=kiri, week=dict.fromkeys(range(7), [(dt.time(8), dt.time(18))]))
    program = factories.group_program(northwind)
    group = program_services.group_create(
        program=program, name="Circle", facilitator=alice_mentee, members=[kiri]
    )
    return group, kiri


def book(group, booker, start):
    return services.session_book(
        match_or_group=group,
        start=start,
        duration=30,
        booked_by=booker,
        time_zone="Europe/London",
        now=NOW,
    )


def test_a_required_member_outside_their_hours_stops_a_booking_an_optional_one_does_not(
    circle_with_kiri, alice_mentee
):
    group, kiri = circle_with_kiri
    afternoon = dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC)  # 04:00 in Auckland
    with pytest.raises(services.NotBookable, match="outside Kiri Example's hours"):
        book(group, alice_mentee, afternoon)
    hours.group_member_set_optional(group=group, user=kiri, optional=True, by=alice_mentee)
    book(group, alice_mentee, afternoon)
    assert Session.objects.filter(group=group).count() == 1


def test_the_heat_map_marks_where_every_required_member_is_free(circle_with_kiri, alice_mentee):
    group, kiri = circle_with_kiri
    hours.group_member_set_optional(group=group, user=kiri, optional=True, by=alice_mentee)
    heat = availability.group_heat_map(
        group=group,
        viewer=alice_mentee,
        time_zone="UTC",
        duration=30,
        week_start=TUESDAY,
        days=1,
        now=NOW,
    )
    cells = {c.start: c for _, row in heat.rows for c in row if c is not None}
    afternoon = cells[dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC)]
    assert afternoon.outside_names == ["Kiri Example"]
    assert afternoon.required_free
    assert heat.optional_ids == {kiri.pk}


def test_only_the_facilitator_marks_members_optional(circle_with_kiri, alice_mentee):
    group, kiri = circle_with_kiri
    with pytest.raises(ValidationError, match="Only the group's facilitator"):
        hours.group_member_set_optional(group=group, user=alice_mentee, optional=True, by=kiri)
    with pytest.raises(ValidationError, match="always required"):
        hours.group_member_set_optional(
            group=group, user=alice_mentee, optional=True, by=alice_mentee
        )
    assert not group.optional_members.exists()


def test_the_facilitator_marks_a_member_optional_on_the_heat_map_page(
    circle_with_kiri, alice_mentee
):
    group, kiri = circle_with_kiri
    client = Client()
    client.force_login(alice_mentee)
    response = client.post(
        reverse("group_member_optional", args=[group.pk]), {"member": kiri.pk, "optional": "yes"}
    )
    assert response.status_code == 302
    page = client.get(reverse("group_book", args=[group.pk])).content.decode()
    assert f'data-member="{kiri.pk}" data-optional="yes"' in page
    refused = client.post(
        reverse("group_member_optional", args=[group.pk]), {"member": "x", "optional": "yes"}
    )
    assert refused.status_code == 302
    assert group.optional_members.count() == 1
