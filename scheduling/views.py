"""The booking pages: the 1:1 wizard, the group heat map, confirm, and the session page.

Views are thin: find the match/group/session the person belongs to (404 otherwise), parse the
request, call one service or the availability loader, render. htmx requests get the partial
they target; without JavaScript every page still works as plain forms and links.
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from programs.models import Group, Match, Session
from programs.viewing_zone import chosen_zone, view_in
from scheduling import availability, policy, presenters, selectors, services
from scheduling.engine import SchedulingError
from scheduling.forms import ConfirmForm, WizardForm, parse_occurrences
from together.errors import refusals_shown


def _wizard_basics(request, data: dict, program, reschedule: Session | None):
    """(time zone, duration, now, today in that zone) for a booking page: what the person
    chose, else what the session being moved had, else their zone and the program's default."""
    # The booking pages render in the zone chosen in the wizard (remembered), else the profile's.
    time_zone = view_in(chosen_zone(request, data.get("tz")))
    duration = data.get("duration") or (
        reschedule.duration_minutes
        if reschedule
        else policy.default_duration(program.allowed_durations)
    )
    now = timezone.now()
    return time_zone, duration, now, now.astimezone(ZoneInfo(time_zone)).date()


def _month_bounds(month: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    if month:
        year, number = (int(x) for x in month.split("-"))
        if not 1 <= number <= 12 or not 2000 <= year <= 2100:
            year, number = today.year, today.month
    else:
        year, number = today.year, today.month
    first = dt.date(year, number, 1)
    return first, dt.date(year, number, calendar.monthrange(year, number)[1])


def _reschedule_target(request, owner) -> Session | None:
    raw = request.GET.get("reschedule") or request.POST.get("reschedule")
    if not raw:
        return None
    session = selectors.session_for_participant(user=request.user, session_id=_int(raw))
    if (isinstance(owner, Match) and session.match_id != owner.pk) or (
        isinstance(owner, Group) and session.group_id != owner.pk
    ):
        from django.http import Http404

        raise Http404("No such session.")
    return session


def _int(raw: str) -> int:
    from django.http import Http404

    try:
        return int(raw)
    except (TypeError, ValueError):
        raise Http404("Malformed id.") from None


@login_required
@refusals_shown()
def match_book(request: HttpRequest, match_id: int) -> HttpResponse:
    match = selectors.match_for_participant(user=request.user, match_id=match_id)
    partner = match.partner_of(request.user)
    program = match.program
    form = WizardForm(request.GET or None, durations=program.allowed_durations)
    if request.GET and not form.is_valid():
        return render(
            request,
            "scheduling/book_match.html",
            {"match": match, "partner": partner, "form": form, "errors": form.errors},
            status=400,
        )
    data = form.cleaned_data if request.GET else {}
    reschedule = _reschedule_target(request, match)
    time_zone, duration, now, today = _wizard_basics(request, data, program, reschedule)
    first, last = _month_bounds(data.get("month"), today)
    try:
        # One load for the month: the date picker and the chosen day's time list share it.
        wizard = availability.match_wizard(
            match=match,
            viewer=request.user,
            time_zone=time_zone,
            duration=duration,
            first_day=first,
            last_day=last,
            now=now,
            exclude_session=reschedule.pk if reschedule else None,
        )
    except SchedulingError as error:
        messages.error(request, str(error))
        return redirect("match_book", match.pk)
    context = presenters.wizard_page(
        match=match,
        viewer=request.user,
        wizard=wizard,
        form=form,
        data=data,
        month=(first, last),
        today=today,
        reschedule=reschedule,
    )
    template = "scheduling/_wizard.html" if request.htmx else "scheduling/book_match.html"
    return render(request, template, context)


@login_required
@refusals_shown()
def group_book(request: HttpRequest, group_id: int) -> HttpResponse:
    group = selectors.group_for_member(user=request.user, group_id=group_id)
    program = group.program
    form = WizardForm(request.GET or None, durations=program.allowed_durations)
    if request.GET and not form.is_valid():
        return render(
            request, "scheduling/book_group.html", {"group": group, "form": form}, status=400
        )
    data = form.cleaned_data if request.GET else {}
    reschedule = _reschedule_target(request, group)
    time_zone, duration, now, today = _wizard_basics(request, data, program, reschedule)
    week = data.get("week") or today
    week = week - dt.timedelta(days=week.weekday())
    try:
        heat = availability.group_heat_map(
            group=group,
            viewer=request.user,
            time_zone=time_zone,
            duration=duration,
            week_start=week,
            now=now,
            exclude_session=reschedule.pk if reschedule else None,
        )
    except SchedulingError as error:
        messages.error(request, str(error))
        return redirect("group_book", group.pk)
    context = presenters.heat_map_page(
        group=group, heat=heat, week=week, today=today, data=data, reschedule=reschedule
    )
    template = "scheduling/_heatmap.html" if request.htmx else "scheduling/book_group.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
@refusals_shown()
def match_confirm(request: HttpRequest, match_id: int) -> HttpResponse:
    match = selectors.match_for_participant(user=request.user, match_id=match_id)
    return _confirm(request, match)


@login_required
@require_http_methods(["GET", "POST"])
@refusals_shown()
def group_confirm(request: HttpRequest, group_id: int) -> HttpResponse:
    group = selectors.group_for_member(user=request.user, group_id=group_id)
    return _confirm(request, group)


def _book_url(owner) -> str:
    if isinstance(owner, Match):
        return reverse("match_book", args=[owner.pk])
    return reverse("group_book", args=[owner.pk])


def _confirm(request: HttpRequest, owner) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    form = ConfirmForm(data)
    reschedule = _reschedule_target(request, owner)
    context = {
        "owner": owner,
        "is_group": isinstance(owner, Group),
        "form": form,
        "book_url": _book_url(owner),
        "reschedule": reschedule,
        "sessions_left": services.sessions_left(owner),
        "durations": owner.program.allowed_durations,
        "booker_provider": presenters.provider_label(request.user),
    }
    if not form.is_valid():
        return render(request, "scheduling/confirm.html", context, status=400)
    cleaned = form.cleaned_data
    time_zone = cleaned["tz"]
    try:
        services.check_time_zone(time_zone)
    except services.BookingRefused as error:
        context["error"] = str(error)
        return render(request, "scheduling/confirm.html", context, status=400)
    view_in(chosen_zone(request, time_zone))
    start = cleaned["start"]
    context.update(
        start=start,
        end=start + dt.timedelta(minutes=cleaned["duration"]),
        time_zone=time_zone,
        agenda=cleaned.get("agenda") or owner.program.agenda_template,
        participants=services.participants_of(owner),
    )
    if request.method == "GET":
        if request.GET.get("check") and cleaned.get("repeat"):
            return _check_moved_occurrence(request, owner, cleaned)
        if cleaned.get("repeat") and cleaned.get("count"):
            context["occurrences"] = _preview(request, owner, cleaned, context)
        template = "scheduling/_occurrences.html" if request.htmx else "scheduling/confirm.html"
        return render(request, template, context)
    return _confirm_post(request, owner, form, reschedule, context)


def _preview(request, owner, cleaned, context):
    try:
        occurrences = availability.series_preview(
            owner=owner,
            viewer=request.user,
            first_start=cleaned["start"],
            frequency=cleaned["repeat"],
            count=min(cleaned["count"], max(1, services.sessions_left(owner))),
            duration=cleaned["duration"],
            time_zone=cleaned["tz"],
        )
    except SchedulingError as error:
        context["error"] = str(error)
        return []
    return [{"o": o, "conflict": conflict} for o, conflict in occurrences]


def _check_moved_occurrence(request, owner, cleaned) -> HttpResponse:
    """One occurrence the person moved, checked again: its row of the series preview."""
    try:
        moved = parse_occurrences([request.GET["check"]], wall_zone=cleaned["tz"])[0]
        (occurrence, conflict), *_ = availability.series_preview(
            owner=owner,
            viewer=request.user,
            first_start=moved,
            frequency=cleaned["repeat"],
            count=1,
            duration=cleaned["duration"],
            time_zone=cleaned["tz"],
        )
    except (SchedulingError, ValidationError) as error:
        reasons = error.messages if isinstance(error, ValidationError) else [str(error)]
        return HttpResponse(" ".join(reasons), status=400)
    row = {"o": occurrence, "conflict": conflict}
    n = request.GET.get("n", "")
    context = {"row": row, "n": n if n.isdigit() else "", "moved": True, "time_zone": cleaned["tz"]}
    return render(request, "scheduling/_occurrence.html", context)


def _confirm_post(request, owner, form, reschedule, context) -> HttpResponse:
    cleaned = form.cleaned_data
    try:
        if reschedule is not None:
            session = services.session_reschedule(
                session=reschedule,
                start=cleaned["start"],
                by=request.user,
                duration=cleaned["duration"],
                time_zone=cleaned["tz"],
            )
            messages.success(request, "Session moved. Everyone is being sent the new time.")
            return redirect("session_detail", session.pk)
        occurrence_values = request.POST.getlist("occurrence")
        if cleaned.get("repeat") and occurrence_values:
            sessions = services.session_series_book(
                match_or_group=owner,
                starts=parse_occurrences(occurrence_values, wall_zone=cleaned["tz"]),
                frequency=cleaned["repeat"],
                duration=cleaned["duration"],
                booked_by=request.user,
                time_zone=cleaned["tz"],
                conferencing=form.conferencing_value(),
                agenda=cleaned.get("agenda") or None,
            )
            messages.success(request, f"{len(sessions)} sessions booked; invites are on their way.")
            return redirect("session_detail", sessions[0].pk)
        session = services.session_book(
            match_or_group=owner,
            start=cleaned["start"],
            duration=cleaned["duration"],
            booked_by=request.user,
            time_zone=cleaned["tz"],
            conferencing=form.conferencing_value(),
            agenda=cleaned.get("agenda") or None,
        )
    except services.NotAParticipant:
        from django.http import Http404

        raise Http404("Not found.") from None
    except services.SlotTaken as error:
        messages.error(request, f"{error} Here are the times still free.")
        return redirect(_book_url(owner) + f"?tz={cleaned['tz']}&duration={cleaned['duration']}")
    except (services.BookingRefused, SchedulingError) as error:
        context["error"] = str(error)
        return render(request, "scheduling/confirm.html", context, status=400)
    except ValidationError as error:
        context["error"] = " ".join(error.messages)
        return render(request, "scheduling/confirm.html", context, status=400)
    messages.success(request, "Session booked. The invite is on its way.")
    return redirect("session_detail", session.pk)


@login_required
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.session_for_participant(user=request.user, session_id=session_id)
    invite = getattr(session, "invite", None)
    context = {
        "session": session,
        "invite": invite,
        "participants": list(session.participants.all()),
        "can_mark_done": session.status == Session.Status.SCHEDULED
        and session.start <= timezone.now(),
        "book_url": _book_url(session.match or session.group),
    }
    template = "scheduling/_invite_state.html" if request.htmx else "scheduling/session.html"
    return render(request, template, context)


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    sessions = selectors.sessions_for(request.user).order_by("-start")[:100]
    return render(
        request,
        "scheduling/sessions.html",
        {"sessions": sessions},
    )


def _session_action(request, session_id: int, action, done_message: str) -> HttpResponse:
    session = selectors.session_for_participant(user=request.user, session_id=session_id)
    # Back to the page the button was on (home, My sessions) when it says so and is ours.
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("session_detail", args=[session.pk])
    try:
        action(session=session, by=request.user)
    except services.BookingRefused as error:
        messages.error(request, str(error))
        return redirect(back)
    messages.success(request, done_message)
    return redirect(back)


@login_required
@require_POST
@refusals_shown()
def session_cancel(request: HttpRequest, session_id: int) -> HttpResponse:
    return _session_action(
        request, session_id, services.session_cancel, "Session cancelled; everyone is told."
    )


@login_required
@require_POST
@refusals_shown()
def session_mark_done(request: HttpRequest, session_id: int) -> HttpResponse:
    return _session_action(
        request, session_id, services.session_mark_done, "Marked as done. Well done!"
    )


@login_required
@require_POST
@refusals_shown()
def invite_retry(request: HttpRequest, session_id: int) -> HttpResponse:
    return _session_action(
        request, session_id, services.invite_retry, "Trying to send the invite again."
    )


@login_required
@require_http_methods(["GET", "POST"])
@refusals_shown()
def match_mark_done(request: HttpRequest, match_id: int) -> HttpResponse:
    """Record a session held outside the platform (Mark as Done)."""
    match = selectors.match_for_participant(user=request.user, match_id=match_id)
    # Typed on the wall clock of the zone the page is shown in (the profile's).
    tz = timezone.get_current_timezone()
    context = {"match": match, "partner": match.partner_of(request.user), "error": ""}
    context["durations"] = match.program.allowed_durations
    if request.method == "POST":
        try:
            local = dt.datetime.strptime(request.POST.get("start", ""), "%Y-%m-%dT%H:%M")
            start = local.replace(tzinfo=tz)
            session = services.session_record_outside(
                match_or_group=match,
                start=start,
                duration=_int(request.POST.get("duration", "")),
                by=request.user,
            )
        except ValueError as error:
            if isinstance(error, services.BookingRefused):
                context["error"] = str(error)
            else:
                context["error"] = "Give the date and time the session took place."
            return render(request, "scheduling/mark_done.html", context, status=400)
        messages.success(request, "Recorded. Thanks for keeping your progress up to date.")
        return redirect("session_detail", session.pk)
    return render(request, "scheduling/mark_done.html", context)
