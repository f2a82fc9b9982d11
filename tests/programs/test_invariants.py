"""The data model's invariants hold in the database itself, not only in forms."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from programs import services
from programs.models import GroupMember, Match, Membership, Program, Session, User
from tests import factories

T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


def _session(target, **overrides):
    fields = dict(
        program=target.program,
        match=target,
        start=T0,
        end=T0 + dt.timedelta(minutes=30),
        duration_minutes=30,
    )
    fields.update(overrides)
    return Session.objects.create(**fields)


def test_a_session_must_end_after_it_starts(alice_and_bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        _session(alice_and_bob, end=T0)


def test_a_session_duration_must_be_one_the_platform_supports(alice_and_bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        _session(alice_and_bob, duration_minutes=37)


def test_a_session_belongs_to_a_match_or_a_group_not_both_nor_neither(alice_and_bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        _session(alice_and_bob, match=None)


def test_a_session_at_a_location_names_the_location(alice_and_bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        _session(alice_and_bob, conferencing=Session.Conferencing.LOCATION, location="")


def test_a_session_must_be_in_its_matchs_program(alice_and_bob, northwind):
    other = factories.one_to_one_program(northwind, name="Other")
    with pytest.raises(IntegrityError), transaction.atomic():
        _session(alice_and_bob, program=other)


def test_one_match_per_pair_and_program(alice_and_bob, mentoring, alice_mentee, bob_mentor):
    with pytest.raises(IntegrityError), transaction.atomic():
        Match.objects.create(program=mentoring, mentee=alice_mentee, mentor=bob_mentor)


def test_a_match_needs_two_people(mentoring, alice_mentee):
    with pytest.raises(IntegrityError), transaction.atomic():
        Match.objects.create(program=mentoring, mentee=alice_mentee, mentor=alice_mentee)


def test_the_database_refuses_a_match_across_organizations(mentoring, alice_mentee, carol_outsider):
    with pytest.raises(IntegrityError), transaction.atomic():
        Match.objects.create(program=mentoring, mentee=alice_mentee, mentor=carol_outsider)


def test_the_database_refuses_a_member_from_another_organization(mentoring, carol_outsider):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(program=mentoring, user=carol_outsider, role="mentee")


def test_the_database_refuses_a_group_member_from_another_organization(
    northwind, alice_mentee, carol_outsider
):
    circles = factories.group_program(northwind)
    group = services.group_create(
        program=circles, name="Circle", facilitator=alice_mentee, members=[]
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupMember.objects.create(group=group, user=carol_outsider)


def test_a_member_cannot_be_moved_to_another_organization(alice_and_bob, contoso):
    alice = User.objects.get(pk=alice_and_bob.mentee_id)
    alice.organization = contoso
    with pytest.raises(IntegrityError), transaction.atomic():
        alice.save(update_fields=["organization"])


def test_a_program_must_end_on_or_after_its_start(northwind):
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.create(
            organization=northwind,
            name="Backwards",
            starts_on=dt.date(2026, 5, 1),
            ends_on=dt.date(2026, 4, 1),
        )


def test_a_program_defaults_to_30_45_and_60_minute_sessions(northwind):
    # The service fills the default (Program.save() does not: every write goes through it).
    program = factories.one_to_one_program(northwind, name="Defaults")
    assert program.allowed_durations == [30, 45, 60]


def test_the_service_refuses_unsupported_durations(northwind):
    with pytest.raises(ValidationError, match="Unsupported duration"):
        factories.one_to_one_program(northwind, name="Odd", allowed_durations=[30, 50])
    assert not Program.objects.filter(name="Odd").exists()


def test_the_service_refuses_a_match_across_organizations_with_a_clear_message(
    mentoring, alice_mentee, carol_outsider
):
    with pytest.raises(ValidationError, match="carol@contoso.example is not in Northwind"):
        services.match_create(program=mentoring, mentee=alice_mentee, mentor=carol_outsider)
    assert not Match.objects.exists()


def test_a_user_time_zone_must_be_a_real_iana_zone(northwind):
    with pytest.raises(ValidationError, match="not a known IANA time zone"):
        services.user_create(
            email="x@northwind.example", organization=northwind, time_zone="Mars/Olympus"
        )
    assert not User.objects.filter(email="x@northwind.example").exists()


def test_emails_are_stored_lower_case(northwind):
    user = services.user_create(
        email="Dana@Northwind.Example", organization=northwind, time_zone="UTC"
    )
    assert user.email == "dana@northwind.example"
