"""Reads for calendar integrations. Nothing here calls a provider: only the database."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from django.conf import settings
from django.db.models import BigIntegerField, Func, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from calendars.models import (
    BusyBlock,
    CalendarConnection,
    ConnectedCalendar,
    MemberSync,
    OrganizationIntegration,
)
from calendars.providers.base import BusyInterval
from programs import roles
from programs.selectors import TodoItem, todo_source

if TYPE_CHECKING:
    from calendars.providers.base import CalendarProvider
    from programs.models import User


@dataclass(frozen=True)
class PersonBusy:
    """One person's busy blocks as whole epoch seconds (block ``k`` is ``[starts[k], ends[k])``
    of kind ``kinds[k]``), read as numbers from the database: a page that hands them to the
    engine makes no datetime per block."""

    user_id: int
    integrated: bool
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    kinds: tuple[str, ...]
    stale: bool

    @property
    def intervals(self) -> list[BusyInterval]:
        """The blocks as aware UTC datetimes, for code that shows or compares them."""
        at = functools.partial(dt.datetime.fromtimestamp, tz=dt.UTC)
        return [
            BusyInterval(start=at(a), end=at(b), kind=k)
            for a, b, k in zip(self.starts, self.ends, self.kinds, strict=True)
        ]


class EpochSeconds(Func):
    """A datetime column as whole epoch seconds, rounded down (``ceil=True``: up, so an end
    keeps its block whole), computed by the database."""

    output_field = BigIntegerField()

    def __init__(self, expression, *, ceil: bool = False) -> None:
        super().__init__(expression)
        self.ceil = ceil

    def as_postgresql(self, compiler, connection, **extra):
        rounding = "CEIL" if self.ceil else "FLOOR"
        template = f"{rounding}(EXTRACT(EPOCH FROM %(expressions)s))::bigint"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite keeps UTC text, "2026-03-02 09:30:00" or "2026-03-02 09:30:00.000001": %s
        # drops the fraction, and the digits from the 21st character on are that fraction.
        template = "CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)"
        if self.ceil:
            template += " + (CAST(substr(%(expressions)s, 21) AS INTEGER) > 0)"
        return self.as_sql(compiler, connection, template=template, **extra)


@dataclass(frozen=True)
class WriteTarget:
    """Where a person's sessions are written: provider, destination calendar, and how to act."""

    provider_name: str  # "google" | "microsoft" | "caldav"
    calendar_id: str
    account_email: str
    time_zone: str = "UTC"
    connection_id: int | None = None
    integration_id: int | None = None

    def provider(self) -> CalendarProvider:
        from calendars.services import provider_for_target

        return provider_for_target(self)


PROVIDER_NAMES = {"google": "Google", "microsoft": "Microsoft", "caldav": "CalDAV"}
# The video link a provider adds to an event it writes (Google Meet, Microsoft Teams).
CONFERENCE_NAMES = {"google": "Google Meet", "microsoft": "Microsoft Teams"}


@dataclass(frozen=True)
class IntegrationState:
    """How Together knows a person's calendar: the one fact every page, the invite writer and
    the reports ask (see :func:`integration_states`).

    ``how`` is the source that works now: "organization" (a domain-wide grant that reaches
    this person), "individual" (a calendar account they connected) or "none". ``can_read`` is
    true exactly when ``how`` is not "none"; ``can_write`` when sessions can be written into a
    calendar of theirs (else invites go out as .ics email). ``reason`` is a sentence for the
    person when something is wrong, with what they can do; empty when nothing is.
    """

    how: str
    provider: str = ""  # whose calendar this is: "google" | "microsoft" | "caldav" | ""
    can_read: bool = False
    can_write: bool = False
    reason: str = ""
    # The organization's domain-wide integration covers this address, whether or not it works
    # for them; such a person has nothing to set up unless ``reason`` says otherwise.
    organization_covers: bool = False
    # Where new sessions are written (a destination the person picked may be another
    # provider than the one that reads their busy times); empty when nothing can be written.
    write_provider: str = ""
    # How many of their calendar accounts need reconnecting (whatever else works).
    needs_reconnect: int = 0

    @property
    def provider_label(self) -> str:
        return PROVIDER_NAMES.get(self.provider, "")

    @property
    def conference_label(self) -> str:
        """'Google Meet' / 'Microsoft Teams' when a booked session gets a link automatically."""
        return CONFERENCE_NAMES.get(self.write_provider, "") if self.can_write else ""

    @property
    def label(self) -> str:
        """A short line for My Calendar and the wizard."""
        if self.how == "organization":
            return f"Connected by your organization via {self.provider_label}"
        if self.how == "individual":
            return f"Connected via {self.provider_label}"
        return "Not connected"


