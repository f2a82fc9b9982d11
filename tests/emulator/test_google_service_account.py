"""Domain-wide delegation: google-auth service-account credentials with a subject."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.oauth2 import service_account
from googleapiclient.discovery import build

from emulator.signing import new_key_pair
from tests.emulator.conftest import (
    ALICE_MENTEE,
    BOB_MENTOR,
    CAL,
    CAROL_TAILSPIN,
    SA_CLIENT_ID,
    SA_EMAIL,
)

UNAUTHORIZED = (
    "Client is unauthorized to retrieve access tokens using this method, or client not "
    "authorized for any of the scopes requested."
)


def credentials(emu, scopes=(CAL,), **overrides):
    info = emu.control.service_account_info(SA_EMAIL)
    assert info["token_uri"] == emu.google_token_uri
    info.update(overrides)
    return service_account.Credentials.from_service_account_info(info, scopes=list(scopes))


def test_the_key_file_names_the_emulator_and_the_client_id(emu):
    info = emu.control.service_account_info(SA_EMAIL)

    assert info["type"] == "service_account"
    assert info["client_id"] == SA_CLIENT_ID
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")


def test_a_delegated_subject_reads_its_own_free_busy(emu):
    delegated = credentials(emu).with_subject(BOB_MENTOR)
    calendar = build(
        "calendar",
        "v3",
        credentials=delegated,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": emu.google_api_endpoint},
    )
    now = datetime.now(UTC)

    answer = (
        calendar.freebusy()
        .query(
            body={
                "timeMin": now.isoformat(),
                "timeMax": (now + timedelta(days=7)).isoformat(),
                "items": [{"id": "primary"}, {"id": ALICE_MENTEE}],
            }
        )
        .execute()
    )

    assert len(answer["calendars"]["primary"]["busy"]) == 1
    assert len(answer["calendars"][ALICE_MENTEE]["busy"]) >= 4
    assert calendar.calendarList().list().execute()["items"][0]["id"] == BOB_MENTOR


def test_it_refuses_a_subject_whose_domain_has_not_delegated(emu):
    delegated = credentials(emu).with_subject(CAROL_TAILSPIN)

    with pytest.raises(RefreshError) as refused:
        delegated.refresh(Request())

    assert "unauthorized_client" in str(refused.value)
    assert UNAUTHORIZED in str(refused.value)


def test_it_refuses_scopes_beyond_the_delegation(emu):
    delegated = credentials(emu, scopes=(CAL, "https://www.googleapis.com/auth/gmail.readonly"))

    with pytest.raises(RefreshError, match="unauthorized_client"):
        delegated.with_subject(BOB_MENTOR).refresh(Request())


def test_it_refuses_an_assertion_signed_with_another_key(emu):
    other_private, _ = new_key_pair()
    forged = credentials(emu, private_key=other_private).with_subject(BOB_MENTOR)

    with pytest.raises(RefreshError, match="Invalid JWT Signature"):
        forged.refresh(Request())


def test_it_refuses_an_unknown_user(emu):
    with pytest.raises(RefreshError, match="invalid_grant"):
        credentials(emu).with_subject("nobody@northwind.example").refresh(Request())


def test_withdrawn_delegation_refuses_the_next_token(emu):
    delegated = credentials(emu).with_subject(BOB_MENTOR)
    delegated.refresh(Request())

    emu.control.set_fault("withdraw_delegation", org="Northwind", client_id=SA_CLIENT_ID)

    with pytest.raises(RefreshError) as refused:
        credentials(emu).with_subject(BOB_MENTOR).refresh(Request())
    assert UNAUTHORIZED in str(refused.value)
    emu.control.grant_delegation("Northwind", SA_CLIENT_ID, [CAL])
    credentials(emu).with_subject(BOB_MENTOR).refresh(Request())
