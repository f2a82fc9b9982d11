"""The JSON API for booking: the same operations as the pages, through the same services.

Session authentication with CSRF (DRF's SessionAuthentication enforces it on writes). Each
view checks who may see the match, group or session (404 for everyone else), parses with a
serializer, calls one loader or service, and answers. Refusals map to 400 / 404 / 409.
"""

from __future__ import annotations

import datetime as dt

from django.core.validators import RegexValidator
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from programs import dates, zones
from programs.errors import Refused
from programs.models import Session, SessionSeries
from scheduling import availability, policy, presenters, selectors, services
from scheduling.engine import MAX_RANGE_DAYS
from together.errors import ErrorSerializer

# --- Serializers ------------------------------------------------------------------------


# DRF refuses a NUL character in any text (PostgreSQL cannot store one) with a 400; the
# pattern says so in the schema, so a client reading it knows before sending.
_NO_NUL = RegexValidator(r"^[^\x00]*$", message="Null characters are not allowed.")


def _text_field(**kwargs) -> serializers.CharField:
    """Optional free text of the booking forms."""
    return serializers.CharField(required=False, allow_blank=True, validators=[_NO_NUL], **kwargs)


def _zone_field() -> serializers.ChoiceField:
    # The schema lists every zone (programs.zones' one rule): a client can read which names
    # are valid, and any other is a malformed request (400), "localtime" and "Factory" too.
    return serializers.ChoiceField(
        choices=sorted(zones.known_zone_names()),
        required=False,
        help_text="An IANA time zone, e.g. Europe/London.",
    )


class _SessionTime(serializers.DateTimeField):
    """A requested session time. One so far off that Python cannot hold it in UTC (year 1 at
    midnight) is refused like any date outside the years Together schedules in: the date
    rule's 422 naming the input (programs.dates), not a malformed request."""

    def __init__(self, *args, refused_field: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.refused_field = refused_field

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except serializers.ValidationError as error:
            if getattr(error, "get_codes", None) and "overflow" in str(error.get_codes()):
                raise Refused(
                    dates.range_message("Session dates"),
                    field=self.refused_field or self.field_name,
                ) from None
            raise


class RangeQuerySerializer(serializers.Serializer):
    first_day = serializers.DateField(required=False)
    days = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_RANGE_DAYS, default=7
    )
    duration = serializers.IntegerField(required=False, min_value=1, max_value=1440)
    time_zone = _zone_field()


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    past = serializers.BooleanField()
    bookable = serializers.BooleanField()
    all_free = serializers.BooleanField(help_text="Everyone is known to be free (green dot).")
    taken = serializers.BooleanField(help_text="Overlaps a session already booked.")
    why_not = serializers.CharField(
        help_text="Why it cannot be booked, in the words the wizard uses (empty if it can): "
        'e.g. "outside Ben\'s hours", "Ben is away", "beyond the booking window".'
    )


class DateSerializer(serializers.Serializer):
    date = serializers.DateField()
    past = serializers.BooleanField()
    bookable = serializers.BooleanField()


class BusySerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class AvailabilitySerializer(serializers.Serializer):
    insight = serializers.ChoiceField(choices=["mutual", "viewer_only", "none"])
    time_zone = serializers.CharField()
    duration = serializers.IntegerField()
    dates = DateSerializer(many=True)
    slots = SlotSerializer(many=True)
    my_busy = BusySerializer(many=True)
    partner_busy = BusySerializer(many=True)


class HeatCellSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    past = serializers.BooleanField()
    free = serializers.IntegerField()
    total = serializers.IntegerField()
    busy = serializers.ListField(child=serializers.CharField(), help_text="Names only.")
    outside_hours = serializers.ListField(
        child=serializers.CharField(),
        help_text="Names of members this slot is outside the bookable hours of (not busy).",
    )
    away = serializers.ListField(
        child=serializers.CharField(), help_text="Names of members on time off that day."
    )


