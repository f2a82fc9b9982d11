"""CalDAV against a real Radicale server: connect, choose calendars, each event kind, writes."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from calendars import selectors, services
from calendars.errors import NeedsReconnectError
from calendars.models import BusyBlock, CalendarConnection
from calendars.providers.base import EventSpec
from calendars.providers.caldav_provider import CalDAVProvider
from tests.calendars.conftest import _free_port

ALICE = "alice@northwind.example"


def _ics(summary_kind: str, start: dt.datetime | dt.date, end, **props) -> str:
    uid = uuid.uuid4().hex
    if isinstance(start, dt.datetime):
        times = f"DTSTART:{start:%Y%m%dT%H%M%SZ}\nDTEND:{end:%Y%m%dT%H%M%SZ}"
    else:
        times = f"DTSTART;VALUE=DATE:{start:%Y%m%d}\nDTEND;VALUE=DATE:{end:%Y%m%d}"
    extra = "\n".join(f"{k}:{v}" for k, v in props.items())
    return (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nBEGIN:VEVENT\n"
        f"UID:{uid}\nDTSTAMP:20260101T000000Z\n{times}\nSUMMARY:Secret {summary_kind}\n"
        f"DESCRIPTION:Private notes\n{extra}\nEND:VEVENT\nEND:VCALENDAR\n"
    ).replace("\n\n", "\n")


@pytest.fixture
def alice_calendar(radicale):
    return radicale.make_calendar(ALICE, f"Work {uuid.uuid4().hex[:6]}")


@pytest.fixture
def alice_connected(radicale, alice_calendar, alice_mentee, client):
    client.force_login(alice_mentee)
    response = client.post(
        reverse("calendars:caldav_connect"),
        {"url": radicale.url, "username": ALICE, "password": radicale.users[ALICE]},
    )
    assert response.status_code == 302
    return CalendarConnection.objects.get(user=alice_mentee)


def _check_all(connection):
    ids = [c.pk for c in connection.calendars.all()]
    services.calendar_choices_update(
        user=connection.user,
        check_ids=ids,
        destination_id=connection.calendars.filter(can_write=True).first().pk,
    )


def test_it_connects_with_an_app_password_and_lists_calendars(alice_connected, alice_calendar):
    assert alice_connected.status == "active"
    assert alice_calendar in {c.calendar_id for c in alice_connected.calendars.all()}
    assert alice_connected.refresh_token == "app-password-1"


def test_it_refuses_a_wrong_app_password_and_stores_nothing(radicale, alice_mentee, client):
    client.force_login(alice_mentee)
    client.post(
        reverse("calendars:caldav_connect"),
        {"url": radicale.url, "username": ALICE, "password": "wrong"},
    )
    assert not CalendarConnection.objects.exists()


def _connect_messages(client, url, password):
    response = client.post(
        reverse("calendars:caldav_connect"),
        {"url": url, "username": ALICE, "password": password},
        follow=True,
    )
    return [str(m) for m in response.context["messages"]]


def test_it_says_which_part_of_the_sign_in_was_wrong(radicale, alice_mentee, client):
    client.force_login(alice_mentee)
    host = radicale.url.split("//")[1].rstrip("/")
    assert _connect_messages(client, radicale.url, "wrong") == [
        f"{host} did not accept that username and app password."
    ]
    # Nothing listens on this port: that is not a wrong password.
    closed = f"http://127.0.0.1:{_free_port()}/"
    (message,) = _connect_messages(client, closed, radicale.users[ALICE])
    assert message.startswith("Together could not reach a server at 127.0.0.1:")
    assert not CalendarConnection.objects.exists()


def test_it_finds_the_caldav_service_through_the_well_known_address(
    radicale, alice_calendar, alice_mentee, client
):
    """A provider's root need not be its CalDAV address: /.well-known/caldav leads there
    (RFC 6764). Radicale redirects it to its root, as Fastmail's does to its own."""
    client.force_login(alice_mentee)
    wrong_path = radicale.url + "not/the/caldav/path/"
    assert _connect_messages(client, wrong_path, radicale.users[ALICE]) == []
    connection = CalendarConnection.objects.get(user=alice_mentee)
    assert connection.caldav_url == radicale.url + "alice%40northwind.example/"
    assert alice_calendar in {c.calendar_id for c in connection.calendars.all()}


def test_a_tasks_only_list_is_not_offered_as_a_calendar(radicale, alice_calendar):
    tasks = radicale.make_calendar(ALICE, "Reminders", components=["VTODO"])
    provider = CalDAVProvider(url=radicale.url, username=ALICE, password=radicale.users[ALICE])
    listed = {c.calendar_id: c for c in provider.list_calendars()}
    assert tasks not in listed
    assert listed[alice_calendar].can_write is True


