import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import calendars.crypto


class Migration(migrations.Migration):
    dependencies = [
        ("calendars", "0004_connectedcalendar_synced_until"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PushChannel",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "provider",
                    models.CharField(
                        choices=[
                            ("google", "Google"),
                            ("microsoft", "Microsoft"),
                            ("caldav", "CalDAV"),
                        ],
                        default="google",
                        max_length=16,
                    ),
                ),
                ("channel_id", models.CharField(max_length=64, unique=True)),
                ("resource_id", models.CharField(blank=True, max_length=255)),
                ("token", calendars.crypto.EncryptedTextField(blank=True, default="")),
                ("expires_at", models.DateTimeField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_message", models.PositiveBigIntegerField(default=0)),
                (
                    "calendar",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="push_channels",
                        to="calendars.connectedcalendar",
                    ),
                ),
                (
                    "integration",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="push_channels",
                        to="calendars.organizationintegration",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="push_channels",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("calendar__isnull", False),
                            ("integration__isnull", False),
                            _connector="OR",
                        ),
                        name="push_channel_has_a_source",
                    )
                ],
            },
        ),
    ]
