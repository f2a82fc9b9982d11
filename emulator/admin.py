"""The control surface under ``/_emulator/``: fixtures, faults, inspection, counters.

Fixture documents (see ``emulator/fixtures/demo.json`` and the README) describe clients,
service accounts, organizations, accounts with their calendars and events, and faults.
Event times may be relative to the moment of loading, in the account's zone, so a demo
always has busy times around "now": ``"+1d 10:00"`` (tomorrow at ten), ``"-2d 14:30"``,
``"+3d"`` (a date, for all-day events), ``"now+2h"``, or an absolute ISO value.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from emulator import ids
from emulator.app import Emulator
from emulator.faults import REQUEST_FAULTS, fault_from_spec
from emulator.recurrence import occurrence_starts
from emulator.signing import new_key_pair
from emulator.store import (
    SHOW_AS,
    Account,
    AdminConsent,
    Attendee,
    Calendar,
    Client,
    Event,
    Organization,
    ServiceAccount,
)
from emulator.timefmt import day_span, utcnow, zone
from emulator.web import Exchange, HTTPError, Response, Router

STATE_FAULTS = (
    "revoke_tokens",
    "remove_scopes",
    "withdraw_delegation",
    "revoke_admin_consent",
    "expire_sync_tokens",
    "expire_access_tokens",
)
RELATIVE = re.compile(r"^(?P<sign>[+-])(?P<n>\d+)(?P<unit>[dw])(?:\s+(?P<clock>\d{1,2}:\d{2}))?$")
NOW = re.compile(r"^now(?:(?P<sign>[+-])(?P<n>\d+)(?P<unit>[mhd]))?$")
DURATION = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?$")


class FixtureError(ValueError):
    """A fixture or control request that cannot be applied; the message says why."""


def parse_when(text: str, tz: str, now: datetime) -> datetime | date:
    """A fixture time: an aware UTC instant, or a `date` for all-day values."""
    text = text.strip()
    local_today = now.astimezone(zone(tz)).date()
    if found := NOW.match(text):
        if not found["sign"]:
            return now
        step = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
        delta = int(found["n"]) * step[found["unit"]]
        return now + delta if found["sign"] == "+" else now - delta
    if found := RELATIVE.match(text):
        days = int(found["n"]) * (7 if found["unit"] == "w" else 1)
        day = local_today + timedelta(days=days if found["sign"] == "+" else -days)
        if not found["clock"]:
            return day
        hour, minute = (int(x) for x in found["clock"].split(":"))
        return datetime.combine(day, time(hour, minute), tzinfo=zone(tz)).astimezone(UTC)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise FixtureError(f"cannot read the time {text!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(tz))
    return value.astimezone(UTC)


def parse_duration(text: str) -> timedelta:
    found = DURATION.match(text.strip())
    if not found or not any(found.groups()):
        raise FixtureError(f"cannot read the duration {text!r} (try 45m, 1h30m, 2d)")
    return timedelta(
        days=int(found["d"] or 0), hours=int(found["h"] or 0), minutes=int(found["m"] or 0)
    )


def load_fixture(emu: Emulator, doc: dict[str, Any]) -> dict[str, int]:
    """Merge a fixture document into the store; returns how many of each thing it added.

    Things are keyed by their natural id (client id, email, org name), so loading the
    same document twice replaces rather than duplicates.
    """
    store = emu.store
    now = utcnow()
    added = {
        "clients": 0,
        "service_accounts": 0,
        "organizations": 0,
        "accounts": 0,
        "events": 0,
        "faults": 0,
    }
    with store.lock:
        for spec in doc.get("clients", []):
            add_client(emu, spec)
            added["clients"] += 1
        for spec in doc.get("service_accounts", []):
            add_service_account(emu, spec)
            added["service_accounts"] += 1
        for spec in doc.get("organizations", []):
            add_organization(emu, spec)
            added["organizations"] += 1
        for spec in doc.get("accounts", []):
            added["events"] += add_account(emu, spec, now)
            added["accounts"] += 1
        for spec in doc.get("shares", []):
            share(emu, spec)
        for spec in doc.get("faults", []):
            set_fault(emu, spec)
            added["faults"] += 1
    return added


def require(spec: dict[str, Any], *names: str) -> None:
    missing = [n for n in names if not spec.get(n)]
    if missing:
        raise FixtureError(f"missing {', '.join(missing)} in {spec!r}")


def add_client(emu: Emulator, spec: dict[str, Any]) -> Client:
    require(spec, "provider", "client_id", "client_secret")
    if spec["provider"] not in ("google", "microsoft"):
        raise FixtureError("client provider must be google or microsoft")
    client = Client(
        provider=spec["provider"],
        client_id=spec["client_id"],
        client_secret=spec["client_secret"],
        name=spec.get("name", "Together"),
        redirect_uris=list(spec.get("redirect_uris", [])),
    )
    if "application_permissions" in spec:
        client.application_permissions = set(spec["application_permissions"])
    emu.store.clients[(client.provider, client.client_id)] = client
    return client


def add_service_account(emu: Emulator, spec: dict[str, Any]) -> ServiceAccount:
    """A Google service account; without ``public_key_pem`` a key pair is made here and
    its key file is served at ``/_emulator/service-accounts/<email>/key``."""
    require(spec, "client_email", "client_id")
    email = spec["client_email"].lower()
    existing = emu.store.service_accounts.get(email)
    private, public = spec.get("private_key_pem"), spec.get("public_key_pem")
    if not public:
        if existing and existing.private_key_pem:
            private, public = existing.private_key_pem, existing.public_key_pem
        else:
            private, public = new_key_pair()
    sa = ServiceAccount(
        client_email=email,
        client_id=str(spec["client_id"]),
        public_key_pem=public,
        private_key_pem=private,
        private_key_id=existing.private_key_id if existing else ids.token("")[:40],
        project_id=spec.get("project_id", "together-emulator"),
    )
    emu.store.service_accounts[email] = sa
    return sa


def add_organization(emu: Emulator, spec: dict[str, Any]) -> Organization:
    require(spec, "name", "provider", "domains")
    provider = spec["provider"]
    if provider not in ("google", "microsoft"):
        raise FixtureError("organization provider must be google or microsoft")
    org = Organization(
        name=spec["name"],
        provider=provider,
        domains=[d.lower() for d in spec["domains"]],
        tenant_id=spec.get("tenant_id") or (ids.guid() if provider == "microsoft" else ""),
        customer_id=spec.get(
            "customer_id", "C0" + ids.token("")[:7] if provider == "google" else ""
        ),
        block_unapproved_apps=bool(spec.get("block_unapproved_apps")),
        trusted_clients=set(spec.get("trusted_clients", [])),
        user_consent_requires_admin=bool(spec.get("user_consent_requires_admin")),
    )
    for delegation in spec.get("delegations", []):
        require(delegation, "client_id", "scopes")
        org.delegations[str(delegation["client_id"])] = set(delegation["scopes"])
    for consent in spec.get("admin_consents", []):
        require(consent, "client_id")
        client = emu.store.client("microsoft", consent["client_id"])
        roles = set(consent.get("roles") or (client.application_permissions if client else []))
        org.admin_consents[consent["client_id"]] = AdminConsent(
            consent["client_id"],
            roles,
            set(consent.get("scopes", [])),
            consent.get("granted_by", "fixture"),
            utcnow(),
        )
    emu.store.orgs[org.name] = org
    return org


def add_account(emu: Emulator, spec: dict[str, Any], now: datetime | None = None) -> int:
    """An account with its calendars and events; returns how many events it added."""
    require(spec, "email")
    store = emu.store
    now = now or utcnow()
    email = spec["email"].lower()
    org = store.orgs.get(spec["org"]) if spec.get("org") else store.org_for_domain(email)
    if spec.get("org") and org is None:
        raise FixtureError(f"unknown organization {spec['org']!r}")
    provider = spec.get("provider") or (org.provider if org else "google")
    tz = spec.get("time_zone", "UTC")
    try:
        zone(tz)
    except KeyError as exc:
        raise FixtureError(f"unknown time zone {tz!r}") from exc
    existing = store.accounts.get(email)
    account = Account(
        email=email,
        name=spec.get("name") or email.split("@")[0].replace(".", " ").title(),
        provider=provider,
        org=org.name if org else None,
        time_zone=tz,
        user_id=spec.get("id")
        or (
            existing.user_id
            if existing
            else (ids.google_user_id() if provider == "google" else ids.guid())
        ),
        is_admin=bool(spec.get("admin")),
        working_hours=tuple(spec.get("working_hours", ("09:00", "17:00"))),  # type: ignore[arg-type]
        working_days=tuple(
            spec.get("working_days", ("monday", "tuesday", "wednesday", "thursday", "friday"))
        ),
        working_time_zone=str(spec.get("working_time_zone", "")),
    )
    store.accounts[email] = account
    calendars = list(spec.get("calendars") or [])
    if not any(c.get("primary") for c in calendars):
        calendars.insert(0, {"name": account.name, "primary": True})
    count = 0
    for index, cal_spec in enumerate(calendars):
        events = list(cal_spec.get("events", []))
        if cal_spec.get("primary"):
            events += spec.get("events", [])
        calendar = add_calendar(emu, account, {**cal_spec, "events": []}, index)
        for event_spec in events:
            add_event(emu, calendar, event_spec, now)
            count += 1
    return count


def add_calendar(emu: Emulator, account: Account, spec: dict[str, Any], index: int = 0) -> Calendar:
    store = emu.store
    primary = bool(spec.get("primary"))
    if account.provider == "google":
        calendar_id = (
            account.email if primary else spec.get("id") or ids.google_secondary_calendar_id()
        )
    else:
        calendar_id = spec.get("id") or ids.graph_id("AAMkAGI2")
    existing = store.calendars.get(calendar_id)
    if primary and existing is None:
        old = store.primary_calendar(account.email)
        existing = old
        calendar_id = old.id if old else calendar_id
    calendar = Calendar(
        id=calendar_id,
        owner=account.email,
        name=spec.get("name") or (account.name if primary else f"Calendar {index}"),
        provider=account.provider,
        primary=primary,
        time_zone=spec.get("time_zone", account.time_zone),
        color=spec.get("color", "#9fc6e7"),
        acl={k.lower(): v for k, v in spec.get("shared_with", {}).items()},
    )
    if existing is not None and not spec.get("replace_events"):
        calendar.events = existing.events
    store.calendars[calendar.id] = calendar
    for event_spec in spec.get("events", []):
        add_event(emu, calendar, event_spec)
    return calendar


def add_event(
    emu: Emulator, calendar: Calendar, spec: dict[str, Any], now: datetime | None = None
) -> Event:
    """One fixture event (and its exceptions) on `calendar`."""
    require(spec, "start")
    store = emu.store
    now = now or utcnow()
    tz = spec.get("time_zone") or calendar.time_zone
    google = calendar.provider == "google"
    start = parse_when(spec["start"], tz, now)
    all_day = not isinstance(start, datetime)
    if all_day:
        first_day = start if isinstance(start, date) else start.date()
        start_at, end_at = day_span(first_day, int(spec.get("days", 1)), tz)
    else:
        assert isinstance(start, datetime)
        start_at = start
        if spec.get("end"):
            end = parse_when(spec["end"], tz, now)
            if not isinstance(end, datetime):
                raise FixtureError("a timed event needs a timed end")
            end_at = end
        else:
            end_at = start_at + parse_duration(spec.get("duration", "1h"))
    if end_at <= start_at:
        raise FixtureError(f"event {spec.get('summary')!r} ends before it starts")
    show_as = spec.get("show_as", "busy")
    if show_as not in SHOW_AS:
        raise FixtureError(f"show_as must be one of {SHOW_AS}")
    event_id = spec.get("id") or (ids.google_event_id() if google else ids.graph_id())
    organizer = (spec.get("organizer") or calendar.owner).lower()
    attendees = [
        Attendee(email=a.lower())
        if isinstance(a, str)
        else Attendee(
            email=a["email"].lower(),
            name=a.get("name", ""),
            response=a.get("response", "needsAction"),
            optional=bool(a.get("optional")),
        )
        for a in spec.get("attendees", [])
    ]
    if spec.get("response"):
        if organizer == calendar.owner:
            organizer = "organizer@outside.example"
        attendees = [a for a in attendees if a.email != calendar.owner]
        attendees.append(Attendee(email=calendar.owner, response=spec["response"]))
        if not any(a.email == organizer for a in attendees):
            attendees.insert(0, Attendee(email=organizer, response="accepted"))
    event = Event(
        id=event_id,
        calendar_id=calendar.id,
        summary=spec.get("summary", "Busy"),
        start=start_at,
        end=end_at,
        time_zone=tz,
        all_day=all_day,
        show_as=show_as,
        event_type="outOfOffice"
        if show_as == "oof" and google
        else spec.get("event_type", "default"),
        status=spec.get("status", "confirmed"),
        organizer=organizer,
        attendees=attendees,
        recurrence=list(spec.get("recurrence", [])),
        description=spec.get("description", ""),
        location=spec.get("location", ""),
        ical_uid=f"{event_id}@google.com"
        if google
        else "040000008200E00074C5B7101A82E008" + ids.guid().replace("-", "").upper(),
    )
    calendar.events[event.id] = event
    store.touch(event)
    if spec.get("exceptions"):
        if not event.recurrence:
            raise FixtureError("exceptions need a recurring event")
        add_exceptions(emu, calendar, event, spec["exceptions"], now)
    return event


def add_exceptions(
    emu: Emulator, calendar: Calendar, master: Event, specs: list[dict[str, Any]], now: datetime
) -> None:
    starts = list(occurrence_starts(master, master.start, master.start + timedelta(days=3 * 365)))
    for spec in specs:
        index = int(spec.get("index", -1))
        if not 0 <= index < len(starts):
            raise FixtureError(f"exception index {index} is outside the series")
        original = starts[index]
        duration = master.end - master.start
        if calendar.provider == "google":
            suffix = (
                f"{original.astimezone(zone(master.time_zone)):%Y%m%d}"
                if master.all_day
                else f"{original:%Y%m%dT%H%M%SZ}"
            )
            exception_id = f"{master.id}_{suffix}"
        else:
            exception_id = ids.graph_id()
        start = parse_when(spec["start"], master.time_zone, now) if spec.get("start") else original
        if not isinstance(start, datetime):
            raise FixtureError("an exception of a timed series needs a timed start")
        end = (
            parse_when(spec["end"], master.time_zone, now) if spec.get("end") else start + duration
        )
        assert isinstance(end, datetime)
        exception = Event(
            id=exception_id,
            calendar_id=calendar.id,
            summary=spec.get("summary", master.summary),
            start=start,
            end=end,
            time_zone=master.time_zone,
            all_day=master.all_day,
            show_as=spec.get("show_as", master.show_as),
            event_type=master.event_type,
            status="cancelled" if spec.get("cancelled") else "confirmed",
            organizer=master.organizer,
            attendees=list(master.attendees),
            recurring_event_id=master.id,
            original_start=original,
            ical_uid=master.ical_uid,
        )
        calendar.events[exception.id] = exception
        emu.store.touch(exception)


def share(emu: Emulator, spec: dict[str, Any]) -> None:
    """Give `with` a role on someone's calendar: {"calendar": id, "with": email, "role"}."""
    require(spec, "calendar", "with")
    calendar = emu.store.calendars.get(spec["calendar"])
    if calendar is None:
        raise FixtureError(f"unknown calendar {spec['calendar']!r}")
    calendar.acl[spec["with"].lower()] = spec.get("role", "reader")


