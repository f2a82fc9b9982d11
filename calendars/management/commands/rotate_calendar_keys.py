"""Re-encrypt every stored token and key under the first TOGETHER_ENCRYPTION_KEYS key."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from calendars.crypto import rotate

COLUMNS = {
    "calendars_calendarconnection": ["access_token", "refresh_token"],
    "calendars_organizationintegration": ["service_account_key"],
}


class Command(BaseCommand):
    help = "Rotate encryption of calendar secrets to the newest key (run after adding a key)."

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic(), connection.cursor() as cursor:
            for table, columns in COLUMNS.items():
                cursor.execute(f"SELECT id, {', '.join(columns)} FROM {table}")  # noqa: S608
                for row in cursor.fetchall():
                    values = [rotate(v or "") for v in row[1:]]
                    sets = ", ".join(f"{c} = %s" for c in columns)
                    cursor.execute(f"UPDATE {table} SET {sets} WHERE id = %s", [*values, row[0]])  # noqa: S608
                    count += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} rows."))
