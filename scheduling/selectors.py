"""Reads for booking pages and the API. Anything a person may not see is simply not found."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import dateformat, timezone

from programs.models import Group, GroupMember, Match, Session, User
from programs.selectors import TodoItem, todo_source

# Ids beyond a 64-bit integer cannot exist; refusing them early keeps the database from
# raising an overflow on a malformed URL.
_MAX_ID = 2**63 - 1


def _check_id(value: int) -> None:
    if not 0 < value <= _MAX_ID:
        raise Http404("No such object.")


def match_for_participant(*, user: User, match_id: int) -> Match:
    """The active match if ``user`` is in it; otherwise 404 (never say that it exists)."""
    _check_id(match_id)
    match = (
        Match.objects.select_related("mentee", "mentor", "program")
        .filter(Q(mentee=user) | Q(mentor=user), pk=match_id, is_active=True)
        .first()
    )
    if match is None:
        raise Http404("No such match.")
    return match


def group_for_member(*, user: User, group_id: int) -> Group:
    _check_id(group_id)
    group = (
        Group.objects.select_related("program", "facilitator")
        .filter(Exists(GroupMember.objects.filter(group=OuterRef("pk"), user=user)), pk=group_id)
        .first()
    )
    if group is None:
        raise Http404("No such group.")
    return group


def sessions_for(user: User) -> QuerySet[Session]:
    return (
        Session.objects.filter(session_participants__user=user)
        .select_related("program", "match__mentee", "match__mentor", "group", "booked_by", "invite")
        .order_by("start")
    )


def session_for_participant(*, user: User, session_id: int) -> Session:
    _check_id(session_id)
    session = sessions_for(user).filter(pk=session_id).first()
    if session is None:
        raise Http404("No such session.")
    return session


def match_has_sessions(match: Match) -> bool:
    return Session.objects.filter(match=match).exclude(status=Session.Status.CANCELLED).exists()


# A session that ended longer ago than this is history, not a to-do: nobody remembers whether a
# two-month-old session happened, and the list would only grow.
PAST_SESSION_TODO_WINDOW = dt.timedelta(days=30)
PAST_SESSION_TODO_LIMIT = 5


@todo_source
def past_session_todos(user: User) -> list[TodoItem]:
    """One item per session of ``user``'s that ended in the last 30 days and is still
    scheduled, newest first: did it happen? At most PAST_SESSION_TODO_LIMIT of them, then one
    item pointing to My sessions for the rest. One query, two when there are more."""
    now = timezone.now()
    past = Session.objects.filter(
        session_participants__user=user,
        status=Session.Status.SCHEDULED,
        end__lte=now,
        end__gt=now - PAST_SESSION_TODO_WINDOW,
    )
    newest = past.select_related("match__mentee", "match__mentor", "group").order_by("-end", "-pk")
    sessions = list(newest[:PAST_SESSION_TODO_LIMIT])
    tz = ZoneInfo(user.time_zone)
    items = [
        TodoItem(
            key=f"past-session-{session.pk}",
            title=(
                f"Did your session with {_with_whom(session, user)} "
                f"on {_day_and_time(session.start, tz)} happen?"
            ),
            detail="Mark it as done, or cancel it if it did not take place.",
            url=reverse("session_detail", args=[session.pk]),
        )
        for session in sessions
    ]
    more = past.count() - len(sessions) if len(sessions) == PAST_SESSION_TODO_LIMIT else 0
    if more:
        items.append(
            TodoItem(
                key="past-sessions-more",
                title=f"And {more} more past session{pluralize(more)} to mark as done",
                detail="Find them in My sessions.",
                url=reverse("session_list"),
            )
        )
    return items


def _with_whom(session: Session, user: User) -> str:
    if session.match_id:
        return session.match.partner_of(user).display_name
    return session.group.name


def _day_and_time(instant: dt.datetime, tz: ZoneInfo) -> str:
    """E.g. "Sun 1 Mar at 15:00" on the person's wall clock."""
    return dateformat.format(instant.astimezone(tz), r"D j M \a\t H:i")
