"""Demo extension: a few busy blocks so the demo's booking pages show insight.

The demo runs without any provider, so it stores cached blocks directly as if synced from a
CalDAV account; nothing here is used outside `manage.py demo`.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def demo_calendars(demo) -> None:
    from calendars.models import BusyBlock, CalendarConnection, ConnectedCalendar

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for i, (local, person) in enumerate(sorted(demo.people.items())[:6]):
        conn = CalendarConnection.objects.create(
            user=person,
            provider="caldav",
            account_email=person.email,
            caldav_url="http://127.0.0.1:5232/",
            last_synced_at=timezone.now(),
        )
        cal = ConnectedCalendar.objects.create(
            connection=conn,
            calendar_id=f"demo-{local}",
            name="Work",
            primary=True,
            can_write=True,
            check_conflicts=True,
            is_destination=True,
            last_synced_at=timezone.now(),
        )
        BusyBlock.objects.bulk_create(
            BusyBlock(
                user=person,
                calendar=cal,
                start=now + dt.timedelta(days=d, hours=(i * 3 + d) % 10),
                end=now + dt.timedelta(days=d, hours=(i * 3 + d) % 10 + 1),
                kind="busy" if d % 4 else "tentative",
            )
            for d in range(1, 21)
        )