def test_it_syncs_each_event_kind(radicale, alice_connected, alice_calendar, alice_mentee):
    day = (timezone.now() + dt.timedelta(days=3)).date()
    at = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
    h = dt.timedelta(hours=1)
    radicale.put_event(ALICE, alice_calendar, _ics("busy", at, at + h))
    radicale.put_event(
        ALICE, alice_calendar, _ics("tentative", at + 2 * h, at + 3 * h, STATUS="TENTATIVE")
    )
    radicale.put_event(
        ALICE,
        alice_calendar,
        _ics("oof", at + 4 * h, at + 5 * h, **{"X-MICROSOFT-CDO-BUSYSTATUS": "OOF"}),
    )
    radicale.put_event(
        ALICE, alice_calendar, _ics("free", at + 6 * h, at + 7 * h, TRANSP="TRANSPARENT")
    )
    radicale.put_event(
        ALICE, alice_calendar, _ics("cancelled", at + 8 * h, at + 9 * h, STATUS="CANCELLED")
    )
    radicale.put_event(
        ALICE,
        alice_calendar,
        _ics(
            "declined",
            at + 10 * h,
            at + 11 * h,
            **{"ATTENDEE;PARTSTAT=DECLINED": f"mailto:{ALICE}"},
        ),
    )
    allday = day + dt.timedelta(days=2)
    radicale.put_event(ALICE, alice_calendar, _ics("allday", allday, allday + dt.timedelta(days=2)))
    _check_all(alice_connected)
    services.sync_connection(connection_id=alice_connected.pk)

    blocks = list(BusyBlock.objects.filter(user=alice_mentee).order_by("start"))
    kinds = [(b.kind, b.start) for b in blocks]
    assert ("busy", at) in kinds
    assert ("tentative", at + 2 * h) in kinds
    assert ("oof", at + 4 * h) in kinds
    assert len(blocks) == 4  # free, cancelled and declined never block
    london_midnight = (
        dt.datetime.combine(allday, dt.time(), tzinfo=dt.UTC) - h
    )  # Europe/London? see below
    allday_block = blocks[-1]
    # All-day events block their days in the owner's zone (Alice: Europe/London).
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/London")
    assert allday_block.start == dt.datetime.combine(allday, dt.time(), tzinfo=tz)
    assert allday_block.end == dt.datetime.combine(
        allday + dt.timedelta(days=2), dt.time(), tzinfo=tz
    )
    del london_midnight

    busy = selectors.busy_for([alice_mentee], at - h, at + 100 * h)[alice_mentee.pk]
    assert busy.integrated and not busy.stale
    assert len(busy.intervals) == 4


def test_it_stores_no_titles_or_descriptions(
    radicale, alice_connected, alice_calendar, alice_mentee
):
    at = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    radicale.put_event(ALICE, alice_calendar, _ics("busy", at, at + dt.timedelta(hours=1)))
    _check_all(alice_connected)
    services.sync_connection(connection_id=alice_connected.pk)
    assert BusyBlock.objects.filter(user=alice_mentee).exists()
    row = BusyBlock.objects.filter(user=alice_mentee).values().first()
    assert "Secret" not in repr(row) and "Private" not in repr(row)


def test_it_writes_an_event_once_per_idempotency_key(radicale, alice_calendar):
    provider = CalDAVProvider(url=radicale.url, username=ALICE, password=radicale.users[ALICE])
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=5)
    spec = EventSpec(
        title="Mentoring",
        description="Agenda",
        start=start,
        end=start + dt.timedelta(minutes=30),
        time_zone="UTC",
        attendees=["bob@northwind.example"],
        conference_url="https://meet.example/x",
    )
    first = provider.create_event(calendar_id=alice_calendar, event=spec, idempotency_key="s-1")
    again = provider.create_event(calendar_id=alice_calendar, event=spec, idempotency_key="s-1")
    assert first.event_id == again.event_id
    found = provider.free_busy(
        [alice_calendar], start - dt.timedelta(hours=1), start + dt.timedelta(hours=1)
    )
    assert len(found[alice_calendar]) == 1
    provider.update_event(
        calendar_id=alice_calendar,
        event_id=first.event_id,
        event=EventSpec(
            **{
                **spec.__dict__,
                "start": start + dt.timedelta(hours=1),
                "end": start + dt.timedelta(hours=2),
            }
        ),
    )
    provider.delete_event(calendar_id=alice_calendar, event_id=first.event_id)
    provider.delete_event(calendar_id=alice_calendar, event_id=first.event_id)  # already gone: fine


