"""--browser-base-url: MSAL reads the Microsoft configuration over TLS, while the person's
browser is sent to the sign-in page on the plain HTTP port and never meets the emulator's
own CA (the demo runs it so)."""

from __future__ import annotations

import pytest

from tests.emulator.conftest import DANA_MENTOR, REDIRECT, consent, returned
from tests.emulator.test_microsoft_identity import USER_SCOPES, app


@pytest.fixture
def browser_on_http(emu):
    emu.emulator.browser_base_url = emu.base_url
    yield emu
    emu.emulator.browser_base_url = None


def test_the_authorization_endpoint_is_on_the_browser_base_and_the_sign_in_works(
    browser_on_http,
):
    emu = browser_on_http
    assert emu.base_url.startswith("http://")
    client = app(emu)
    flow = client.initiate_auth_code_flow(
        USER_SCOPES, redirect_uri=REDIRECT, response_mode="form_post"
    )
    assert flow["auth_uri"].startswith(f"{emu.base_url}/organizations/oauth2/v2.0/authorize?")
    answer = consent(flow["auth_uri"], account=DANA_MENTOR)
    result = client.acquire_token_by_auth_code_flow(flow, returned(answer))
    assert "access_token" in result, result


def test_the_command_line_offers_it(capsys):
    from emulator.__main__ import main

    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--browser-base-url" in capsys.readouterr().out
