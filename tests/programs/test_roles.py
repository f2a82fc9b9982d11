"""Roles: organization admins, organization IT and program admins, each doing only their part.

Tested both ways on the integration views and the admin pages: the person with the role gets
in, the others (a member, a program admin, a bare staff flag, another organization's admin)
do not, and nothing changes when they try.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from calendars.models import OrganizationIntegration, Provider
from programs import roles, services
from programs.busy_versions import busy_versions
from programs.models import Match, Membership, Program, User
from programs.roles import OrganizationRole
from tests import factories

INTEGRATION_GETS = ["calendars:org_integration", "calendars:org_microsoft_callback"]
INTEGRATION_POSTS = [
    "calendars:org_google_key",
    "calendars:org_google_verify",
    "calendars:org_microsoft_consent",
    "calendars:org_disconnect",
]


@pytest.fixture
def northwind_integration(northwind, db):
    return OrganizationIntegration.objects.create(
        organization=northwind,
        provider=Provider.MICROSOFT,
        status=OrganizationIntegration.Status.ACTIVE,
        tenant_id="tenant-northwind",
    )


@pytest.fixture
def olga_org_admin(northwind):
    return factories.person(northwind, "olga", roles_held=(OrganizationRole.ADMIN,))


@pytest.fixture
def ian_it(northwind):
    return factories.person(northwind, "ian", roles_held=(OrganizationRole.IT,))


@pytest.fixture
def pam_program_admin(northwind, mentoring):
    pam = factories.person(northwind, "pam")
    services.membership_add(program=mentoring, user=pam, role=Membership.Role.ADMIN)
    return pam


@pytest.fixture
def second_program(northwind):
    program = factories.one_to_one_program(northwind, name="Leadership")
    mentee = factories.person(northwind, "lena")
    mentor = factories.person(northwind, "leo")
    services.match_create(program=program, mentee=mentee, mentor=mentor)
    return program


def _statuses(client, user):
    client.force_login(user)
    found = {}
    for name in INTEGRATION_GETS:
        found[name] = client.get(reverse(name)).status_code
    for name in INTEGRATION_POSTS:
        found[name] = client.post(reverse(name), {"confirm": "yes"}).status_code
    return found


def test_organization_it_runs_the_integration(client, ian_it, northwind_integration):
    client.force_login(ian_it)
    assert client.get(reverse("calendars:org_integration")).status_code == 200
    response = client.post(reverse("calendars:org_disconnect"), {"confirm": "yes"})
    assert response.status_code == 302
    northwind_integration.refresh_from_db()
    assert northwind_integration.status == OrganizationIntegration.Status.DISCONNECTED


@pytest.mark.parametrize("who", ["member", "program_admin", "bare_staff", "org_admin_elsewhere"])
def test_nobody_else_touches_the_integration(
    client, who, alice_mentee, pam_program_admin, contoso, northwind_integration
):
    person = {
        "member": lambda: alice_mentee,
        "program_admin": lambda: pam_program_admin,
        "bare_staff": lambda: _bare_staff(alice_mentee),
        "org_admin_elsewhere": lambda: factories.person(
            contoso, "cora", roles_held=(OrganizationRole.ADMIN, OrganizationRole.IT)
        ),
    }[who]()
    statuses = _statuses(client, person)
    if who == "org_admin_elsewhere":
        # Contoso's IT reaches Contoso's page only; Northwind's grant is untouched below.
        assert statuses["calendars:org_integration"] == 200
    else:
        assert set(statuses.values()) == {403}, statuses
    northwind_integration.refresh_from_db()
    assert northwind_integration.status == OrganizationIntegration.Status.ACTIVE


def _bare_staff(user):
    # A staff flag set by hand, as a program admin once could: it must grant nothing.
    User.objects.filter(pk=user.pk).update(is_staff=True)
    return User.objects.get(pk=user.pk)


def test_my_calendar_links_the_integration_page_for_it_only(client, ian_it, pam_program_admin):
    link = reverse("calendars:org_integration").encode()
    client.force_login(ian_it)
    assert link in client.get(reverse("calendars:my_calendar")).content
    client.force_login(pam_program_admin)
    assert link not in client.get(reverse("calendars:my_calendar")).content


def test_a_bare_staff_flag_opens_no_admin_page(client, alice_mentee, mentoring):
    staff = _bare_staff(alice_mentee)
    client.force_login(staff)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert b"Programs" not in index.content and b"Matches" not in index.content
    for name in ["programs_program", "programs_match", "programs_user", "reporting_programreport"]:
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 403, name


def test_an_organization_admin_gives_a_role_in_admin(client, olga_org_admin, bob_mentor):
    client.force_login(olga_org_admin)
    page = client.get(reverse("admin:programs_user_change", args=[bob_mentor.pk]))
    assert b'name="roles"' in page.content
    assert b"Organization IT" in page.content
    response = client.post(
        reverse("admin:programs_user_change", args=[bob_mentor.pk]),
        {
            "email": bob_mentor.email,
            "first_name": "Bob",
            "last_name": "Example",
            "time_zone": "America/New_York",
            "is_active": "on",
            "roles": [OrganizationRole.IT],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    bob = User.objects.get(pk=bob_mentor.pk)
    assert roles.organization_roles(bob) == {OrganizationRole.IT}
    assert bob.is_staff
    assert roles.manages_calendar_integration(bob)


def test_a_program_admin_cannot_give_roles_or_staff(client, pam_program_admin, bob_mentor):
    client.force_login(pam_program_admin)
    page = client.get(reverse("admin:programs_user_change", args=[bob_mentor.pk]))
    # People are visible (to match them) but not editable, and no roles field is offered.
    assert page.status_code == 200
    assert b'name="roles"' not in page.content
    response = client.post(
        reverse("admin:programs_user_change", args=[bob_mentor.pk]),
        {"email": bob_mentor.email, "is_staff": "on", "roles": [OrganizationRole.IT]},
    )
    assert response.status_code == 403
    bob = User.objects.get(pk=bob_mentor.pk)
    assert not bob.is_staff and roles.organization_roles(bob) == set()


def test_a_program_admin_cannot_name_another_program_admin(
    client, pam_program_admin, mentoring, bob_mentor
):
    client.force_login(pam_program_admin)
    response = client.post(
        reverse("admin:programs_membership_add"),
        {"program": mentoring.pk, "user": bob_mentor.pk, "role": Membership.Role.ADMIN},
    )
    assert response.status_code == 200  # the form comes back: not a valid choice
    assert b"Select a valid choice" in response.content
    assert not Membership.objects.filter(user=bob_mentor, role=Membership.Role.ADMIN).exists()
    assert not User.objects.get(pk=bob_mentor.pk).is_staff


def test_only_an_admin_of_the_same_organization_assigns_roles(
    olga_org_admin, carol_outsider, bob_mentor, pam_program_admin
):
    cora = factories.person(carol_outsider.organization, "cora", roles_held=("organization_admin",))
    with pytest.raises(PermissionDenied):
        services.organization_roles_set(
            user=bob_mentor, roles_held={OrganizationRole.IT}, granted_by=cora
        )
    with pytest.raises(PermissionDenied):
        services.organization_roles_set(
            user=bob_mentor, roles_held={OrganizationRole.IT}, granted_by=pam_program_admin
        )
    assert roles.organization_roles(User.objects.get(pk=bob_mentor.pk)) == set()
    with pytest.raises(ValidationError, match="your own organization admin role"):
        services.organization_roles_set(
            user=olga_org_admin, roles_held=set(), granted_by=olga_org_admin
        )
    assert roles.is_organization_admin(olga_org_admin)


def test_a_program_admin_sees_only_their_programs_rows_and_reports(
    client, pam_program_admin, alice_and_bob, second_program
):
    client.force_login(pam_program_admin)
    programs = client.get(reverse("admin:programs_program_changelist")).content.decode()
    assert "Mentoring" in programs and "Leadership" not in programs
    matches = client.get(reverse("admin:programs_match_changelist")).content.decode()
    assert "alice" in matches.lower() and "lena" not in matches.lower()
    reports = client.get(reverse("admin:reporting_programreport_changelist")).content.decode()
    assert "Mentoring" in reports and "Leadership" not in reports
    other = client.get(reverse("admin:programs_program_change", args=[second_program.pk]))
    assert other.status_code == 302 and other.url == reverse("admin:index")
    report = client.get(reverse("admin:reporting_programreport_change", args=[second_program.pk]))
    assert report.status_code == 404
    # The filter sidebar names only her program.
    leadership_match = Match.objects.get(program=second_program)
    page = client.get(reverse("admin:programs_match_changelist"))
    assert f"program__id__exact={second_program.pk}".encode() not in page.content
    assert client.get(
        reverse("admin:programs_match_change", args=[leadership_match.pk])
    ).status_code in (302, 404)


def test_an_organization_admin_sees_every_program_of_theirs(
    client, olga_org_admin, mentoring, second_program, contoso
):
    factories.one_to_one_program(contoso, name="Contoso Circle")
    client.force_login(olga_org_admin)
    page = client.get(reverse("admin:programs_program_changelist")).content.decode()
    assert "Mentoring" in page and "Leadership" in page and "Contoso Circle" not in page


# --- Admin writes through the services --------------------------------------------------


def test_a_match_added_in_admin_makes_both_people_members(
    client, olga_org_admin, mentoring, alice_mentee, bob_mentor
):
    client.force_login(olga_org_admin)
    response = client.post(
        reverse("admin:programs_match_add"),
        {"program": mentoring.pk, "mentee": alice_mentee.pk, "mentor": bob_mentor.pk},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Match.objects.filter(program=mentoring, mentee=alice_mentee).exists()
    roles_in_program = set(
        Membership.objects.filter(program=mentoring).values_list("user__email", "role")
    )
    assert (alice_mentee.email, "mentee") in roles_in_program
    assert (bob_mentor.email, "mentor") in roles_in_program
    report = client.get(
        reverse("admin:reporting_programreport_change", args=[mentoring.pk]),
        {"start": "2026-01-01", "end": "2026-12-31"},
    )
    by_role = report.context["figures"].participants_by_role
    assert by_role["mentee"] == 1 and by_role["mentor"] == 1


def test_a_match_refused_by_the_service_writes_nothing(
    client, olga_org_admin, alice_mentee, northwind
):
    circles = factories.group_program(northwind)
    dan = factories.person(northwind, "dan")
    client.force_login(olga_org_admin)
    response = client.post(
        reverse("admin:programs_match_add"),
        {"program": circles.pk, "mentee": alice_mentee.pk, "mentor": dan.pk},
        follow=True,
    )
    assert b"Matches belong to one-to-one programs" in response.content
    assert not Match.objects.exists()
    assert not Membership.objects.filter(program=circles).exists()


def test_a_program_added_in_admin_goes_through_program_create(client, olga_org_admin, northwind):
    client.force_login(olga_org_admin)
    response = client.post(
        reverse("admin:programs_program_add"),
        {
            "organization": northwind.pk,
            "name": "Autumn",
            "kind": "one_to_one",
            "allowed_durations": "[45, 30]",
            "target_sessions": 5,
            "starts_on": "2026-09-01",
            "ends_on": "2026-08-01",
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        },
    )
    # The dates are backwards: the service's full_clean refuses, nothing is written.
    assert not Program.objects.filter(name="Autumn").exists()
    assert response.status_code in (200, 302)


def test_ending_a_match_in_admin_invalidates_stored_availability_at_once(
    client, olga_org_admin, alice_and_bob, django_capture_on_commit_callbacks
):
    before = busy_versions([alice_and_bob.mentee_id, alice_and_bob.mentor_id])
    client.force_login(olga_org_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:programs_match_change", args=[alice_and_bob.pk]), {"is_active": ""}
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not Match.objects.get(pk=alice_and_bob.pk).is_active
    assert busy_versions([alice_and_bob.mentee_id, alice_and_bob.mentor_id]) != before


def test_ending_a_membership_ends_the_persons_matches_at_once(
    alice_and_bob, mentoring, django_capture_on_commit_callbacks
):
    before = busy_versions([alice_and_bob.mentee_id, alice_and_bob.mentor_id])
    membership = Membership.objects.get(
        program=mentoring, user_id=alice_and_bob.mentee_id, role=Membership.Role.MENTEE
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_end(membership=membership)
    assert not Match.objects.get(pk=alice_and_bob.pk).is_active
    assert busy_versions([alice_and_bob.mentee_id, alice_and_bob.mentor_id]) != before


def test_matches_are_ended_not_deleted_in_admin(client, olga_org_admin, alice_and_bob):
    client.force_login(olga_org_admin)
    response = client.post(
        reverse("admin:programs_match_delete", args=[alice_and_bob.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Match.objects.filter(pk=alice_and_bob.pk).exists()


def test_sessions_are_read_only_in_admin(client, olga_org_admin, alice_and_bob):
    client.force_login(olga_org_admin)
    assert client.get(reverse("admin:programs_session_add")).status_code == 403
