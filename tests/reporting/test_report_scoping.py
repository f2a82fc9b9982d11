"""Staff see only their organization's program reports, exports and drill-downs; root sees all."""

import pytest
from django.urls import reverse

from tests.reporting.conftest import MARCH

CHANGELIST = "admin:reporting_programreport_changelist"


def urls_for(program):
    return [
        reverse("admin:reporting_programreport_change", args=[program.pk]),
        reverse("admin:reporting_programreport_drilldown", args=[program.pk, "matches"]),
        reverse("admin:reporting_programreport_drilldown", args=[program.pk, "sessions-booked"]),
        reverse("admin:reporting_programreport_csv", args=[program.pk, "sessions"]),
        reverse("admin:reporting_programreport_csv", args=[program.pk, "matches-waiting"]),
    ]


def test_staff_see_only_their_organizations_programs_in_the_comparison(
    priya_staff, march, contoso_program
):
    page = priya_staff.get(reverse(CHANGELIST))
    assert page.status_code == 200
    assert b"Mentoring" in page.content
    assert b"Contoso Mentoring" not in page.content


def test_staff_cannot_open_another_organizations_report_export_or_drilldown(
    priya_staff, contoso_program
):
    for url in urls_for(contoso_program):
        assert priya_staff.get(url, MARCH).status_code == 404, url


def test_the_other_organizations_staff_cannot_open_ours(carol_staff, march):
    for url in urls_for(march):
        assert carol_staff.get(url, MARCH).status_code == 404, url


def test_staff_open_their_own_report_export_and_drilldowns(priya_staff, march):
    for url in urls_for(march):
        assert priya_staff.get(url, MARCH).status_code == 200, url


def test_a_superuser_sees_every_organizations_reports(root_client, march, contoso_program):
    page = root_client.get(reverse(CHANGELIST))
    assert b"Contoso Mentoring" in page.content
    assert b"Mentoring" in page.content
    for url in urls_for(march) + urls_for(contoso_program):
        assert root_client.get(url, MARCH).status_code == 200, url


def test_people_without_the_report_permission_are_refused(client, alice_mentee, march):
    client.force_login(alice_mentee)  # not staff
    for url in urls_for(march):
        response = client.get(url, MARCH)
        assert response.status_code == 302
        assert "/admin/login/" in response.url


@pytest.mark.django_db
def test_the_report_permission_exists_and_program_admins_get_it(priya_staff, priya_admin):
    assert priya_admin.has_perm("reporting.view_programreport")


def test_the_comparison_shows_figures_per_program(priya_staff, march):
    page = priya_staff.get(reverse(CHANGELIST))
    program = page.context["cl"].result_list[0]
    # Whole life: 28 Feb–1 Apr sessions all count here; 6 live (5 booked, 1 outside).
    assert (program.match_count, program.waiting_count) == (3, 1)
    assert (program.booked_count, program.outside_count) == (5, 1)
    assert (program.completed_count, program.cancelled_count) == (2, 2)
    assert program.participant_count == 6
    assert b"83%" in page.content  # 5 of 6 through Together


def test_drilldown_rows_link_to_their_admin_pages(priya_staff, march):
    url = reverse("admin:reporting_programreport_drilldown", args=[march.pk, "matches-waiting"])
    page = priya_staff.get(url, MARCH)
    waiting = march.matches.get(mentee__email__startswith="erin")
    assert reverse("admin:programs_match_change", args=[waiting.pk]).encode() in page.content
    assert [row.values[5] for row in page.context["rows"]] == [21]


def test_an_unknown_drilldown_is_not_found(priya_staff, march):
    url = reverse("admin:reporting_programreport_drilldown", args=[march.pk, "nonsense"])
    assert priya_staff.get(url).status_code == 404


def test_the_comparison_exports_only_the_viewers_programs(priya_staff, march, contoso_program):
    response = priya_staff.get(reverse("admin:reporting_programreport_comparison_csv"))
    body = b"".join(response.streaming_content).decode()
    assert "Mentoring" in body
    assert "Contoso" not in body
    assert body.splitlines()[1].endswith(",83%")


def test_a_superuser_exports_every_organizations_programs(root_client, march, contoso_program):
    response = root_client.get(reverse("admin:reporting_programreport_comparison_csv"))
    body = b"".join(response.streaming_content).decode()
    assert "Contoso Mentoring" in body and "Northwind" in body


def test_staff_without_an_organization_are_refused(client, march):
    from programs import services
    from programs.models import User

    loose = User.objects.create_user("loose@nowhere.example", "pw", organization=None)
    services.program_admin_grant_access(user=loose)
    # A staff flag set by hand (roles never set it for someone of no organization).
    User.objects.filter(pk=loose.pk).update(is_staff=True)
    client.force_login(loose)
    for url in urls_for(march):
        assert client.get(url, MARCH).status_code == 403, url


def test_program_reports_appear_in_the_admin_index_for_program_admins(priya_staff):
    page = priya_staff.get(reverse("admin:index"))
    assert reverse(CHANGELIST).encode() in page.content
    assert b"Program reports" in page.content
