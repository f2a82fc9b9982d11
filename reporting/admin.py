"""Program reports in Django admin, scoped like the rest of admin to the viewer's organization.

- The changelist compares programs side by side (whole-life figures).
- The "change" page of a program report is the report itself, for a date range.
- `<pk>/drill/<slug>/` lists the rows behind a number, linked to their admin pages.
- `<pk>/csv/<slug>/` streams any table or drill-down as CSV.
Every view finds the program through the scoped queryset, so another organization's program is
a 404 for staff, never a peek.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from programs.admin_scoping import OrgScopedAdmin
from reporting import charts, drilldowns, exports, selectors, tables
from reporting.forms import period_from_request
from reporting.models import ProgramReport

DRILLDOWN_PAGE_SIZE = 100
SHORT_BUCKET_LABELS = {"over-60": "60+", "none": "none yet"}
NARROW = 460  # drawing width of charts that sit in a half-width report section


@admin.register(ProgramReport)
class ProgramReportAdmin(OrgScopedAdmin):
    program_lookup = "pk"  # a program admin reads only their programs' reports
    list_display = [
        "name",
        "kind",
        "participants",
        "matches",
        "waiting",
        "booked",
        "outside",
        "completed",
        "cancelled",
        "platform_share",
        "report_link",
    ]
    list_display_links = ["name"]
    search_fields = ["name"]
    list_select_related = ["organization"]

    # Reports are read-only views of programs; editing happens under Programs.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_list_display(self, request):
        # Staff see one organization; only superusers need to tell organizations apart.
        if request.user.is_superuser:
            return ["name", "organization", *self.list_display[1:]]
        return self.list_display

    def get_list_filter(self, request):
        # A filter sidebar would squeeze the figures off screen; staff rarely run many programs.
        return ["organization", "kind"] if request.user.is_superuser else []

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": "Program reports", **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_queryset(self, request):
        return selectors.programs_compared(super().get_queryset(request))

    @admin.display(description="People", ordering="participant_count")
    def participants(self, obj):
        return _to_report(obj, "participants", obj.participant_count)

    @admin.display(description="Matches", ordering="match_count")
    def matches(self, obj):
        return _to_report(obj, "matches", obj.match_count)

    @admin.display(description="No session yet", ordering="waiting_count")
    def waiting(self, obj):
        return _to_report(obj, "matches", obj.waiting_count)

    @admin.display(description="Via Together", ordering="booked_count")
    def booked(self, obj):
        return _to_report(obj, "sessions", obj.booked_count)

    @admin.display(description="Outside", ordering="outside_count")
    def outside(self, obj):
        return _to_report(obj, "sessions", obj.outside_count)

    @admin.display(description="Completed", ordering="completed_count")
    def completed(self, obj):
        return _to_report(obj, "sessions", obj.completed_count)

    @admin.display(description="Cancelled", ordering="cancelled_count")
    def cancelled(self, obj):
        return _to_report(obj, "sessions", obj.cancelled_count)

    @admin.display(description="Share via Together")
    def platform_share(self, obj):
        live = obj.booked_count + obj.outside_count
        return tables.percent(obj.booked_count / live if live else None)

    @admin.display(description="Report")
    def report_link(self, obj):
        url = reverse("admin:reporting_programreport_change", args=[obj.pk])
        return format_html('<a href="{}">Open report</a>', url)

    # --- URLs and views -----------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        own = [
            path(
                "<int:pk>/drill/<slug:slug>/",
                wrap(self.drilldown_view),
                name="reporting_programreport_drilldown",
            ),
            path(
                "<int:pk>/csv/<slug:slug>/", wrap(self.csv_view), name="reporting_programreport_csv"
            ),
            path(
                "csv/",
                wrap(self.comparison_csv_view),
                name="reporting_programreport_comparison_csv",
            ),
        ]
        return own + super().get_urls()

    def comparison_csv_view(self, request):
        """The comparison list as CSV: the same scoped, annotated programs, all of them."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        programs = self.get_queryset(request).order_by("organization__name", "name")
        columns = [
            ("Organization", lambda p: p.organization.name),
            ("Program", lambda p: p.name),
            ("Kind", lambda p: p.get_kind_display()),
            ("Starts on", lambda p: p.starts_on.isoformat()),
            ("Ends on", lambda p: p.ends_on.isoformat()),
            ("Mentees and mentors", lambda p: p.participant_count),
            ("Matches", lambda p: p.match_count),
            ("Matches with no session yet", lambda p: p.waiting_count),
            ("Booked through Together", lambda p: p.booked_count),
            ("Marked done outside", lambda p: p.outside_count),
            ("Completed", lambda p: p.completed_count),
            ("Cancelled", lambda p: p.cancelled_count),
            ("Share booked through Together", self.platform_share),
        ]
        rows = (
            [value(program) for _name, value in columns]
            for program in programs.select_related("organization").iterator(chunk_size=500)
        )
        header = [name for name, _value in columns]
        return exports.csv_response("program-comparison.csv", header, rows)

    def _program(self, request, pk) -> ProgramReport:
        """The program, if the viewer may see its report; 404 otherwise (even if it exists)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        # The plain scoped queryset: the comparison annotations are not needed here.
        program = OrgScopedAdmin.get_queryset(self, request).filter(pk=pk).first()
        if program is None:
            raise Http404("No such program report")
        return program

    def change_view(self, request, object_id, form_url="", extra_context=None):
        try:
            pk = int(object_id)
        except (TypeError, ValueError):
            raise Http404("No such program report") from None
        program = self._program(request, pk)
        form, period = period_from_request(request, program)
        figures = selectors.program_figures(program, period)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Report: {program.name}",
            "program": program,
            "form": form,
            "period": period,
            "figures": figures,
            "sections": _sections(figures),
            "query": _range_query(period),
        }
        return TemplateResponse(request, "admin/reporting/programreport/report.html", context)

    def drilldown_view(self, request, pk, slug):
        program = self._program(request, pk)
        _form, period = period_from_request(request, program)
        listing = drilldowns.drilldown(program, period, slug)
        page = Paginator(listing.source, DRILLDOWN_PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{listing.title} — {program.name}",
            "program": program,
            "period": period,
            "listing": listing,
            "page": page,
            "rows": [listing.to_row(obj) for obj in page.object_list],
            "slug": slug,
            "query": _range_query(period),
        }
        return TemplateResponse(request, "admin/reporting/programreport/drilldown.html", context)

    def csv_view(self, request, pk, slug):
        program = self._program(request, pk)
        _form, period = period_from_request(request, program)
        filename = (
            f"{slugify(program.name)}-{slug}-{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}.csv"
        )
        if slug in REPORT_TABLE_SLUGS:
            table = tables.report_table(selectors.program_figures(program, period), slug)
            return exports.csv_response(filename, table.columns, exports.table_rows(table))
        listing = drilldowns.drilldown(program, period, slug)
        return exports.csv_response(filename, listing.columns, exports.listing_rows(listing))


REPORT_TABLE_SLUGS = {
    "participants",
    "matches",
    "sessions",
    "sessions-over-time",
    "time-to-first-session",
    "sessions-per-match",
    "group-attendance",
    "adoption-people",
    "adoption-matches",
}


def _to_report(program, section: str, value) -> str:
    """A figure in the comparison, linked to the report section that breaks it down."""
    url = reverse("admin:reporting_programreport_change", args=[program.pk])
    return format_html('<a href="{}#{}">{}</a>', url, section, value)


def _sections(figures: selectors.ProgramFigures) -> list[tuple]:
    """Each report table with the chart drawn from it, if it has one."""
    drawn = report_charts(figures)
    return [(table, drawn.get(table.slug)) for table in tables.report_tables(figures)]


def _range_query(period) -> str:
    return f"start={period.first_day.isoformat()}&end={period.last_day.isoformat()}"


def report_charts(figures: selectors.ProgramFigures) -> dict[str, str]:
    """The report's SVG charts, keyed by the table they illustrate."""
    unit = figures.timeline_unit
    timeline = charts.bar_chart(
        title=f"Sessions per {unit}",
        desc=f"Sessions not cancelled per local {unit}, booked through Together or done outside.",
        bars=[
            charts.Bar(
                f"{p.starts_on:%d %b}" if unit == "week" else f"{p.starts_on:%b %Y}",
                (p.booked, p.outside),
            )
            for p in figures.timeline
        ],
        series=[
            charts.Series("Booked through Together", charts.BLUE),
            charts.Series("Done outside", charts.ORANGE),
        ],
    )
    first = charts.bar_chart(
        title="Time from match to first session",
        desc="Matches by whole days from matched to first session (0–7, 8–14, 15–30, 31–60, "
        "over 60 days); the last bar counts matches with no session yet.",
        # Short labels fit under narrow bars; the table below spells them out.
        bars=[
            charts.Bar(SHORT_BUCKET_LABELS.get(b.slug, b.label), (b.count,))
            for b in figures.first_session_buckets
        ],
        series=[charts.Series("Matches", charts.BLUE)],
        width=NARROW,
    )
    people = figures.users_by_adoption
    adoption_people = charts.share_bar(
        title="Calendar integration of mentees and mentors",
        desc="People integrated by their organization, individually, or not at all.",
        segments=[
            (
                selectors.ADOPTION_LABELS[selectors.ORGANIZATION],
                people["organization"],
                charts.GREEN,
            ),
            (selectors.ADOPTION_LABELS[selectors.INDIVIDUAL], people["individual"], charts.BLUE),
            (selectors.ADOPTION_LABELS[selectors.NONE], people["none"], charts.GREY),
        ],
        width=NARROW,
    )
    pairs = figures.matches_by_adoption
    adoption_matches = charts.share_bar(
        title="Calendar integration of matches",
        desc="Matches with both, one or neither side integrated.",
        segments=[
            (selectors.MATCH_ADOPTION_LABELS[selectors.BOTH], pairs["both"], charts.GREEN),
            (selectors.MATCH_ADOPTION_LABELS[selectors.ONE], pairs["one"], charts.BLUE),
            (selectors.MATCH_ADOPTION_LABELS[selectors.NEITHER], pairs["neither"], charts.GREY),
        ],
        width=NARROW,
    )
    # The chart functions escape every label they draw, so their output is safe markup.
    return {
        "sessions-over-time": mark_safe(timeline),  # noqa: S308
        "time-to-first-session": mark_safe(first),  # noqa: S308
        "adoption-people": mark_safe(adoption_people),  # noqa: S308
        "adoption-matches": mark_safe(adoption_matches),  # noqa: S308
    }
