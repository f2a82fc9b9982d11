from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        # Registers the "Did your session happen?" To-Do source.
        from calendars.hooks import on_write_access_restored
        from programs.demo_data import DEMO_EXTENSIONS
        from scheduling import selectors  # noqa: F401
        from scheduling.demo import demo_sessions
        from scheduling.services import invites_resume_for

        # Invites waiting for a reconnect go out once calendars/ says writing works again.
        on_write_access_restored(invites_resume_for)

        # After the calendars extension, so bookings see the first sync's busy times.
        if demo_sessions not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(demo_sessions)
