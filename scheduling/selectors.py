"""Reads for booking pages and the API. Anything a person may not see is simply not found."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
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


@dataclass(frozen=True)
class MatchAccess:
    match_id: int
    mentee_id: int
    mentor_id: int
    allowed_durations: list[int]


# How long "this person may see this match" is remembered. Ending a match hides it from the
# JSON availability endpoint after at most this long; everything that writes re-checks.
MATCH_ACCESS_SECONDS = 60


def match_access(*, user: User, match_id: int) -> MatchAccess:
    """What the availability endpoint needs to know about a match the user is in (cached);
    404 if they are not in it."""
    _check_id(match_id)
    key = f"scheduling:match-access:{user.pk}:{match_id}"
    found = cache.get(key)
    if found is None:
        match = match_for_participant(user=user, match_id=match_id)
        found = MatchAccess(
            match_id=match.pk,
            mentee_id=match.mentee_id,
            mentor_id=match.mentor_id,
            allowed_durations=list(match.program.allowed_durations),
        )
        cache.set(key, found, MATCH_ACCESS_SECONDS)
    return found


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
