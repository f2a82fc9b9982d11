"""Load the demo organizations (replacing an earlier demo load) and print, for each journey
of the product, whom to sign in as and what to try, then every login."""

from django.core.management.base import BaseCommand
from django.db import transaction

from programs.demo_data import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load realistic demo organizations and print the demo logins by journey."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            demo = load_demo()
        names = ", ".join(org.name for org in demo.organizations.values())
        self.stdout.write(self.style.SUCCESS(f"Demo organizations loaded: {names}"))
        self.stdout.write(f"All demo logins use the password: {DEMO_PASSWORD}")
        self.stdout.write("")
        self.stdout.write("Journeys — sign in as, then try:")
        for journey in sorted(demo.journeys, key=lambda j: j.number):
            self.stdout.write(f" {journey.number}. {journey.title}")
            for email, what in journey.steps:
                self.stdout.write(f"      {email:<28} {what}")
        self.stdout.write("")
        self.stdout.write("Everyone:")
        width = max(len(login.email) for login in demo.logins)
        for login in demo.logins:
            self.stdout.write(f"  {login.email.ljust(width)}  {login.role:<36} {login.time_zone}")