class HeatMapSerializer(serializers.Serializer):
    time_zone = serializers.CharField()
    duration = serializers.IntegerField()
    cells = HeatCellSerializer(many=True)


class BookSerializer(serializers.Serializer):
    start = _SessionTime(help_text="ISO 8601 with an offset, e.g. 2026-03-03T15:00Z")
    duration = serializers.IntegerField(min_value=1, max_value=1440)
    time_zone = _zone_field()
    conferencing = serializers.ChoiceField(
        choices=Session.Conferencing.choices, default=Session.Conferencing.NONE
    )
    url = _text_field(max_length=500, default="")
    location = _text_field(max_length=300, default="")
    agenda = _text_field(max_length=5000)

    def validate_start(self, value: dt.datetime) -> dt.datetime:
        raw = str(self.initial_data.get("start", ""))
        if not (raw.endswith(("Z", "z")) or "+" in raw[10:] or "-" in raw[10:]):
            raise serializers.ValidationError("Give the start with a time zone offset.")
        return value


class SeriesSerializer(BookSerializer):
    start = None
    starts = serializers.ListField(
        child=_SessionTime(refused_field="starts"),
        min_length=1,
        max_length=52,
        help_text="Each occurrence's start (already moved or skipped), with an offset.",
    )
    frequency = serializers.ChoiceField(choices=SessionSeries.Frequency.values)


class RescheduleSerializer(serializers.Serializer):
    start = _SessionTime()
    duration = serializers.IntegerField(required=False, min_value=1, max_value=1440)
    time_zone = _zone_field()


class InviteSerializer(serializers.Serializer):
    state = serializers.CharField()
    channel = serializers.CharField()
    waiting_for = serializers.CharField(help_text='"", "booker" or "organization"')
    # A sentence for people about what happened; provider error text is never exposed.
    notice = serializers.CharField()


class SessionSerializer(serializers.ModelSerializer):
    invite = serializers.SerializerMethodField()
    participants = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id",
            "program",
            "match",
            "group",
            "series",
            "start",
            "end",
            "duration_minutes",
            "conferencing",
            "conference_url",
            "location",
            "agenda",
            "status",
            "origin",
            "participants",
            "invite",
        ]

    @extend_schema(responses=InviteSerializer(allow_null=True))
    def get_invite(self, session: Session) -> dict | None:
        invite = getattr(session, "invite", None)
        if invite is None:
            return None
        return {
            "state": invite.state,
            "channel": invite.channel,
            "waiting_for": invite.waiting_for,
            "notice": invite.notice,
        }

    def get_participants(self, session: Session) -> list[str]:
        return [u.display_name for u in session.participants.all()]


# --- Helpers ----------------------------------------------------------------------------

# Every error body is together.errors.ErrorSerializer (its exception handler writes them).
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Malformed request; nothing was written."),
    422: OpenApiResponse(
        ErrorSerializer,
        description="Refused by the booking rules (the sentence says why, `field` names the "
        "input); nothing was written.",
    ),
    403: OpenApiResponse(ErrorSerializer, description="Not signed in, or CSRF token missing."),
    404: OpenApiResponse(ErrorSerializer, description="No such match, group or session for you."),
}


def _range(request, durations: list[int]) -> tuple[dict, str, int, dt.date, dt.date]:
    query = RangeQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = query.validated_data
    time_zone = data.get("time_zone") or request.user.time_zone
    duration = data.get("duration") or policy.default_duration(durations)
    first = (
        data.get("first_day")
        or timezone.now().astimezone(services.check_time_zone(time_zone)).date()
    )
    # Before adding the days: a first day near year 9999 would overflow (programs.dates).
    dates.check_in_range(first, field="first_day")
    last = first + dt.timedelta(days=data["days"] - 1)
    dates.check_in_range(last, field="first_day")
    return data, time_zone, duration, first, last


# --- Views ------------------------------------------------------------------------------


