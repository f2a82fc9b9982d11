"""Nobody sees or changes what is not theirs: every URL pattern and every admin page, walked
with another organization's (or another program's) ids by each kind of person.

Probers: a Contoso member, a Contoso program admin, Contoso's organization admin (who also
runs its IT), and a Northwind program admin of a different program than the one probed.
The probed rows are Northwind's "Zephyr Leadership" program: its match, group, session,
people, calendar connection and organization integration. Each response must name none of
them (names, emails, the agenda) and link none of their admin pages; no response may be a
server error; and nothing in the database may change.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from calendars.models import CalendarConnection, OrganizationIntegration, Provider
from programs import services
from programs.models import (
    Group,
    GroupMember,
    Match,
    Membership,
    Organization,
    Program,
    Session,
    SessionParticipant,
    User,
)
from programs.roles import OrganizationRole
from tests import factories

AGENDA = "Agenda-ZQX-private"


@pytest.fixture
def world(db):
    northwind = factories.organization("Northwind", "northwind.example")
    contoso = factories.organization("Contoso", "contoso.example")
    alice = factories.person(northwind, "alice", time_zone="Asia/Kolkata")
    bob = factories.person(northwind, "bob", time_zone="Pacific/Auckland")
    dan = factories.person(northwind, "dan", time_zone="America/Sao_Paulo")
    zephyr = factories.one_to_one_program(northwind, name="Zephyr Leadership")
    circles = factories.group_program(northwind, name="Zephyr Circles")
    match = services.match_create(program=zephyr, mentee=alice, mentor=bob)
    group = services.group_create(
        program=circles, name="Zephyr Circle", facilitator=bob, members=[alice, dan]
    )
    start = dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC)
    session = Session.objects.create(
        program=zephyr,
        match=match,
        start=start,
        end=start + dt.timedelta(minutes=30),
        duration_minutes=30,
        agenda=AGENDA,
        booked_by=alice,
    )
    for person in (alice, bob):
        SessionParticipant.objects.create(session=session, user=person)
    connection, _calendar = factories.calendar_connected(alice)
    integration = OrganizationIntegration.objects.create(
        organization=northwind,
        provider=Provider.MICROSOFT,
        status=OrganizationIntegration.Status.ACTIVE,
        tenant_id="tenant-zephyr",
    )
    # Northwind's other program, with its own program admin.
    other = factories.one_to_one_program(northwind, name="Quill Program")
    quinn = factories.person(northwind, "quinn")
    services.membership_add(program=other, user=quinn, role=Membership.Role.ADMIN)

    # Contoso's people: a member with a match, a program admin, the organization's admin.
    carol = factories.person(contoso, "carol", time_zone="America/Los_Angeles")
    cyrus = factories.person(contoso, "cyrus")
    contoso_program = factories.one_to_one_program(contoso, name="Contoso Mentoring")
    services.match_create(program=contoso_program, mentee=carol, mentor=cyrus)
    pia = factories.person(contoso, "pia")
    services.membership_add(program=contoso_program, user=pia, role=Membership.Role.ADMIN)
    cora = factories.person(
        contoso, "cora", roles_held=(OrganizationRole.ADMIN, OrganizationRole.IT)
    )
    return {
        "northwind": northwind,
        "program": zephyr,
        "circles": circles,
        "match": match,
        "group": group,
        "session": session,
        "connection": connection,
        "integration": integration,
        "people": [alice, bob, dan],
        "probers": {
            "contoso member": (carol, "organization"),
            "contoso program admin": (pia, "organization"),
            "contoso organization admin": (cora, "organization"),
            "northwind admin of another program": (quinn, "program"),
        },
    }


def _markers(world, scope: str) -> list[str]:
    """What must not appear. Someone of the same organization may see its name and people
    (a program admin matches them); the probed programs' rows stay hidden from them."""
    program_rows = ["Zephyr Leadership", "Zephyr Circle", AGENDA, "tenant-zephyr"]
    if scope == "program":
        return program_rows
    people = [p.email for p in world["people"]]
    return [*program_rows, "Northwind", "northwind.example", *people]


