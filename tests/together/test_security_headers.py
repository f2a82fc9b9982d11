"""Browsers are held to what the pages need (CSP, Permissions-Policy), nothing secret lands in
access logs, and the compose file starts Together the way `check --deploy` expects."""

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _directives(header: str) -> dict[str, list[str]]:
    found = {}
    for part in header.split(";"):
        name, *values = part.split()
        found[name] = values
    return found


@pytest.mark.parametrize("url", ["login", "password_reset", "api_docs"])
def test_every_page_carries_a_strict_content_security_policy(client, db, url):
    response = client.get(reverse(url))
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'self'" in policy["form-action"]
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]


def test_forms_may_lead_to_the_sign_in_pages_in_force_now(client, db, settings):
    # Connect Google/Outlook answer a form post with a redirect to the provider's sign-in page;
    # form-action must name where that is now (an emulator started after start-up, the
    # demo's plain-HTTP sign-in port), or the browser silently stays on My Calendar.
    settings.GOOGLE_OAUTH_AUTH_URI = "https://127.0.0.1:44107/o/oauth2/v2/auth"
    settings.CALENDAR_SIGN_IN_ORIGINS = ["http://127.0.0.1:8765"]
    policy = _directives(client.get(reverse("login")).headers["Content-Security-Policy"])
    assert "https://127.0.0.1:44107" in policy["form-action"]
    assert "http://127.0.0.1:8765" in policy["form-action"]


def test_the_signed_in_pages_carry_it_too(client, alice_and_bob, alice_mentee):
    client.force_login(alice_mentee)
    for url in [reverse("home"), reverse("calendars:my_calendar")]:
        assert "script-src 'self'" in client.get(url).headers["Content-Security-Policy"]


def test_form_action_lets_the_connect_buttons_reach_the_providers_sign_in(client, db, settings):
    policy = _directives(client.get(reverse("login")).headers["Content-Security-Policy"])
    google = re.match(r"https?://[^/]+", settings.GOOGLE_OAUTH_AUTH_URI).group(0)
    microsoft = re.match(r"https?://[^/]+", settings.MICROSOFT_AUTHORITY_HOST).group(0)
    assert google in policy["form-action"] and microsoft in policy["form-action"]


INLINE = [
    (re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S), "an inline event handler"),
    (re.compile(r"""hx-(vals|vars)\s*=\s*['"]\s*js:""", re.I), "an hx-vals js: expression"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\shx-on[:-]", re.I), "an hx-on handler"),
]


def test_no_template_holds_an_inline_script_or_handler():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                found.append(f"{path.relative_to(ROOT)}: {what}: {match.group(0)[:60]!r}")
    assert found == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_oauth_codes_and_state_stay_out_of_the_access_log(tmp_path):
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        # From the project folder, as docker-compose runs it: gunicorn reads gunicorn.conf.py.
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "together.wsgi:application", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "SQLITE_PATH": str(tmp_path / "db.sqlite3")},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}/calendar/callback/google/?code=SECRET-CODE-4711&state=STATE-0815"
            for _ in range(60):
                try:
                    urllib.request.urlopen(url, timeout=2)
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    time.sleep(0.5)
            time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(timeout=20)
    text = log.read_text()
    assert "/calendar/callback/google/" in text  # the request was logged ...
    assert "SECRET-CODE-4711" not in text and "STATE-0815" not in text  # ... without its query


def test_compose_redirects_to_https_by_default_and_needs_an_email_server():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["x-app"]["environment"]
    assert environment["SECURE_SSL_REDIRECT"] == "${SECURE_SSL_REDIRECT:-true}"
    assert environment["EMAIL_URL"].startswith("${EMAIL_URL:?")
    health = " ".join(compose["services"]["web"]["healthcheck"]["test"])
    assert "/healthz" in health