class MatchAvailabilityApi(APIView):
    def dispatch(self, request, *args, **kwargs):
        # The hot path of the booking page. A stored answer needs none of DRF's request
        # handling: the session middleware has already said who is asking (the same check as
        # SessionAuthentication + IsAuthenticated), and the answer was stored for exactly this
        # person and query. A warm request costs two cache reads besides signing in.
        if request.method == "GET" and request.user.is_authenticated:
            body = availability.cached_payload(
                match_id=kwargs["match_id"],
                viewer=request.user,
                query=request.META.get("QUERY_STRING", ""),
            )
            if body is not None:
                return HttpResponse(body, content_type="application/json")
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        parameters=[RangeQuerySerializer],
        responses={200: AvailabilitySerializer, **ERRORS},
        summary="Slots, bookable dates and visible busy blocks of a match",
    )
    def get(self, request, match_id: int):
        match = selectors.match_for_participant(user=request.user, match_id=match_id)
        _, time_zone, duration, first, last = _range(request, match.program.allowed_durations)
        participant_ids = [match.mentee_id, match.mentor_id]
        versions = availability.payload_versions(participant_ids)
        payload = _availability_payload(match, request.user, time_zone, duration, first, last)
        body = JSONRenderer().render(payload)
        availability.remember_payload(
            match_id=match_id,
            viewer=request.user,
            query=request.META.get("QUERY_STRING", ""),
            participant_ids=participant_ids,
            versions=versions,
            body=body,
        )
        return HttpResponse(body, content_type="application/json")


def _availability_payload(match, viewer, time_zone, duration, first, last) -> dict:
    wizard = availability.match_wizard(
        match=match,
        viewer=viewer,
        time_zone=time_zone,
        duration=duration,
        first_day=first,
        last_day=last,
        day=None,
        every_day=True,
    )
    partner_name = match.partner_of(viewer).first_name or "partner"
    # Built directly rather than through AvailabilitySerializer (which documents the
    # shape): hundreds of slots through DRF fields cost more than computing them.
    return {
        "insight": wizard.insight,
        "time_zone": time_zone,
        "duration": duration,
        "dates": [
            {"date": d.date.isoformat(), "past": d.past, "bookable": d.bookable}
            for d in wizard.dates
        ],
        "slots": [
            {
                "start": _zulu(s.start),
                "past": s.past,
                "bookable": s.bookable,
                "all_free": s.all_free,
                "taken": s.taken,
                "why_not": presenters.why_not(s, wizard.insight, partner_name),
            }
            for s in wizard.slots
        ],
        "my_busy": [{"start": _zulu(s), "end": _zulu(e)} for s, e in wizard.my_busy],
        "partner_busy": [{"start": _zulu(s), "end": _zulu(e)} for s, e in wizard.partner_busy],
    }


def _zulu(instant: dt.datetime) -> str:
    """The same ISO 8601 UTC form DRF's DateTimeField writes (USE_TZ, UTC)."""
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class GroupHeatMapApi(APIView):
    @extend_schema(
        parameters=[RangeQuerySerializer],
        responses={200: HeatMapSerializer, **ERRORS},
        summary="How many members are free per slot, and who is busy (names only)",
    )
    def get(self, request, group_id: int):
        group = selectors.group_for_member(user=request.user, group_id=group_id)
        data, time_zone, duration, first, _ = _range(request, group.program.allowed_durations)
        heat = availability.group_heat_map(
            group=group,
            viewer=request.user,
            time_zone=time_zone,
            duration=duration,
            week_start=first,
            days=data["days"],
        )
        cells = [
            {
                "start": c.start,
                "past": c.past,
                "free": c.free,
                "total": c.total,
                "busy": c.busy_names,
                "outside_hours": c.outside_names,
                "away": c.away_names,
            }
            for _, row in heat.rows
            for c in row
            if c is not None
        ]
        return Response(
            HeatMapSerializer({"time_zone": time_zone, "duration": duration, "cells": cells}).data
        )


