"""One requests session for provider HTTPS with our CA bundle and a timeout on every call.

requests lets REQUESTS_CA_BUNDLE in the environment override `Session.verify`, so the bundle
is passed on every request instead (the emulator's CA in tests, the system store in production).
"""

from __future__ import annotations

import requests
from django.conf import settings


class ProviderSession(requests.Session):
    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", settings.CALENDAR_HTTP_TIMEOUT)
        if kwargs.get("verify") in (None, True):
            kwargs["verify"] = settings.CALENDAR_CA_BUNDLE or True
        return super().request(method, url, **kwargs)
