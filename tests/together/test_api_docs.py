"""/api/docs/ and /favicon.ico work with no internet: every asset comes from this server."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "together"


def fetch(url: str) -> tuple[int, str, bytes]:
    """(status, final URL, body), following redirects."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.geturl(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, url, b""


def referenced_urls(html: str, base: str) -> list[str]:
    return [urljoin(base, ref) for ref in re.findall(r'(?:src|href)="([^"]+)"', html)]


@pytest.mark.django_db
def test_the_docs_page_uses_only_same_origin_assets_and_they_all_answer(live_server):
    status, _, body = fetch(live_server.url + "/api/docs/")
    assert status == 200
    html = body.decode()
    assets = referenced_urls(html, live_server.url + "/api/docs/")
    origin = urlsplit(live_server.url).netloc
    assert any("swagger-ui-bundle" in url for url in assets)
    assert [url for url in assets if urlsplit(url).netloc != origin] == []
    # No inline script: the init code is a script file of its own.
    assert "<script>" not in html
    for url in assets:
        assert fetch(url)[0] == 200, url


@pytest.mark.django_db
def test_favicon_ico_answers_with_an_icon(live_server, client):
    status, final_url, body = fetch(live_server.url + "/favicon.ico")
    assert status == 200
    assert final_url.endswith("favicon.ico")
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO header
    page = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.ico"' in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_docs_render_their_operations_with_other_origins_blocked(live_server, chromium):
    origin = live_server.url
    blocked: list[str] = []

    def only_this_server(route):
        url = route.request.url
        if url.startswith(origin) or url.startswith("data:"):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    page.route("**/*", only_this_server)
    page.goto(origin + "/api/docs/")
    page.wait_for_selector(".opblock", timeout=15_000)
    operations = page.locator(".opblock-summary-path").all_inner_texts()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api-docs-offline.png"))
    assert any(path.startswith("/api/") for path in operations), operations
    assert blocked == []