NO_DESTINATION = (
    "None of your connected calendars can take new sessions: choose one under “Add sessions "
    "to”; until then, invites go out by email."
)


class _Connection(NamedTuple):
    user_id: int
    provider: str
    account_email: str
    status: str
    last_synced_at: dt.datetime | None


class _Destination(NamedTuple):
    user_id: int
    connection_id: int
    provider: str
    account_email: str
    calendar_id: str


class _MemberSync(NamedTuple):
    ok: bool
    last_synced_at: dt.datetime | None


class _Person(NamedTuple):
    """The three fields of a user the integration state needs (a report reads ten thousand)."""

    pk: int
    email: str
    organization_id: int | None

    @property
    def email_domain(self) -> str:
        return self.email.rsplit("@", 1)[-1].lower()


@dataclass
class _Facts:
    """Everything the integration state of a set of people depends on, read in a fixed number
    of queries whatever their number (plain rows, not model instances: reports read many)."""

    covering: dict[int, OrganizationIntegration] = field(default_factory=dict)
    member_syncs: dict[int, _MemberSync] = field(default_factory=dict)
    active: dict[int, list[_Connection]] = field(default_factory=lambda: defaultdict(list))
    broken: dict[int, list[_Connection]] = field(default_factory=lambda: defaultdict(list))
    destinations: dict[int, _Destination] = field(default_factory=dict)


def _covering_integrations(users) -> dict[int, OrganizationIntegration]:
    """The organization integration (active, or failed) covering each person's address.

    "Covered" is one rule: the person's organization has a live integration and their email
    domain is one of the organization's domains (calendars.services.members_covered_by reads
    the same rule as a query)."""
    org_ids = {u.organization_id for u in users if u.organization_id}
    if not org_ids:
        return {}
    integrations: dict[int, OrganizationIntegration] = {}
    for integration in (
        OrganizationIntegration.objects.filter(
            organization_id__in=org_ids,
            status__in=[
                OrganizationIntegration.Status.ACTIVE,
                OrganizationIntegration.Status.FAILED,
            ],
        )
        .prefetch_related("organization__domains")
        .order_by("created_at", "pk")
    ):
        current = integrations.get(integration.organization_id)
        # An active grant wins over an older failed one.
        if current is None or integration.status == OrganizationIntegration.Status.ACTIVE:
            integrations[integration.organization_id] = integration
    covering = {}
    domains = {
        org_id: {d.domain.lower() for d in i.organization.domains.all()}
        for org_id, i in integrations.items()
    }
    for user in users:
        integration = integrations.get(user.organization_id)
        if integration is not None and user.email_domain in domains[user.organization_id]:
            covering[user.pk] = integration
    return covering


