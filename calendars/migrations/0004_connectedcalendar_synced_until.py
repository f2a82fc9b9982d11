from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("calendars", "0003_calendarconnection_access_token_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="connectedcalendar",
            name="synced_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
