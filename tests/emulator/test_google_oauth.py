"""Google OAuth 2.0 through google-auth-oauthlib, google-auth and plain requests."""

from __future__ import annotations

import base64
import hashlib

import pytest
import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.oauth2 import id_token
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import build

from tests.emulator.conftest import (
    ALICE_MENTEE,
    CAL,
    CAROL_TAILSPIN,
    GOOGLE_CLIENT_ID,
    GOOGLE_CLIENT_SECRET,
    REDIRECT,
    consent,
    query_of,
)

SCOPES = [
    "openid",
    "https://www.googleapis.com/auth/userinfo.email",
    CAL + ".readonly",
    CAL + ".events",
]


def make_flow(emu, scopes=SCOPES) -> Flow:
    # The TLS port: oauthlib refuses plain-http endpoints unless OAUTHLIB_INSECURE_TRANSPORT.
    config = {
        "web": {
            "client_id": GOOGLE_CLIENT_ID,
            "client_secret": GOOGLE_CLIENT_SECRET,
            "auth_uri": emu.https("/o/oauth2/v2/auth"),
            "token_uri": emu.https("/token"),
            "redirect_uris": [REDIRECT],
        }
    }
    return Flow.from_client_config(config, scopes=scopes, redirect_uri=REDIRECT)


def calendar_service(emu, credentials):
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        client_options={"api_endpoint": emu.google_api_endpoint},
        cache_discovery=False,
    )


def signed_in(emu, flow: Flow, **kwargs) -> Credentials:
    auth_url, state = flow.authorization_url(prompt="consent")
    answer = consent(auth_url, verify=emu.ca_path, account=ALICE_MENTEE, **kwargs)
    assert answer.status_code == 302, answer.text
    flow.fetch_token(authorization_response=answer.headers["location"], verify=emu.ca_path)
    return flow.credentials


def test_it_completes_an_authorization_code_flow_with_pkce(emu):
    flow = make_flow(emu)
    auth_url, _ = flow.authorization_url(prompt="consent")
    assert "code_challenge_method=S256" in auth_url

    credentials = signed_in(emu, flow)

    assert credentials.refresh_token  # access_type=offline is google-auth-oauthlib's default
    calendars = calendar_service(emu, credentials).calendarList().list().execute()
    assert calendars["items"][0]["id"] == ALICE_MENTEE
    claims = id_token.verify_token(
        credentials.id_token, Request(), audience=GOOGLE_CLIENT_ID, certs_url=emu.google_certs_uri
    )
    assert claims["email"] == ALICE_MENTEE
    assert claims["hd"] == "northwind.example"


def test_it_refuses_a_code_redeemed_with_the_wrong_verifier(emu):
    verifier = "a" * 64
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    page = (
        f"{emu.google_auth_uri}?client_id={GOOGLE_CLIENT_ID}&redirect_uri={REDIRECT}"
        f"&response_type=code&scope=openid&code_challenge={challenge}"
        "&code_challenge_method=S256&state=s1"
    )
    code = query_of(consent(page, account=ALICE_MENTEE).headers["location"])["code"]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": GOOGLE_CLIENT_ID,
        "client_secret": GOOGLE_CLIENT_SECRET,
    }

    wrong = requests.post(emu.google_token_uri, data={**form, "code_verifier": "b" * 64}, timeout=5)
    right = requests.post(emu.google_token_uri, data={**form, "code_verifier": verifier}, timeout=5)

    assert wrong.status_code == 400
    assert wrong.json() == {"error": "invalid_grant", "error_description": "Invalid code verifier."}
    assert right.status_code == 200


def test_it_lets_the_person_untick_a_scope(emu, monkeypatch):
    # Google's granular consent narrows the grant; oauthlib calls that a scope change.
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    credentials = signed_in(emu, make_flow(emu), untick=(CAL + ".events",))

    assert set(credentials.granted_scopes) == set(SCOPES) - {CAL + ".events"}


def test_it_redirects_with_access_denied_when_the_person_cancels(emu):
    auth_url, state = make_flow(emu).authorization_url()

    answer = consent(auth_url, verify=emu.ca_path, account=ALICE_MENTEE, decision="decline")

    assert query_of(answer.headers["location"]) == {"error": "access_denied", "state": state}


def test_it_blocks_an_app_the_organization_has_not_approved(emu):
    auth_url, _ = make_flow(emu).authorization_url()

    answer = consent(auth_url, verify=emu.ca_path, account=CAROL_TAILSPIN)

    assert answer.status_code == 400
    assert "admin_policy_enforced" in answer.text
    assert "Access blocked" in answer.text


def test_it_refuses_an_unknown_client(emu):
    page = requests.get(
        f"{emu.google_auth_uri}?client_id=nobody&redirect_uri={REDIRECT}"
        "&response_type=code&scope=openid",
        timeout=5,
    )

    assert page.status_code == 401
    assert "invalid_client" in page.text


def test_google_auth_refreshes_and_a_revoked_grant_answers_invalid_grant(emu):
    credentials = signed_in(emu, make_flow(emu))
    plain = Credentials(
        token=None,
        refresh_token=credentials.refresh_token,
        token_uri=emu.google_token_uri,
        client_id=GOOGLE_CLIENT_ID,
        client_secret=GOOGLE_CLIENT_SECRET,
    )
    plain.refresh(Request())
    assert plain.token and plain.token != credentials.token

    revoked = requests.post(
        emu.google_revoke_uri, params={"token": credentials.refresh_token}, timeout=5
    )
    assert revoked.status_code == 200

    with pytest.raises(RefreshError, match="invalid_grant"):
        plain.refresh(Request())


def test_userinfo_answers_for_the_token(emu):
    credentials = signed_in(emu, make_flow(emu))

    info = requests.get(
        emu.google_userinfo_uri, headers={"Authorization": f"Bearer {credentials.token}"}, timeout=5
    ).json()

    assert info["email"] == ALICE_MENTEE
    assert info["hd"] == "northwind.example"
