"""Checks every template render of a test against the one rule for instants (see
programs/viewing_zone.py): the zone active while a template renders is its reader's."""

from __future__ import annotations

from django.test.signals import template_rendered
from django.utils import timezone


def zone_rendered_in(context) -> tuple[str, str] | None:
    """(whose, zone) a template with this context must render in, or None if it shows no
    one's times: the booking pages' chosen zone, an email's recipient's, else the viewer's."""
    if context.get("time_zone"):
        return "the zone the page says it shows", context["time_zone"]
    recipient = context.get("recipient")
    if recipient is not None:
        return f"the recipient {recipient}'s zone", recipient.time_zone
    user = getattr(context.get("request"), "user", None)
    if user is not None and user.is_authenticated:
        return f"the viewer {user}'s zone", user.time_zone
    return None


class ZoneGuard:
    """While active, records each template rendered in a zone other than its reader's."""

    def __init__(self) -> None:
        self.wrong: list[str] = []
        self._uid = f"zone-guard-{id(self)}"

    def _check(self, sender, template, context, **kwargs) -> None:
        expected = zone_rendered_in(context)
        active = timezone.get_current_timezone_name()
        if expected is not None and active != expected[1]:
            found = f"{template.name} rendered in {active}, not {expected[0]} {expected[1]}"
            if found not in self.wrong:
                self.wrong.append(found)

    def __enter__(self) -> ZoneGuard:
        template_rendered.connect(self._check, dispatch_uid=self._uid)
        return self

    def __exit__(self, *exc) -> None:
        template_rendered.disconnect(dispatch_uid=self._uid)