# -- faults -------------------------------------------------------------------------------


def set_fault(emu: Emulator, spec: dict[str, Any]) -> dict[str, Any]:
    """Add a request fault, or apply a state fault at once; returns what was done."""
    kind = spec.get("kind")
    if kind in REQUEST_FAULTS:
        try:
            fault = emu.store.faults.add(fault_from_spec(dict(spec)))
        except (TypeError, ValueError) as exc:
            raise FixtureError(str(exc)) from exc
        return {"fault": fault.as_dict()}
    if kind in STATE_FAULTS:
        return {"applied": kind, "affected": apply_state_fault(emu, spec)}
    raise FixtureError(f"unknown fault kind {kind!r}; known: {REQUEST_FAULTS + STATE_FAULTS}")


def _org(emu: Emulator, spec: dict[str, Any], provider: str) -> Organization:
    key = spec.get("org") or spec.get("domain") or spec.get("tenant")
    store = emu.store
    org = store.orgs.get(key or "") or (store.org_for_domain("x@" + key) if key else None)
    if org is None and key and provider == "microsoft":
        org = store.tenant(key)
    if org is None or org.provider != provider:
        raise FixtureError(f"no {provider} organization {key!r}")
    return org


def apply_state_fault(emu: Emulator, spec: dict[str, Any]) -> int:
    """Change the store the way the provider's admin or user would; returns what it touched."""
    store = emu.store
    kind = spec["kind"]
    account = (spec.get("account") or "").lower() or None
    client_id = spec.get("client_id")
    now = utcnow()
    if kind == "revoke_tokens":
        return store.revoke_grants(account, client_id)
    if kind == "expire_access_tokens":
        touched = 0
        for access in store.access_tokens.values():
            if account and (access.grant.account or "") != account:
                continue
            access.expires_at = now - timedelta(seconds=1)
            touched += 1
        return touched
    if kind == "expire_sync_tokens":
        floor = store.next_seq()
        touched = 0
        for calendar in store.calendars.values():
            if account is None or calendar.owner == account:
                calendar.sync_floor = floor
                touched += 1
        return touched
    if kind == "remove_scopes":
        from emulator.microsoft_identity import short_scope

        removed = {short_scope(s) for s in spec.get("scopes", [])} | set(spec.get("scopes", []))
        if not removed:
            raise FixtureError("remove_scopes needs scopes")
        tenant_id = None
        if spec.get("tenant"):
            org = _org(emu, spec, "microsoft")
            tenant_id = org.tenant_id
            for consent in org.admin_consents.values():
                if client_id is None or consent.client_id == client_id:
                    consent.roles -= removed
        grants = {t.grant.id: t.grant for t in store.refresh_tokens.values()}
        grants.update({t.grant.id: t.grant for t in store.access_tokens.values()})
        touched = 0
        for grant in grants.values():
            if account and (grant.account or "") != account:
                continue
            if tenant_id and (grant.kind != "app" or grant.tenant_id != tenant_id):
                continue
            if client_id and grant.client_id != client_id:
                continue
            if grant.scopes & removed:
                grant.scopes = grant.scopes - removed
                touched += 1
        return touched
    if kind == "withdraw_delegation":
        org = _org(emu, spec, "google")
        targets = [client_id] if client_id else list(org.delegations)
        touched = 0
        for target in targets:
            if target not in org.delegations:
                continue
            if spec.get("scopes"):
                org.delegations[target] -= set(spec["scopes"])
            else:
                del org.delegations[target]
            touched += 1
        return touched
    if kind == "revoke_admin_consent":
        org = _org(emu, spec, "microsoft")
        targets = [client_id] if client_id else list(org.admin_consents)
        touched = sum(1 for t in targets if org.admin_consents.pop(t, None) is not None)
        # Application tokens already issued stay valid until they expire, as in Entra.
        return touched
    raise FixtureError(f"unknown state fault {kind!r}")


