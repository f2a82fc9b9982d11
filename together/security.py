"""Response headers that hold the browser to what our pages need: scripts and styles from our
own origin only, no inline scripts, no powerful browser features.

The pages use htmx and static/js (together.js, tz-picker.js) with no inline script or event
handler; behaviour is wired with data attributes. Django's SecurityMiddleware sets HSTS,
nosniff and Referrer-Policy; these two it does not (Django 5.2 has no CSP support).
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from django.conf import settings


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _sign_in_origins() -> tuple[str, ...]:
    urls = (
        settings.GOOGLE_OAUTH_AUTH_URI,
        settings.MICROSOFT_AUTHORITY_HOST,
        *settings.CALENDAR_SIGN_IN_ORIGINS,
    )
    return tuple(sorted({o for o in map(_origin, urls) if o}))


@functools.lru_cache(maxsize=8)
def _policy_for(providers: tuple[str, ...]) -> str:
    return content_security_policy(providers)


def content_security_policy(providers: tuple[str, ...] | None = None) -> str:
    # A form may post to us, and our connect views answer with a redirect to the providers'
    # sign-in pages: form-action covers redirects after a submission, so those origins too.
    providers = _sign_in_origins() if providers is None else providers
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Style attributes (charts, admin) are allowed; scripts are what the policy guards.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", *providers],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # From the settings in force now (tests point the providers at an emulator started
        # after this middleware was built); one policy string per set of origins.
        csp = _policy_for(_sign_in_origins())
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