def _facts(users: list, *, scope: QuerySet | None = None) -> _Facts:
    """``scope``, when given, is a queryset of exactly ``users``: filters then use it as a
    subquery instead of a list of ids (ten thousand bound ids cost more than the query)."""
    facts = _Facts(covering=_covering_integrations(users))
    if not users:
        return facts
    if scope is not None:
        who = {"user__in": scope.values("pk")}
    else:
        who = {"user_id__in": [u.pk for u in users]}
    if facts.covering:
        covered = who if scope is not None else {"user_id__in": list(facts.covering)}
        for user_id, ok, synced in MemberSync.objects.filter(
            integration_id__in={i.pk for i in facts.covering.values()}, **covered
        ).values_list("user_id", "ok", "last_synced_at"):
            facts.member_syncs[user_id] = _MemberSync(ok, synced)
    for row in CalendarConnection.objects.filter(**who).values_list(
        "user_id", "provider", "account_email", "status", "last_synced_at"
    ):
        conn = _Connection(*row)
        if conn.status == CalendarConnection.Status.ACTIVE:
            facts.active[conn.user_id].append(conn)
        else:
            facts.broken[conn.user_id].append(conn)
    dest_who = {f"connection__{k}": v for k, v in who.items()}
    for row in (
        ConnectedCalendar.objects.filter(
            connection__status=CalendarConnection.Status.ACTIVE,
            is_destination=True,
            can_write=True,
            **dest_who,
        )
        .order_by("pk")
        .values_list(
            "connection__user_id",
            "connection_id",
            "connection__provider",
            "connection__account_email",
            "calendar_id",
        )
    ):
        facts.destinations.setdefault(row[0], _Destination(*row))
    return facts


def _org_reaches(user: User, facts: _Facts) -> bool:
    integration = facts.covering.get(user.pk)
    if integration is None or integration.status != OrganizationIntegration.Status.ACTIVE:
        return False
    # Not yet synced counts as reachable: the first sync decides.
    sync = facts.member_syncs.get(user.pk)
    return sync is None or sync.ok


@functools.lru_cache(maxsize=1024)
def _shared_state(*fields) -> IntegrationState:
    # Most people of an organization share one state; a report of ten thousand builds a few.
    return IntegrationState(*fields)


def _state(user: User, facts: _Facts) -> IntegrationState:
    integration = facts.covering.get(user.pk)
    covers = integration is not None
    if _org_reaches(user, facts):
        dest = facts.destinations.get(user.pk)
        # A destination the person picked wins for writing; the grant writes otherwise.
        return _shared_state(
            "organization",
            integration.provider,
            True,
            True,
            "",
            True,
            dest.provider if dest else integration.provider,
            len(facts.broken.get(user.pk, ())),
        )
    reason = ""
    if covers:
        name = integration.get_provider_display()
        if integration.status == OrganizationIntegration.Status.FAILED:
            reason = (
                f"Your organization's {name} calendar integration stopped working. Your IT "
                "admin has been asked to fix it; until then, invites go out by email."
            )
        else:
            reason = (
                f"Your organization's {name} integration cannot find a calendar for "
                f"{user.email}. Ask your IT admin to check your account, or connect your "
                "calendar yourself below; until then, invites go out by email."
            )
    active = facts.active.get(user.pk, [])
    broken = facts.broken.get(user.pk, [])
    if active:
        dest = facts.destinations.get(user.pk)
        return _shared_state(
            "individual",
            dest.provider if dest else active[0].provider,
            True,
            dest is not None,
            "" if dest else (reason or NO_DESTINATION),
            covers,
            dest.provider if dest else "",
            len(broken),
        )
    if broken and not reason:
        accounts = ", ".join(c.account_email for c in broken)
        reason = (
            f"We can no longer read {accounts}. Reconnect so your availability stays "
            "accurate and sessions are added to your calendar."
        )
    return _shared_state(
        "none",
        integration.provider if covers else (broken[0].provider if broken else ""),
        False,
        False,
        reason,
        covers,
        "",
        len(broken),
    )


def integration_states(users) -> dict[int, IntegrationState]:
    """Each person's :class:`IntegrationState`, keyed by user id, in a fixed number of queries
    whatever their number. ``users`` is a list of users or a queryset of them (a report's
    people: read as plain rows, and used as a subquery)."""
    if isinstance(users, QuerySet):
        scope = users.order_by()
        people = [_Person(*row) for row in scope.values_list("pk", "email", "organization_id")]
        facts = _facts(people, scope=scope)
    else:
        people = list(users)
        facts = _facts(people)
    return {p.pk: _state(p, facts) for p in people}


def integration_state(user: User) -> IntegrationState:
    """This person's :class:`IntegrationState` (see :func:`integration_states`)."""
    return integration_states([user])[user.pk]