def _booking(request, serializer_class) -> tuple[dict, dict]:
    """The validated body, and what single and series bookings pass to their service alike."""
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    common = {
        "duration": data["duration"],
        "booked_by": request.user,
        "time_zone": data.get("time_zone"),
        "conferencing": services.Conferencing(
            kind=data["conferencing"], url=data["url"], location=data["location"]
        ),
        "agenda": data.get("agenda"),
    }
    return data, common


def _book(request, owner) -> Response:
    data, common = _booking(request, BookSerializer)
    session = services.session_book(match_or_group=owner, start=data["start"], **common)
    return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)


def _book_series(request, owner) -> Response:
    data, common = _booking(request, SeriesSerializer)
    sessions = services.session_series_book(
        match_or_group=owner, starts=data["starts"], frequency=data["frequency"], **common
    )
    return Response(SessionSerializer(sessions, many=True).data, status=status.HTTP_201_CREATED)


_BOOKED = {
    201: SessionSerializer,
    409: OpenApiResponse(ErrorSerializer, "Slot just taken"),
    **ERRORS,
}
_SERIES = {
    201: SessionSerializer(many=True),
    409: OpenApiResponse(ErrorSerializer, "An occurrence was just taken"),
    **ERRORS,
}


class MatchBookApi(APIView):
    @extend_schema(request=BookSerializer, responses=_BOOKED, summary="Book one session")
    def post(self, request, match_id: int):
        match = selectors.match_for_participant(user=request.user, match_id=match_id)
        return _book(request, match)


class MatchSeriesApi(APIView):
    @extend_schema(request=SeriesSerializer, responses=_SERIES, summary="Book a recurring series")
    def post(self, request, match_id: int):
        match = selectors.match_for_participant(user=request.user, match_id=match_id)
        return _book_series(request, match)


class GroupBookApi(APIView):
    @extend_schema(request=BookSerializer, responses=_BOOKED, summary="Book one group session")
    def post(self, request, group_id: int):
        group = selectors.group_for_member(user=request.user, group_id=group_id)
        return _book(request, group)


class GroupSeriesApi(APIView):
    @extend_schema(request=SeriesSerializer, responses=_SERIES, summary="Book a group series")
    def post(self, request, group_id: int):
        group = selectors.group_for_member(user=request.user, group_id=group_id)
        return _book_series(request, group)


class SessionListApi(APIView):
    @extend_schema(responses={200: SessionSerializer(many=True), 403: ERRORS[403]})
    def get(self, request):
        sessions = selectors.sessions_for(request.user).prefetch_related("participants")[:500]
        return Response(SessionSerializer(sessions, many=True).data)


class SessionDetailApi(APIView):
    @extend_schema(responses={200: SessionSerializer, 403: ERRORS[403], 404: ERRORS[404]})
    def get(self, request, session_id: int):
        session = selectors.session_for_participant(user=request.user, session_id=session_id)
        return Response(SessionSerializer(session).data)


class SessionRescheduleApi(APIView):
    @extend_schema(
        request=RescheduleSerializer,
        responses={200: SessionSerializer, 409: ErrorSerializer, **ERRORS},
    )
    def post(self, request, session_id: int):
        session = selectors.session_for_participant(user=request.user, session_id=session_id)
        body = RescheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        session = services.session_reschedule(
            session=session,
            start=data["start"],
            by=request.user,
            duration=data.get("duration"),
            time_zone=data.get("time_zone"),
        )
        return Response(SessionSerializer(session).data)


class _SessionActionApi(APIView):
    service = None

    @extend_schema(
        request=None,
        responses={
            200: SessionSerializer,
            409: OpenApiResponse(ErrorSerializer, "The session's state does not allow it"),
            **ERRORS,
        },
    )
    def post(self, request, session_id: int):
        session = selectors.session_for_participant(user=request.user, session_id=session_id)
        session = type(self).service(session=session, by=request.user)
        return Response(SessionSerializer(session).data)


class SessionCancelApi(_SessionActionApi):
    service = services.session_cancel


class SessionMarkDoneApi(_SessionActionApi):
    service = services.session_mark_done
