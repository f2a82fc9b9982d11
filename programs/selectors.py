"""Reads for the home page and everything that lists a person's mentorship."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from programs.models import Group, GroupMember, Match, Session, User


def matches_for(user: User) -> QuerySet[Match]:
    """Active matches the user is part of, with whether any session was ever booked."""
    booked = Session.objects.filter(match=OuterRef("pk")).exclude(status=Session.Status.CANCELLED)
    return (
        Match.objects.filter(Q(mentee=user) | Q(mentor=user), is_active=True)
        .select_related("mentee", "mentor", "program")
        .annotate(has_sessions=Exists(booked))
        .order_by("program__name", "matched_at")
    )


def groups_for(user: User) -> QuerySet[Group]:
    return (
        Group.objects.filter(Exists(GroupMember.objects.filter(group=OuterRef("pk"), user=user)))
        .select_related("program", "facilitator")
        .prefetch_related(
            Prefetch("members", queryset=User.objects.order_by("first_name", "email"))
        )
        .order_by("program__name", "name")
    )


def upcoming_sessions_for(user: User, *, limit: int = 20) -> QuerySet[Session]:
    """The next scheduled sessions, each with its invite (scheduling's one-to-one row) joined
    in, so the cards can show the invite state without a query per session."""
    return (
        Session.objects.filter(
            session_participants__user=user,
            status=Session.Status.SCHEDULED,
            end__gt=timezone.now(),
        )
        .select_related("program", "match__mentee", "match__mentor", "group", "booked_by", "invite")
        .order_by("start")[:limit]
    )


@dataclass(frozen=True)
class TodoItem:
    """Something the person should do next, shown in the home page's To-Do area."""

    key: str
    title: str
    detail: str
    url: str
    urgent: bool = False


# Later features add their own To-Do sources (e.g. "Reconnect your calendar") here.
TODO_SOURCES: list = []


def todo_source(func):
    TODO_SOURCES.append(func)
    return func


@todo_source
def first_session_todos(user: User) -> list[TodoItem]:
    items = []
    for match in matches_for(user).filter(has_sessions=False):
        partner = match.partner_of(user)
        items.append(
            TodoItem(
                key=f"first-session-{match.pk}",
                title=f"Book your first session with {partner.display_name}",
                detail="Reach out to them first, then pick a time that works for both of you.",
                url=reverse("match_book", args=[match.pk]),
            )
        )
    return items


def todos_for(user: User) -> list[TodoItem]:
    items: list[TodoItem] = []
    for source in TODO_SOURCES:
        items.extend(source(user))
    return sorted(items, key=lambda item: not item.urgent)