def busy_for(users, start: dt.datetime, end: dt.datetime) -> dict[int, PersonBusy]:
    """Each person's cached busy intervals overlapping [start, end), keyed by user id.

    Intervals are as synced (sorted by start, not merged, kinds "busy" | "tentative" |
    "oof"); only calendars the person checks for conflicts, and only working sources, count.

    `integrated` is the person's :class:`IntegrationState` ``can_read``; their intervals are
    empty when it is False. `stale` is True when an integrated person's cache is older than
    CALENDAR_STALE_AFTER_SECONDS (or never filled): call services.request_sync_if_stale.
    Reads only the database (a handful of queries whatever the number of people).
    """
    users = list(users)
    if not users:
        return {}
    ids = [u.pk for u in users]
    facts = _facts(users)
    starts: dict[int, list[int]] = defaultdict(list)
    ends: dict[int, list[int]] = defaultdict(list)
    kinds: dict[int, list[str]] = defaultdict(list)
    blocks = BusyBlock.objects.filter(user_id__in=ids, start__lt=end, end__gt=start).filter(
        Q(
            calendar__connection__status=CalendarConnection.Status.ACTIVE,
            calendar__check_conflicts=True,
        )
        | Q(integration__status=OrganizationIntegration.Status.ACTIVE)
    )
    rows = (
        blocks.order_by("start")
        .annotate(start_s=EpochSeconds("start"), end_s=EpochSeconds("end", ceil=True))
        .values_list("user_id", "start_s", "end_s", "kind")
    )
    for user_id, b_start, b_end, kind in rows:
        starts[user_id].append(b_start)
        ends[user_id].append(b_end)
        kinds[user_id].append(kind)
    cutoff = timezone.now() - dt.timedelta(seconds=settings.CALENDAR_STALE_AFTER_SECONDS)
    result = {}
    for user in users:
        integrated = _state(user, facts).can_read
        stale = False
        if integrated:
            times = [c.last_synced_at for c in facts.active.get(user.pk, [])]
            if _org_reaches(user, facts):
                ms = facts.member_syncs.get(user.pk)
                times.append(ms.last_synced_at if ms else None)
            stale = any(t is None or t < cutoff for t in times)
        result[user.pk] = PersonBusy(
            user_id=user.pk,
            integrated=integrated,
            starts=tuple(starts.get(user.pk, ())) if integrated else (),
            ends=tuple(ends.get(user.pk, ())) if integrated else (),
            kinds=tuple(kinds.get(user.pk, ())) if integrated else (),
            stale=stale,
        )
    return result


def _active_integrations_by_user(users: list[User]) -> dict[int, OrganizationIntegration]:
    return {
        user_id: i
        for user_id, i in _covering_integrations(users).items()
        if i.status == OrganizationIntegration.Status.ACTIVE
    }


@dataclass
class StaleSources:
    connection_ids: list[int] = field(default_factory=list)
    integration_members: dict[int, list[int]] = field(default_factory=dict)


def stale_sources(users) -> StaleSources:
    users = list(users)
    cutoff = timezone.now() - dt.timedelta(seconds=settings.CALENDAR_STALE_AFTER_SECONDS)
    out = StaleSources()
    out.connection_ids = list(
        CalendarConnection.objects.filter(user__in=users, status=CalendarConnection.Status.ACTIVE)
        .filter(Q(last_synced_at__isnull=True) | Q(last_synced_at__lt=cutoff))
        .values_list("pk", flat=True)
    )
    covered = _active_integrations_by_user(users)
    fresh = set(
        MemberSync.objects.filter(
            user_id__in=list(covered), last_synced_at__gte=cutoff
        ).values_list("user_id", flat=True)
    )
    for user_id, integration in covered.items():
        if user_id not in fresh:
            out.integration_members.setdefault(integration.pk, []).append(user_id)
    return out


