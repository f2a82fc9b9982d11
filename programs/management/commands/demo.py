"""Load the demo organization (replacing an earlier demo load) and print its logins."""

from django.core.management.base import BaseCommand
from django.db import transaction

from programs.demo_data import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load a realistic demo organization and print the demo logins."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            demo = load_demo()
        self.stdout.write(self.style.SUCCESS("Demo organization loaded: " + demo.organization.name))
        self.stdout.write(f"All demo logins use the password: {DEMO_PASSWORD}")
        width = max(len(login.email) for login in demo.logins)
        for login in demo.logins:
            self.stdout.write(f"  {login.email.ljust(width)}  {login.role:<24} {login.time_zone}")
