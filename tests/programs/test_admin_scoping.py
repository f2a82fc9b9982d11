"""Django admin: an organization's staff see and edit only their organization's rows."""

import pytest
from django.urls import reverse

from programs import services
from programs.models import Match, Program, Session
from programs.roles import OrganizationRole
from tests import factories


@pytest.fixture
def contoso_program(contoso, carol_outsider):
    program = factories.one_to_one_program(contoso, name="Contoso Mentoring")
    dave = factories.person(contoso, "dave")
    services.match_create(program=program, mentee=carol_outsider, mentor=dave)
    return program


@pytest.fixture
def priya_staff(client, priya_admin):
    services.organization_roles_set(
        user=priya_admin, roles_held={OrganizationRole.ADMIN}, granted_by=None
    )
    client.force_login(priya_admin)
    return client


@pytest.fixture
def root_client(client, db):
    from programs.models import User

    root = User.objects.create_superuser("root@together.example", "pw", time_zone="UTC")
    client.force_login(root)
    return client


def test_staff_see_only_their_organizations_programs(priya_staff, mentoring, contoso_program):
    page = priya_staff.get(reverse("admin:programs_program_changelist"))
    assert page.status_code == 200
    assert b"Mentoring" in page.content
    assert b"Contoso Mentoring" not in page.content


def test_staff_cannot_open_another_organizations_program(priya_staff, contoso_program):
    page = priya_staff.get(reverse("admin:programs_program_change", args=[contoso_program.pk]))
    # Django admin answers a row outside the queryset by redirecting to the index with a notice.
    assert page.status_code == 302
    assert page.url == reverse("admin:index")


def test_staff_cannot_edit_another_organizations_match(priya_staff, contoso_program):
    match = Match.objects.get(program=contoso_program)
    response = priya_staff.post(
        reverse("admin:programs_match_change", args=[match.pk]),
        {
            "program": contoso_program.pk,
            "mentee": match.mentee_id,
            "mentor": match.mentor_id,
            "matched_at_0": "2026-01-01",
            "matched_at_1": "10:00",
        },
    )
    assert response.status_code == 302
    assert Match.objects.get(pk=match.pk).is_active  # unchanged


def test_staff_see_only_their_organizations_people_and_organization(
    priya_staff, alice_mentee, carol_outsider
):
    people = priya_staff.get(reverse("admin:programs_user_changelist"))
    assert b"alice@northwind.example" in people.content
    assert b"carol@contoso.example" not in people.content
    orgs = priya_staff.get(reverse("admin:programs_organization_changelist"))
    assert b"Northwind" in orgs.content
    assert b"Contoso" not in orgs.content


def test_staff_cannot_create_a_program_in_another_organization(priya_staff, contoso):
    response = priya_staff.post(
        reverse("admin:programs_program_add"),
        {
            "organization": contoso.pk,
            "name": "Sneaky",
            "kind": "one_to_one",
            "allowed_durations": "[30]",
            "target_sessions": 3,
            "starts_on": "2026-01-01",
            "ends_on": "2026-02-01",
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200  # the form comes back with an error
    assert b"Select a valid choice" in response.content
    assert not Program.objects.filter(name="Sneaky").exists()


def test_staff_can_create_a_program_in_their_own_organization(priya_staff, northwind):
    response = priya_staff.post(
        reverse("admin:programs_program_add"),
        {
            "organization": northwind.pk,
            "name": "Spring cohort",
            "kind": "one_to_one",
            "allowed_durations": "[30, 60]",
            "target_sessions": 4,
            "starts_on": "2026-03-01",
            "ends_on": "2026-06-01",
            "created_at_0": "2026-01-01",
            "created_at_1": "10:00",
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Program.objects.get(name="Spring cohort").allowed_durations == [30, 60]


def test_staff_sessions_list_is_scoped(priya_staff, alice_and_bob, contoso_program):
    import datetime as dt

    start = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
    other = Match.objects.get(program=contoso_program)
    for match in (alice_and_bob, other):
        Session.objects.create(
            program=match.program,
            match=match,
            start=start,
            end=start + dt.timedelta(minutes=30),
            duration_minutes=30,
            agenda=f"agenda-{match.program.name}",
        )
    page = priya_staff.get(reverse("admin:programs_session_changelist"))
    listed = page.context["cl"].queryset
    assert [s.agenda for s in listed] == ["agenda-Mentoring"]


def test_staff_cannot_grant_themselves_superuser(priya_staff, priya_admin):
    page = priya_staff.get(reverse("admin:programs_user_change", args=[priya_admin.pk]))
    assert page.status_code == 200
    assert b'name="is_superuser"' not in page.content


def test_superusers_see_every_organization(root_client, mentoring, contoso_program):
    page = root_client.get(reverse("admin:programs_program_changelist"))
    assert b"Mentoring" in page.content and b"Contoso Mentoring" in page.content
    assert (
        root_client.get(
            reverse("admin:programs_program_change", args=[contoso_program.pk])
        ).status_code
        == 200
    )


def test_every_model_is_in_admin(root_client):
    index = root_client.get(reverse("admin:index")).content.decode()
    for name in [
        "Organizations",
        "Programs",
        "Memberships",
        "Matches",
        "Groups",
        "Sessions",
        "Session series",
        "Users",
    ]:
        assert f">{name}<" in index, name