def test_the_event_it_stores_is_a_calendar_resource_organized_by_the_owner(
    radicale, alice_calendar
):
    """What CalDAV holds is the same iCalendar the invitation emails carry (calendars.ics),
    without METHOD (RFC 4791 section 4.1), the owner as ORGANIZER and not as an attendee asked
    to reply. Read back from Radicale by vobject, a parser independent of the writer's."""
    import vobject

    provider = CalDAVProvider(url=radicale.url, username=ALICE, password=radicale.users[ALICE])
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=5)
    spec = EventSpec(
        title="Alice & Bob",
        description="Mentorship session.\nJoin: https://meet.example/x",
        start=start,
        end=start + dt.timedelta(minutes=30),
        time_zone="Asia/Kolkata",
        attendees=[ALICE, "bob@northwind.example"],
        conference_url="https://meet.example/x",
        organizer=ALICE,
        names={ALICE: "Alice Example", "bob@northwind.example": "Bob Example"},
    )
    written = provider.create_event(calendar_id=alice_calendar, event=spec, idempotency_key="s-9")
    stored = provider._calendar(alice_calendar).event_by_uid(written.event_id)
    cal = vobject.readOne(stored.data)
    assert not hasattr(cal, "method")
    assert cal.prodid.value == "-//Together//Mentorship sessions//EN"
    event = cal.vevent
    assert event.organizer.value.lower() == f"mailto:{ALICE}"
    assert [a.value.lower() for a in event.attendee_list] == ["mailto:bob@northwind.example"]
    assert event.attendee.params["CN"] == ["Bob Example"]
    assert event.dtstart.value == start
    assert event.description.value.count("Join:") == 1


def test_it_marks_the_connection_needs_reconnect_when_the_app_password_is_revoked(
    alice_connected, alice_mentee
):
    CalendarConnection.objects.filter(pk=alice_connected.pk).update(refresh_token="")
    conn = CalendarConnection.objects.get(pk=alice_connected.pk)
    conn.refresh_token = "revoked-password"
    conn.save(update_fields=["refresh_token"])
    with pytest.raises(NeedsReconnectError):
        services.provider_for_connection(conn).list_calendars()
    services.sync_connection(connection_id=conn.pk)
    conn.refresh_from_db()
    assert conn.status == "needs_reconnect"


def _next_dst_change(zone: str) -> dt.date:
    from zoneinfo import ZoneInfo

    tz, day = ZoneInfo(zone), timezone.now().date() + dt.timedelta(days=2)
    noon = dt.time(12)
    while (
        dt.datetime.combine(day, noon, tz).utcoffset()
        == dt.datetime.combine(day + dt.timedelta(days=1), noon, tz).utcoffset()
    ):
        day += dt.timedelta(days=1)
    return day + dt.timedelta(days=1)


def test_a_floating_time_keeps_its_wall_clock_on_a_dst_day(
    radicale, alice_connected, alice_calendar, alice_mentee
):
    from zoneinfo import ZoneInfo

    alice_mentee.time_zone = "America/New_York"
    alice_mentee.save(update_fields=["time_zone"])
    day = _next_dst_change("America/New_York")
    ics = _ics("floating", dt.datetime(2000, 1, 1), dt.datetime(2000, 1, 1)).replace(
        "DTSTART:20000101T000000Z\nDTEND:20000101T000000Z",
        f"DTSTART:{day:%Y%m%d}T100000\nDTEND:{day:%Y%m%d}T110000",
    )
    radicale.put_event(ALICE, alice_calendar, ics)
    _check_all(alice_connected)
    services.sync_connection(connection_id=alice_connected.pk)
    block = BusyBlock.objects.get(user=alice_mentee, calendar__calendar_id=alice_calendar)
    local = block.start.astimezone(ZoneInfo("America/New_York"))
    assert (local.date(), local.hour, local.minute) == (day, 10, 0)
    assert block.end - block.start == dt.timedelta(hours=1)


def test_a_shared_read_only_calendar_is_listed_but_never_writable():
    """A PROPFIND answer shaped like iCloud's for a calendar shared read-only with the person
    (RFC 3744 current-user-privilege-set without write), beside their own and a task list."""
    from caldav.lib.url import URL
    from lxml import etree

    from calendars.providers.caldav_provider import _calendars_in

    def calendar(href, name, privileges, components=("VEVENT",)):
        privs = "".join(f"<d:privilege><d:{p}/></d:privilege>" for p in privileges)
        comps = "".join(f'<c:comp name="{c}"/>' for c in components)
        return (
            f"<d:response><d:href>{href}</d:href><d:propstat><d:prop>"
            f"<d:displayname>{name}</d:displayname>"
            "<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>"
            f"<c:supported-calendar-component-set>{comps}</c:supported-calendar-component-set>"
            f"<d:current-user-privilege-set>{privs}</d:current-user-privilege-set>"
            "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
        )

    xml = (
        '<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        "<d:response><d:href>/123/calendars/</d:href><d:propstat><d:prop>"
        "<d:resourcetype><d:collection/></d:resourcetype></d:prop>"
        "<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>"
        + calendar("/123/calendars/home/", "Home", ["read", "write", "write-content"])
        + calendar("/123/calendars/team/", "Team (shared)", ["read", "read-free-busy"])
        + calendar("/123/calendars/tasks/", "Reminders", ["read", "write"], ("VTODO",))
        + "</d:multistatus>"
    )
    found = _calendars_in(
        URL("https://p01-caldav.icloud.com/123/calendars/"), etree.fromstring(xml)
    )
    assert found == [
        ("https://p01-caldav.icloud.com/123/calendars/home/", "Home", True),
        ("https://p01-caldav.icloud.com/123/calendars/team/", "Team (shared)", False),
    ]