# -- inspection ---------------------------------------------------------------------------


def event_summary(emu: Emulator, calendar: Calendar, event: Event) -> dict[str, Any]:
    link = None
    if event.conference:
        link = event.conference.get("joinUrl")
        for entry in event.conference.get("entryPoints", []):
            if entry.get("entryPointType") == "video":
                link = entry.get("uri")
    return {
        "provider": calendar.provider,
        "calendar_id": calendar.id,
        "account": calendar.owner,
        "id": event.id,
        "ical_uid": event.ical_uid,
        "summary": event.summary,
        "description": event.description,
        "start": event.start.isoformat(),
        "end": event.end.isoformat(),
        "all_day": event.all_day,
        "time_zone": event.time_zone,
        "status": event.status,
        "deleted": event.deleted,
        "show_as": event.show_as,
        "attendees": [{"email": a.email, "response": a.response} for a in event.attendees],
        "conference_link": link,
        "written_by": event.written_by,
        "transaction_id": event.transaction_id,
        "send_updates": event.send_updates,
        "notifications": list(event.notifications),
        "writes": list(event.writes),
        "extra": dict(event.extra),
    }


class Admin:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.store = emu.store

    def register(self, router: Router) -> None:
        add = router.add
        add("GET", "/_emulator/health", "admin.health", lambda ex: Response.json({"ok": True}))
        add("GET", "/_emulator/state", "admin.state", self.state)
        add("POST", "/_emulator/reset", "admin.reset", self.reset)
        add("POST", "/_emulator/fixture", "admin.fixture", self.fixture)
        add("POST", "/_emulator/clients", "admin.add", self.adder("clients"))
        add("POST", "/_emulator/service-accounts", "admin.add", self.adder("service_accounts"))
        add("POST", "/_emulator/organizations", "admin.add", self.adder("organizations"))
        add("POST", "/_emulator/accounts", "admin.add", self.adder("accounts"))
        add("POST", "/_emulator/shares", "admin.add", self.adder("shares"))
        add("POST", "/_emulator/events", "admin.events", self.events)
        add("POST", "/_emulator/delegations", "admin.delegations", self.delegate)
        add("POST", "/_emulator/admin-consents", "admin.admin-consents", self.admin_consent)
        add("GET", "/_emulator/faults", "admin.faults", self.faults)
        add("POST", "/_emulator/faults", "admin.faults", self.add_faults)
        add("DELETE", "/_emulator/faults", "admin.faults", self.clear_faults)
        add("DELETE", "/_emulator/faults/{id}", "admin.faults", self.remove_fault)
        add("GET", "/_emulator/written-events", "admin.written-events", self.written)
        add("GET", "/_emulator/counters", "admin.counters", self.counters)
        add("DELETE", "/_emulator/counters", "admin.counters", self.reset_counters)
        add("GET", "/_emulator/service-accounts/{email}/key", "admin.key", self.key_file)
        add("GET", "/_emulator/ca.pem", "admin.ca", self.ca)

    @staticmethod
    def body(ex: Exchange) -> Any:
        try:
            return ex.request.json()
        except ValueError as exc:
            raise HTTPError(Response.json({"error": "the body is not JSON"}, 400)) from exc

    @staticmethod
    def guarded(action: Any) -> Response:
        try:
            return Response.json(action())
        except FixtureError as exc:
            return Response.json({"error": str(exc)}, 400)

    def state(self, ex: Exchange) -> Response:
        store = self.store
        orgs = []
        for org in store.orgs.values():
            orgs.append(
                {
                    "name": org.name,
                    "provider": org.provider,
                    "domains": org.domains,
                    "tenant_id": org.tenant_id,
                    "customer_id": org.customer_id,
                    "delegations": {k: sorted(v) for k, v in org.delegations.items()},
                    "block_unapproved_apps": org.block_unapproved_apps,
                    "trusted_clients": sorted(org.trusted_clients),
                    "admin_consents": {
                        k: {
                            "roles": sorted(c.roles),
                            "granted_by": c.granted_by,
                            "granted_at": c.granted_at.isoformat(),
                        }
                        for k, c in org.admin_consents.items()
                    },
                    "user_consent_requires_admin": org.user_consent_requires_admin,
                }
            )
        accounts = []
        for account in store.accounts.values():
            accounts.append(
                {
                    "email": account.email,
                    "name": account.name,
                    "provider": account.provider,
                    "org": account.org,
                    "id": account.user_id,
                    "time_zone": account.time_zone,
                    "admin": account.is_admin,
                    "calendars": [
                        {
                            "id": c.id,
                            "name": c.name,
                            "primary": c.primary and c.owner == account.email,
                            "owner": c.owner,
                            "role": store.role(c, account.email),
                            "events": sum(1 for e in c.events.values() if not e.deleted),
                        }
                        for c in store.calendars_of(account.email)
                    ],
                }
            )
        return Response.json(
            {
                "organizations": orgs,
                "accounts": accounts,
                "clients": [
                    {"provider": c.provider, "client_id": c.client_id, "name": c.name}
                    for c in store.clients.values()
                ],
                "service_accounts": [
                    {"client_email": s.client_email, "client_id": s.client_id}
                    for s in store.service_accounts.values()
                ],
            }
        )

    def reset(self, ex: Exchange) -> Response:
        body = self.body(ex) or {}
        self.store.clear()
        # Subscriptions live beside the store: a reset world has none (nor pending drops).
        self.emu.graph_push.reset()
        doc = (
            body.get("fixture")
            if "fixture" in body
            else (None if body.get("empty") else self.emu.baseline_fixture)
        )
        return self.guarded(lambda: {"loaded": load_fixture(self.emu, doc) if doc else {}})

    def fixture(self, ex: Exchange) -> Response:
        doc = self.body(ex)
        return self.guarded(lambda: {"loaded": load_fixture(self.emu, doc)})

    def adder(self, key: str) -> Any:
        def handler(ex: Exchange) -> Response:
            body = self.body(ex)
            items = body if isinstance(body, list) else [body]
            return self.guarded(lambda: {"loaded": load_fixture(self.emu, {key: items})})

        return handler

    def events(self, ex: Exchange) -> Response:
        """Add events: {"account": email, "calendar": id (default primary), "events": [...]}."""
        body = self.body(ex)

        def action() -> dict[str, Any]:
            require(body, "account", "events")
            calendar_key = body.get("calendar")
            if calendar_key and calendar_key != "primary":
                calendar = self.store.calendars.get(calendar_key)
            else:
                calendar = self.store.primary_calendar(body["account"])
            if calendar is None:
                raise FixtureError(f"no calendar {calendar_key or 'primary'} for {body['account']}")
            created = [add_event(self.emu, calendar, spec).id for spec in body["events"]]
            return {"calendar_id": calendar.id, "event_ids": created}

        return self.guarded(action)

    def delegate(self, ex: Exchange) -> Response:
        body = self.body(ex)

        def action() -> dict[str, Any]:
            require(body, "client_id", "scopes")
            org = _org(self.emu, body, "google")
            org.delegations[str(body["client_id"])] = set(body["scopes"])
            return {
                "organization": org.name,
                "delegations": {k: sorted(v) for k, v in org.delegations.items()},
            }

        return self.guarded(action)

    def admin_consent(self, ex: Exchange) -> Response:
        body = self.body(ex)

        def action() -> dict[str, Any]:
            require(body, "client_id", "tenant")
            org = _org(self.emu, body, "microsoft")
            client = self.store.client("microsoft", body["client_id"])
            roles = set(body.get("roles") or (client.application_permissions if client else []))
            org.admin_consents[body["client_id"]] = AdminConsent(
                body["client_id"], roles, set(), body.get("granted_by", "control"), utcnow()
            )
            return {"tenant_id": org.tenant_id, "roles": sorted(roles)}

        return self.guarded(action)

    def faults(self, ex: Exchange) -> Response:
        return Response.json({"faults": [f.as_dict() for f in self.store.faults.list()]})

    def add_faults(self, ex: Exchange) -> Response:
        body = self.body(ex)
        specs = body if isinstance(body, list) else [body]
        return self.guarded(lambda: {"results": [set_fault(self.emu, s) for s in specs]})

    def clear_faults(self, ex: Exchange) -> Response:
        self.store.faults.clear()
        return Response.json({"cleared": True})

    def remove_fault(self, ex: Exchange) -> Response:
        if self.store.faults.remove(ex.params["id"]):
            return Response.json({"removed": ex.params["id"]})
        return Response.json({"error": "no such fault"}, 404)

    def written(self, ex: Exchange) -> Response:
        """Events created through the APIs (by Together), newest last, with their fate."""
        req = ex.request
        account = (req.arg("account") or "").lower()
        provider = req.arg("provider")
        client_id = req.arg("client_id")
        include_deleted = req.arg("include_deleted", "true") != "false"
        events = []
        for calendar, event in self.store.written_events():
            if account and calendar.owner != account:
                continue
            if provider and calendar.provider != provider:
                continue
            if client_id and event.written_by != client_id:
                continue
            if event.deleted and not include_deleted:
                continue
            events.append(event_summary(self.emu, calendar, event))
        return Response.json({"events": events})

    def counters(self, ex: Exchange) -> Response:
        counts = dict(sorted(self.store.counters.items()))
        return Response.json({"counters": counts, "total": sum(counts.values())})

    def reset_counters(self, ex: Exchange) -> Response:
        self.store.counters.clear()
        return Response.json({"counters": {}})

    def key_file(self, ex: Exchange) -> Response:
        """A Google service-account key file whose URIs point at this emulator."""
        sa = self.store.service_accounts.get(ex.params["email"].lower())
        if sa is None or not sa.private_key_pem:
            return Response.json({"error": "no private key known for that service account"}, 404)
        base = ex.request.base_url
        return Response.json(
            {
                "type": "service_account",
                "project_id": sa.project_id,
                "private_key_id": sa.private_key_id,
                "private_key": sa.private_key_pem,
                "client_email": sa.client_email,
                "client_id": sa.client_id,
                "auth_uri": f"{base}/o/oauth2/auth",
                "token_uri": f"{base}/token",
                "auth_provider_x509_cert_url": f"{base}/oauth2/v1/certs",
                "client_x509_cert_url": f"{base}/robot/v1/metadata/x509/{sa.client_email}",
                "universe_domain": "googleapis.com",
            }
        )

    def ca(self, ex: Exchange) -> Response:
        if self.emu.ca_path is None or not self.emu.ca_path.exists():
            return Response.json({"error": "this emulator serves no TLS port"}, 404)
        return Response(
            200, self.emu.ca_path.read_bytes(), [("content-type", "application/x-pem-file")]
        )