def write_target_for(user: User) -> WriteTarget | None:
    """Where this person's booked sessions go, or None (booking then emails .ics invites).

    None exactly when their :class:`IntegrationState` cannot write. An individual
    connection's chosen destination wins (the person picked it); otherwise the organization's
    grant writes into the member's primary calendar.
    """
    facts = _facts([user])
    state = _state(user, facts)
    if not state.can_write:
        return None
    dest = facts.destinations.get(user.pk)
    if dest:
        return WriteTarget(
            provider_name=dest.provider,
            calendar_id=dest.calendar_id,
            account_email=dest.account_email,
            time_zone=user.time_zone,
            connection_id=dest.connection_id,
        )
    integration = facts.covering[user.pk]
    return WriteTarget(
        provider_name=integration.provider,
        # Google's alias and Graph's default calendar both live behind "primary"-ish ids;
        # Graph needs the mailbox's default calendar, addressed as /calendar.
        calendar_id="primary" if integration.provider == "google" else "calendar",
        account_email=user.email,
        time_zone=user.time_zone,
        integration_id=integration.pk,
    )


def write_target_status(target: WriteTarget) -> str:
    """Whether the connection or grant a target writes through still works: "ok", "broken"
    (someone has been asked to reconnect it: the person, or their organization's IT) or
    "gone" (disconnected or deleted; nothing will bring it back)."""
    if target.connection_id:
        status = (
            CalendarConnection.objects.filter(pk=target.connection_id)
            .values_list("status", flat=True)
            .first()
        )
        if status is None:
            return "gone"
        return "ok" if status == CalendarConnection.Status.ACTIVE else "broken"
    status = (
        OrganizationIntegration.objects.filter(pk=target.integration_id)
        .values_list("status", flat=True)
        .first()
    )
    if status == OrganizationIntegration.Status.ACTIVE:
        return "ok"
    return "broken" if status == OrganizationIntegration.Status.FAILED else "gone"


def organization_integration_for(user: User) -> OrganizationIntegration | None:
    """The active domain-wide integration covering this person's address, if any (whether or
    not it reaches their calendar: see :func:`integration_state`)."""
    return _active_integrations_by_user([user]).get(user.pk)


def insight_for(user: User) -> str:
    """ "organization" | "individual" | "none": how this person's busy time is known."""
    return integration_state(user).how


def connection_label(user: User) -> str:
    """A sentence for the My Calendar page and the booking wizard."""
    return integration_state(user).label


def connections_for(user: User):
    return (
        CalendarConnection.objects.filter(user=user)
        .prefetch_related("calendars")
        .order_by("created_at")
    )


def broken_connections_for(user: User):
    return CalendarConnection.objects.filter(
        user=user, status=CalendarConnection.Status.NEEDS_RECONNECT
    )


@todo_source
def reconnect_todos(user: User) -> list[TodoItem]:
    """One To-Do item while the person's calendar needs something from them: a connection
    to reconnect, or an organization integration that cannot reach them. The detail is the
    same sentence My Calendar shows (their :class:`IntegrationState`)."""
    state = integration_state(user)
    broken = list(broken_connections_for(user))
    if broken:
        accounts = ", ".join(c.account_email for c in broken)
        return [
            TodoItem(
                key="reconnect-calendar",
                title="Reconnect your calendar",
                detail=f"We can no longer read {accounts}. Reconnect so your availability "
                "stays accurate.",
                url=reverse("calendars:my_calendar"),
                urgent=True,
            )
        ]
    # A broken organization grant is its IT admin's To-Do (below), not every member's.
    org_active = state.organization_covers and organization_integration_for(user) is not None
    if state.reason and org_active and not state.can_write:
        return [
            TodoItem(
                key="organization-cannot-reach-calendar",
                title="Your calendar is not connected",
                detail=state.reason,
                url=reverse("calendars:my_calendar"),
                urgent=True,
            )
        ]
    return []


@todo_source
def organization_integration_todos(user: User) -> list[TodoItem]:
    """Organization IT: one item while the organization's domain-wide integration is broken."""
    if not roles.manages_calendar_integration(user):
        return []
    failed = OrganizationIntegration.objects.filter(
        organization_id=user.organization_id, status=OrganizationIntegration.Status.FAILED
    ).first()
    if failed is None:
        return []
    return [
        TodoItem(
            key="reconnect-organization-calendar",
            title="Fix your organization's calendar integration",
            detail=f"{failed.get_provider_display()} no longer lets Together read members' calendars.",
            url=reverse("calendars:org_integration"),
            urgent=True,
        )
    ]