def _foreign_admin_links(world, scope: str) -> list[str]:
    rows = [
        ("programs", "program", world["program"].pk),
        ("programs", "program", world["circles"].pk),
        ("programs", "match", world["match"].pk),
        ("programs", "group", world["group"].pk),
        ("programs", "session", world["session"].pk),
        ("reporting", "programreport", world["program"].pk),
    ]
    if scope == "organization":
        rows += [
            ("programs", "organization", world["northwind"].pk),
            ("calendars", "calendarconnection", world["connection"].pk),
            ("calendars", "organizationintegration", world["integration"].pk),
        ] + [("programs", "user", p.pk) for p in world["people"]]
    return [f"/admin/{app}/{model}/{pk}/" for app, model, pk in rows]


def _fingerprint() -> tuple:
    """Everything a probe could change, in one comparable value."""
    return (
        list(Organization.objects.values_list("pk", "name", "slug")),
        list(Program.objects.values_list("pk", "name", "target_sessions", "allowed_durations")),
        list(Match.objects.values_list("pk", "is_active", "mentee_id", "mentor_id")),
        list(Membership.objects.values_list("pk", "user_id", "role")),
        list(Group.objects.values_list("pk", "name", "facilitator_id")),
        list(GroupMember.objects.values_list("pk", "user_id")),
        list(Session.objects.values_list("pk", "start", "status", "agenda")),
        list(User.objects.values_list("pk", "email", "is_staff", "is_active", "time_zone")),
        list(User.groups.through.objects.values_list("user_id", "group_id")),
        list(CalendarConnection.objects.values_list("pk", "status")),
        list(OrganizationIntegration.objects.values_list("pk", "status")),
    )


# --- Every URL pattern outside admin --------------------------------------------------------

_IDS_BY_PARAMETER = {
    "match_id": lambda w: [w["match"].pk],
    "group_id": lambda w: [w["group"].pk],
    "session_id": lambda w: [w["session"].pk],
    "connection_id": lambda w: [w["connection"].pk],
}
_STRINGS_BY_PARAMETER = {"provider": ["google", "microsoft", "caldav"]}
_SKIP = {"logout", "password_reset_confirm", "api_schema", "api_docs", "favicon"}


