"""The emulator's in-memory world: organizations, accounts, calendars, events and grants.

One `Store` holds everything behind one re-entrant lock. Handlers run on the server's
event loop and hold the lock only for dictionary work, never across I/O, so contention
stays negligible; the lock exists for callers in other threads (the in-process test
helper, which may inspect the store directly).

Events are provider-neutral: `show_as` carries Graph's vocabulary (busy, free, tentative,
oof, workingElsewhere) and each provider module renders it in its own words.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from emulator import ids
from emulator.faults import FaultBook
from emulator.recurrence import occurrence_starts
from emulator.timefmt import utcnow

Provider = Literal["google", "microsoft"]
SHOW_AS = ("free", "workingElsewhere", "tentative", "busy", "oof")


@dataclass
class Organization:
    """A customer: a Google Workspace domain or a Microsoft 365 tenant."""

    name: str
    provider: Provider
    domains: list[str]
    tenant_id: str = ""
    customer_id: str = ""
    # Google: client id -> scopes the domain admin delegated to that service account.
    delegations: dict[str, set[str]] = field(default_factory=dict)
    # Google: when set, only `trusted_clients` may be authorized by this domain's users.
    block_unapproved_apps: bool = False
    trusted_clients: set[str] = field(default_factory=set)
    # Microsoft: client id -> consent an admin granted for the whole tenant.
    admin_consents: dict[str, AdminConsent] = field(default_factory=dict)
    user_consent_requires_admin: bool = False


@dataclass
class AdminConsent:
    client_id: str
    roles: set[str]
    scopes: set[str]
    granted_by: str
    granted_at: datetime


@dataclass
class Account:
    email: str
    name: str
    provider: Provider
    org: str | None
    time_zone: str
    user_id: str
    is_admin: bool = False
    working_hours: tuple[str, str] = ("09:00", "17:00")
    # Outlook's work week: one start and end for a set of days, in a zone of its own that
    # may differ from the mailbox's (https://learn.microsoft.com/en-us/graph/api/resources/workinghours).
    working_days: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday")
    working_time_zone: str = ""  # empty: the mailbox's own zone


@dataclass
class Client:
    """An app registration (Google OAuth client or Entra application)."""

    provider: Provider
    client_id: str
    client_secret: str
    name: str
    redirect_uris: list[str] = field(default_factory=list)
    # Microsoft: the application permissions `.default` stands for in client credentials.
    application_permissions: set[str] = field(
        default_factory=lambda: {"Calendars.ReadWrite", "User.Read.All"}
    )


@dataclass
class ServiceAccount:
    client_email: str
    client_id: str
    public_key_pem: str
    private_key_pem: str | None = None
    private_key_id: str = ""
    project_id: str = "together-emulator"


@dataclass
class Attendee:
    email: str
    name: str = ""
    # Google's words: needsAction, accepted, declined, tentative.
    response: str = "needsAction"
    optional: bool = False


@dataclass
class Event:
    id: str
    calendar_id: str
    summary: str
    start: datetime
    end: datetime
    time_zone: str
    all_day: bool = False
    show_as: str = "busy"
    event_type: str = "default"
    status: str = "confirmed"
    organizer: str = ""
    attendees: list[Attendee] = field(default_factory=list)
    recurrence: list[str] = field(default_factory=list)
    recurring_event_id: str | None = None
    original_start: datetime | None = None
    description: str = ""
    location: str = ""
    conference: dict[str, Any] | None = None
    ical_uid: str = ""
    created: datetime = field(default_factory=utcnow)
    updated: datetime = field(default_factory=utcnow)
    seq: int = 0
    sequence: int = 0
    deleted: bool = False
    # Set when an API client created the event (the inspection endpoint lists these).
    written_by: str | None = None
    transaction_id: str | None = None
    send_updates: str | None = None
    notifications: list[dict[str, Any]] = field(default_factory=list)
    writes: list[dict[str, Any]] = field(default_factory=list)
    # Provider fields echoed back unchanged (extendedProperties, reminders, body, ...).
    extra: dict[str, Any] = field(default_factory=dict)
    # Set on attendees' copies of an invitation: (calendar id, event id) of the original.
    invited_from: tuple[str, str] | None = None

    def response_of(self, email: str) -> str | None:
        for attendee in self.attendees:
            if attendee.email.lower() == email.lower():
                return attendee.response
        return None


@dataclass
class Calendar:
    id: str
    owner: str
    name: str
    provider: Provider
    primary: bool = False
    time_zone: str = "UTC"
    color: str = "#9fc6e7"
    # email -> owner | writer | reader | freeBusyReader
    acl: dict[str, str] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    # Sync and delta tokens issued before this change number answer 410.
    sync_floor: int = 0


@dataclass
class Grant:
    """One consent: who allowed which client what. Tokens die with their grant."""

    provider: Provider
    client_id: str
    account: str | None
    scopes: frozenset[str]
    kind: Literal["user", "delegated", "service_account", "app"]
    tenant_id: str = ""
    revoked: bool = False
    id: str = field(default_factory=ids.guid)


@dataclass
class AccessToken:
    token: str
    grant: Grant
    scopes: frozenset[str]
    expires_at: datetime


@dataclass
class RefreshToken:
    token: str
    grant: Grant
    revoked: bool = False


@dataclass
class AuthCode:
    code: str
    grant: Grant
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    offline: bool
    expires_at: datetime
    used: bool = False


@dataclass
class BusyBlock:
    start: datetime
    end: datetime
    show_as: str
    event: Event


class Store:
    """Everything the emulator knows, with the lookups the providers share."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.faults = FaultBook()
        self.clear()

    def clear(self) -> None:
        with self.lock:
            self.orgs: dict[str, Organization] = {}
            self.accounts: dict[str, Account] = {}
            self.calendars: dict[str, Calendar] = {}
            self.clients: dict[tuple[str, str], Client] = {}
            self.service_accounts: dict[str, ServiceAccount] = {}
            self.access_tokens: dict[str, AccessToken] = {}
            self.refresh_tokens: dict[str, RefreshToken] = {}
            self.auth_codes: dict[str, AuthCode] = {}
            self.pending: dict[str, dict[str, Any]] = {}
            self.conferences: dict[tuple[str, str], dict[str, Any]] = {}
            self.counters: dict[str, int] = {}
            self.seq = 0
            self.faults.clear()

    # -- identities -------------------------------------------------------------------

    def account(self, email: str | None) -> Account | None:
        return self.accounts.get(email.lower()) if email else None

    def org_of(self, account: Account | None) -> Organization | None:
        return self.orgs.get(account.org) if account and account.org else None

    def org_for_domain(self, email: str) -> Organization | None:
        domain = email.rsplit("@", 1)[-1].lower()
        for org in self.orgs.values():
            if domain in org.domains:
                return org
        return None

    def tenant(self, key: str) -> Organization | None:
        """A Microsoft tenant by id, by one of its domains or by ``<name>.onmicrosoft.com``."""
        key = key.lower()
        for org in self.orgs.values():
            if org.provider != "microsoft":
                continue
            onmicrosoft = org.name.lower().replace(" ", "") + ".onmicrosoft.com"
            if key in (org.tenant_id.lower(), onmicrosoft) or key in org.domains:
                return org
        return None

    def ms_user(self, key: str) -> Account | None:
        """A Microsoft account by object id or user principal name."""
        found = self.accounts.get(key.lower())
        if found and found.provider == "microsoft":
            return found
        for account in self.accounts.values():
            if account.provider == "microsoft" and account.user_id == key:
                return account
        return None

    def client(self, provider: Provider, client_id: str) -> Client | None:
        return self.clients.get((provider, client_id))

    def service_account_by_id(self, client_id: str) -> ServiceAccount | None:
        for sa in self.service_accounts.values():
            if sa.client_id == client_id:
                return sa
        return None

    # -- calendars and events ---------------------------------------------------------

    def calendars_of(self, email: str) -> list[Calendar]:
        """Calendars the account owns, then those shared with it."""
        email = email.lower()
        owned = [c for c in self.calendars.values() if c.owner == email]
        owned.sort(key=lambda c: (not c.primary, c.name))
        shared = [c for c in self.calendars.values() if c.owner != email and email in c.acl]
        shared.sort(key=lambda c: c.name)
        return owned + shared

    def primary_calendar(self, email: str) -> Calendar | None:
        for calendar in self.calendars.values():
            if calendar.owner == email.lower() and calendar.primary:
                return calendar
        return None

    def role(self, calendar: Calendar, email: str | None) -> str | None:
        """What `email` may do with `calendar`: owner, writer, reader, freeBusyReader or None.

        Colleagues in the same organization see each other's primary calendars as
        free/busy, which is both providers' default sharing inside a domain or tenant.
        """
        if not email:
            return None
        email = email.lower()
        if calendar.owner == email:
            return "owner"
        if email in calendar.acl:
            return calendar.acl[email]
        owner = self.accounts.get(calendar.owner)
        viewer = self.accounts.get(email)
        if calendar.primary and owner and viewer and owner.org and owner.org == viewer.org:
            return "freeBusyReader"
        return None

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def touch(self, event: Event) -> None:
        """Record a change so sync and delta queries report it."""
        event.seq = self.next_seq()
        event.updated = utcnow()

    def busy_blocks(
        self, calendar: Calendar, start: datetime, end: datetime
    ) -> Iterator[BusyBlock]:
        """Every event instance overlapping [start, end) that is not cancelled or declined.

        Recurring series are expanded and their exceptions applied; the caller decides
        which `show_as` values count as busy.
        """
        for event, occ_start, occ_end in self.instances(calendar, start, end):
            if event.status == "cancelled":
                continue
            if event.response_of(calendar.owner) == "declined":
                continue
            yield BusyBlock(occ_start, occ_end, effective_show_as(event, calendar.owner), event)

    def instances(
        self, calendar: Calendar, start: datetime, end: datetime, *, with_cancelled: bool = False
    ) -> Iterator[tuple[Event, datetime, datetime]]:
        """Single events, exceptions and expanded occurrences overlapping [start, end).

        A generated occurrence is yielded as (master, start, end); an exception as itself.
        """
        overridden: dict[str, set[datetime]] = {}
        for event in calendar.events.values():
            if event.recurring_event_id and event.original_start and not event.deleted:
                overridden.setdefault(event.recurring_event_id, set()).add(event.original_start)
        for event in calendar.events.values():
            if event.deleted:
                continue
            if event.recurrence and not event.recurring_event_id:
                if event.status == "cancelled" and not with_cancelled:
                    continue
                skip = overridden.get(event.id, set())
                duration = event.end - event.start
                for occ in occurrence_starts(event, start - duration, end):
                    if occ in skip:
                        continue
                    if occ < end and occ + duration > start:
                        yield event, occ, occ + duration
                continue
            if event.status == "cancelled" and not with_cancelled:
                continue
            if event.start < end and event.end > start:
                yield event, event.start, event.end

    def find_event(self, event_id: str, email: str) -> tuple[Calendar, Event] | None:
        """An event by id in any calendar the account can read."""
        for calendar in self.calendars_of(email):
            event = calendar.events.get(event_id)
            if event is not None and not event.deleted:
                return calendar, event
        return None

    def written_events(self) -> list[tuple[Calendar, Event]]:
        found = []
        for calendar in self.calendars.values():
            for event in calendar.events.values():
                if event.written_by:
                    found.append((calendar, event))
        found.sort(key=lambda pair: pair[1].created)
        return found

    def count(self, endpoint: str) -> None:
        self.counters[endpoint] = self.counters.get(endpoint, 0) + 1

    # -- grants -----------------------------------------------------------------------

    def revoke_grants(self, account: str | None, client_id: str | None = None) -> int:
        """Revoke every grant of an account (or all accounts); returns how many."""
        revoked = 0
        grants = {t.grant.id: t.grant for t in self.refresh_tokens.values()}
        grants.update({t.grant.id: t.grant for t in self.access_tokens.values()})
        for grant in grants.values():
            if account and (grant.account or "").lower() != account.lower():
                continue
            if client_id and grant.client_id != client_id:
                continue
            if not grant.revoked:
                grant.revoked = True
                revoked += 1
        return revoked

    def effective_scopes(self, access: AccessToken) -> frozenset[str]:
        """A token's scopes less any its grant has since lost."""
        return access.scopes & access.grant.scopes

    def issue_access(
        self, grant: Grant, scopes: frozenset[str], token: str | None = None, lifetime: int = 3599
    ) -> AccessToken:
        access = AccessToken(
            token=token or ids.token("ya29.emu-"),
            grant=grant,
            scopes=scopes,
            expires_at=utcnow() + timedelta(seconds=lifetime),
        )
        self.access_tokens[access.token] = access
        return access

    def issue_refresh(self, grant: Grant, prefix: str = "1//emu-") -> RefreshToken:
        refresh = RefreshToken(token=ids.token(prefix), grant=grant)
        self.refresh_tokens[refresh.token] = refresh
        return refresh

    def valid_access(self, token: str, provider: Provider) -> AccessToken | None:
        access = self.access_tokens.get(token)
        if access is None or access.grant.provider != provider or access.grant.revoked:
            return None
        if access.expires_at <= utcnow():
            return None
        return access


def effective_show_as(event: Event, owner: str) -> str:
    """How an instance counts for its calendar's owner, including their own response."""
    if event.show_as == "busy" and event.response_of(owner) == "tentative":
        return "tentative"
    return event.show_as


def merge(blocks: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Union of intervals, sorted, touching ones joined."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(blocks):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def all_day_dates(event: Event) -> tuple[date, date]:
    """The first day and the exclusive last day of an all-day event, in its zone."""
    from emulator.timefmt import zone

    tz = zone(event.time_zone)
    first = event.start.astimezone(tz).date()
    last = event.end.astimezone(tz).date()
    if last == first:
        last = first + timedelta(days=1)
    return first, last
