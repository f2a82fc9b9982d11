"""Response headers that hold the browser to what our pages need: scripts and styles from our
own origin only, no inline scripts, no powerful browser features.

The pages use htmx and static/js (together.js, tz-picker.js) with no inline script or event
handler; behaviour is wired with data attributes. Django's SecurityMiddleware sets HSTS,
nosniff and Referrer-Policy; these two it does not (Django 5.2 has no CSP support).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy() -> str:
    # A form may post to us, and our connect views answer with a redirect to the providers'
    # sign-in pages: form-action covers redirects after a submission, so those origins too.
    providers = sorted(
        {
            o
            for o in (
                _origin(settings.GOOGLE_OAUTH_AUTH_URI),
                _origin(settings.MICROSOFT_AUTHORITY_HOST),
            )
            if o
        }
    )
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
        self.csp = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