def _patterns(resolvers, prefix=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("admin/"):
                continue  # walked below, page by page
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def _concrete_urls(world) -> list[str]:
    urls = []
    for route, name in _patterns(get_resolver().url_patterns):
        if name in _SKIP:
            continue
        parameters = re.findall(r"<(?:(\w+):)?(\w+)>", route)
        candidates = [route]
        for converter, parameter in parameters:
            values = (
                _IDS_BY_PARAMETER[parameter](world)
                if parameter in _IDS_BY_PARAMETER
                else _STRINGS_BY_PARAMETER.get(parameter, ["1"])
            )
            if converter == "int" and parameter not in _IDS_BY_PARAMETER:
                # An id we do not know the kind of: try every probed row's id.
                values = sorted(
                    {world[k].pk for k in ("program", "match", "group", "session", "connection")}
                )
            pattern = f"<{converter + ':' if converter else ''}{parameter}>"
            candidates = [c.replace(pattern, str(v)) for c in candidates for v in values]
        urls += ["/" + c for c in candidates]
    return urls


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _check(response, url, markers, links, problems):
    if response.status_code >= 500:
        problems.append(f"{url}: {response.status_code}")
        return
    body = _body(response)
    for marker in markers:
        if marker in body:
            problems.append(f"{url}: shows {marker!r}")
    for link in links:
        if link in body:
            problems.append(f"{url}: links {link}")
    location = response.headers.get("Location", "")
    for marker in markers:
        if marker in location:
            problems.append(f"{url}: redirects to {location}")


PROBERS = [
    "contoso member",
    "contoso program admin",
    "contoso organization admin",
    "northwind admin of another program",
]


@pytest.mark.parametrize("prober", PROBERS)
def test_no_page_or_api_shows_or_changes_another_organizations_or_programs_rows(
    world, prober, time_machine
):
    time_machine.move_to(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False)
    person, scope = world["probers"][prober]
    client = Client(raise_request_exception=False)
    client.force_login(person)
    markers, links = _markers(world, scope), _foreign_admin_links(world, scope)
    before = _fingerprint()
    problems: list[str] = []
    urls = _concrete_urls(world)
    query = {
        "start": "2026-03-03T15:00:00Z",
        "duration": "30",
        "confirm": "yes",
        "tz": "UTC",
        "reschedule": str(world["session"].pk),
        "match": str(world["match"].pk),
        "group": str(world["group"].pk),
    }
    for url in urls:
        _check(client.get(url, query), url, markers, links, problems)
        _check(client.post(url, query), url + " (POST)", markers, links, problems)
        _check(
            client.post(url, query, content_type="application/json"),
            url + " (POST JSON)",
            markers,
            links,
            problems,
        )
    print(f"\n{prober}: {len(urls)} URLs x GET, form POST, JSON POST")
    assert problems == []
    assert _fingerprint() == before
    assert len(urls) >= 40  # every pattern was walked, not a handful


# --- Every admin changelist, filter, changeform, delete and history page ---------------------


def _admin_urls(world) -> list[tuple[str, dict]]:
    rows_by_model = {
        Program: [world["program"], world["circles"]],
        Match: [world["match"]],
        Group: [world["group"]],
        Session: [world["session"]],
        Organization: [world["northwind"]],
        User: world["people"],
        CalendarConnection: [world["connection"]],
        OrganizationIntegration: [world["integration"]],
        Membership: list(Membership.objects.filter(program=world["program"])),
    }
    foreign_ids = {
        "program": world["program"].pk,
        "organization": world["northwind"].pk,
        "match": world["match"].pk,
        "group": world["group"].pk,
        "user": world["people"][0].pk,
        "mentee": world["people"][0].pk,
        "mentor": world["people"][1].pk,
        "facilitator": world["people"][1].pk,
    }
    urls: list[tuple[str, dict]] = [(reverse("admin:index"), {})]
    for model, model_admin in admin.site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        urls.append((changelist, {}))
        urls.append((changelist, {"q": "alice"}))
        urls.append((changelist, {"q": "Zephyr"}))
        for name in model_admin.list_filter:
            if isinstance(name, str) and name in foreign_ids:
                urls.append((changelist, {f"{name}__id__exact": foreign_ids[name]}))
                urls.append((changelist, {f"{name}__exact": foreign_ids[name]}))
        urls.append((reverse("admin:{}_{}_add".format(*info)), {}))
        concrete = next((m for m in rows_by_model if issubclass(model, m)), None)
        for row in rows_by_model.get(concrete, []):
            for view in ("change", "delete", "history"):
                urls.append((reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[row.pk]), {}))
        for field in model._meta.get_fields():
            if getattr(field, "many_to_one", False) and field.name in foreign_ids:
                urls.append(
                    (
                        reverse("admin:autocomplete"),
                        {
                            "app_label": info[0],
                            "model_name": info[1],
                            "field_name": field.name,
                            "term": "",
                        },
                    )
                )
    program = world["program"].pk
    march = {"start": "2026-03-01", "end": "2026-03-31"}
    for slug in ["matches", "sessions-booked", "people-none", "participants"]:
        urls.append(
            (reverse("admin:reporting_programreport_drilldown", args=[program, slug]), march)
        )
        urls.append((reverse("admin:reporting_programreport_csv", args=[program, slug]), march))
    urls.append((reverse("admin:reporting_programreport_comparison_csv"), {}))
    return urls


@pytest.mark.parametrize("prober", PROBERS)
def test_no_admin_page_shows_or_changes_another_organizations_or_programs_rows(
    world, prober, time_machine
):
    time_machine.move_to(dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC), tick=False)
    person, scope = world["probers"][prober]
    client = Client(raise_request_exception=False)
    client.force_login(person)
    markers, links = _markers(world, scope), _foreign_admin_links(world, scope)
    before = _fingerprint()
    problems: list[str] = []
    urls = _admin_urls(world)
    for url, params in urls:
        label = f"{url}?{params}" if params else url
        _check(client.get(url, params), label, markers, links, problems)
        if "/change/" in url or "/delete/" in url:
            # A save or a delete of the foreign row, as a form would send it.
            _check(
                client.post(url, {"post": "yes", "name": "Taken", "is_active": ""}),
                label + " (POST)",
                markers,
                links,
                problems,
            )
    print(f"\n{prober}: {len(urls)} admin URLs (GET; change and delete pages also POST)")
    assert problems == []
    assert _fingerprint() == before
    assert len(urls) >= 60
