"""Every table of the report exports as streamed CSV with the numbers the page shows."""

import csv
import io

from django.urls import reverse

from reporting.admin import REPORT_TABLE_SLUGS
from tests.reporting.conftest import MARCH


def download(client, program, slug):
    response = client.get(
        reverse("admin:reporting_programreport_csv", args=[program.pk, slug]), MARCH
    )
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_every_table_on_the_page_has_an_export(priya_staff, march):
    page = priya_staff.get(reverse("admin:reporting_programreport_change", args=[march.pk]), MARCH)
    on_page = {table.slug for table, _chart in page.context["sections"]}
    assert on_page == REPORT_TABLE_SLUGS
    for slug in on_page:
        assert reverse("admin:reporting_programreport_csv", args=[march.pk, slug]).encode() in (
            page.content
        )


def test_it_exports_the_session_counts(priya_staff, march):
    rows = download(priya_staff, march, "sessions")
    assert rows[0] == ["Sessions", "Count"]
    assert dict(rows[1:]) == {
        "Booked through Together": "3",
        "Marked done after happening outside": "1",
        "Cancelled": "2",
        "Completed (either origin)": "2",
        "Still scheduled": "2",
        "Share booked through Together": "75%",
    }


def test_it_exports_sessions_per_week(priya_staff, march):
    rows = download(priya_staff, march, "sessions-over-time")
    assert rows[-1] == ["2026-03-30", "1", "0", "1"]


def test_it_exports_the_rows_behind_a_number(priya_staff, march):
    rows = download(priya_staff, march, "sessions-booked")
    assert rows[0][0] == "Start (your time)"
    # In the viewer's zone: the last one is 23:30 on 31 March in Toronto.
    assert [r[0] for r in rows[1:]] == ["2026-03-05 10:00", "2026-03-12 11:00", "2026-03-31 23:30"]


def test_it_exports_the_people_by_integration(priya_staff, march):
    rows = download(priya_staff, march, "people-none")
    assert rows[1:] == [["", "erin@northwind-partners.example"]]


def test_it_neutralises_spreadsheet_formulas(priya_staff, march, alice_mentee):
    alice_mentee.first_name = "=HYPERLINK(1)"
    alice_mentee.last_name = ""
    alice_mentee.save()
    rows = download(priya_staff, march, "people-organization")
    assert ["'=HYPERLINK(1)", "alice@northwind.example"] in rows


def test_staff_cannot_export_another_organizations_tables(carol_staff, march):
    for slug in sorted(REPORT_TABLE_SLUGS) + ["matches", "sessions-cancelled", "needs-reconnect"]:
        url = reverse("admin:reporting_programreport_csv", args=[march.pk, slug])
        assert carol_staff.get(url, MARCH).status_code == 404
