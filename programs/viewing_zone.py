"""The one rule for rendering instants on pages: every request renders in its viewer's zone.

Pages render aware datetimes plainly (``{{ session.start|date:"H:i" }}``); Django converts them
to the *active* zone, and this module decides which zone that is:

- by default, the signed-in person's profile zone (:class:`ViewingZoneMiddleware`);
- on the booking pages, the zone the person chose in the wizard (:func:`view_in`), which is
  remembered for their browser session so the next booking page opens in it.

Emails follow the same rule for their recipient (``programs.mail``). Templates never pick a
zone themselves (no ``{% timezone %}``, ``|utc`` or ``|localtime``: a test checks), so a time
cannot be shown in one zone and labelled with another: ``{{ viewing_zone }}`` (the context
processor below) names the zone every time on the page is in.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

# The zone chosen in the booking wizard, remembered for the browser session.
CHOSEN_ZONE_SESSION_KEY = "scheduling_time_zone"


def profile_zone(request: HttpRequest) -> str | None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.time_zone
    return None


class ViewingZoneMiddleware:
    """Activates the viewer's profile zone for the request (after authentication)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        zone = profile_zone(request)
        if zone:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def chosen_zone(request: HttpRequest, asked: str | None = None) -> str:
    """The booking pages' zone: ``asked`` (already validated) if given, remembered for the
    browser session; else the one remembered; else the profile's."""
    if asked:
        request.session[CHOSEN_ZONE_SESSION_KEY] = asked
        return asked
    return request.session.get(CHOSEN_ZONE_SESSION_KEY) or request.user.time_zone


def view_in(zone: str) -> str:
    """Render the rest of this request in ``zone`` (a validated IANA name); returns it."""
    timezone.activate(zone)
    return zone


def viewing_zone(request: HttpRequest) -> dict:
    """Context processor: the zone every time on this page is rendered in."""
    return {"viewing_zone": timezone.get_current_timezone_name()}
