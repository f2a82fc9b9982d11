"""Reads for booking pages and the API. Anything a person may not see is simply not found."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from programs.models import Group, GroupMember, Match, Session, User

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
