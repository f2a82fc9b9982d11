from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "calendars"
    verbose_name = "Calendars"

    def ready(self) -> None:
        # Registers the "Reconnect your calendar" To-Do source.
        from calendars import selectors  # noqa: F401
        from calendars.demo import demo_calendars
        from programs.demo_data import DEMO_EXTENSIONS

        if demo_calendars not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(demo_calendars)
