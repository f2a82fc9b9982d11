"""Sync everyone's busy times now (or one organization's), with a progress bar and a summary."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from calendars import services
from calendars.models import CalendarConnection, OrganizationIntegration
from programs.models import Organization


class Progress:
    def __init__(self, total: int, stream) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream

    def __call__(self, n: int) -> None:
        self.done += n
        width = 30
        filled = int(width * min(self.done, self.total) / self.total)
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}")
        self.stream.flush()


class Command(BaseCommand):
    help = "Sync busy times from every connected calendar and domain-wide integration."

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="Only this organization (slug).")

    def handle(self, *args, organization=None, **options):
        org = None
        if organization:
            org = Organization.objects.filter(slug=organization).first()
            if org is None:
                raise CommandError(f"No organization with slug {organization!r}")
        conns = CalendarConnection.objects.filter(status="active")
        ints = OrganizationIntegration.objects.filter(status="active")
        if org:
            conns, ints = conns.filter(user__organization=org), ints.filter(organization=org)
        total = conns.count() + sum(services.members_covered_by(i).count() for i in ints)
        progress = Progress(total, self.stdout if not sys.stdout.isatty() else sys.stdout)
        started = time.monotonic()
        result = services.sync_everyone(organization=org, progress=progress)
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Synced {result['connections']} connections ({result['connections_failed']} failed) "
                f"and {result['members']} domain-wide members ({result['members_failed']} failed) "
                f"in {time.monotonic() - started:.1f}s."
            )
        )
