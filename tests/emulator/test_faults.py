"""Each fault kind, observed by the client library the way the real provider presents it."""

from __future__ import annotations

import threading
import time

import msal
import pytest
import requests
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from tests.emulator.conftest import (
    ALICE_MENTEE,
    BOB_MENTOR,
    CAL,
    CONTOSO_TENANT,
    DANA_MENTOR,
    GOOGLE_CLIENT_ID,
    GOOGLE_CLIENT_SECRET,
    MS_CLIENT_ID,
    MS_CLIENT_SECRET,
    REDIRECT,
    consent,
    returned,
)
from tests.emulator.test_google_calendar import token_for

EVENT = {"start": {"dateTime": "2030-05-01T10:00:00Z"}, "end": {"dateTime": "2030-05-01T11:00:00Z"}}


def google(emu, account=ALICE_MENTEE, timeout=None):
    tokens = token_for(emu, account)
    credentials = Credentials(
        token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        token_uri=emu.google_token_uri,
        client_id=GOOGLE_CLIENT_ID,
        client_secret=GOOGLE_CLIENT_SECRET,
    )
    if timeout is not None:
        import google_auth_httplib2
        import httplib2

        http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
        return build(
            "calendar",
            "v3",
            http=http,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": emu.google_api_endpoint},
        )
    return build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": emu.google_api_endpoint},
    )


def list_calendars(service):
    return service.calendarList().list().execute(num_retries=0)


def ms_app(emu, tenant="organizations"):
    return msal.ConfidentialClientApplication(
        MS_CLIENT_ID,
        client_credential=MS_CLIENT_SECRET,
        authority=emu.ms_authority(tenant),
        http_client=emu.session(),
        instance_discovery=False,
    )


def graph_get(emu, token, path, **kwargs):
    return emu.session().get(
        emu.graph_base_url + path, headers={"Authorization": f"Bearer {token}"}, **kwargs
    )


@pytest.fixture
def app_token(emu) -> str:
    result = ms_app(emu, CONTOSO_TENANT).acquire_token_for_client(
        scopes=["https://graph.microsoft.com/.default"]
    )
    return result["access_token"]


@pytest.fixture
def dana(emu) -> tuple[msal.ConfidentialClientApplication, dict]:
    app = ms_app(emu)
    flow = app.initiate_auth_code_flow(
        ["Calendars.ReadWrite"], redirect_uri=REDIRECT, response_mode="form_post"
    )
    result = app.acquire_token_by_auth_code_flow(
        flow, returned(consent(flow["auth_uri"], verify=emu.ca_path, account=DANA_MENTOR))
    )
    return app, result


def test_google_429_carries_retry_after(emu):
    service = google(emu)
    emu.control.set_fault("rate_limit", account=ALICE_MENTEE, times=1, retry_after=7)

    with pytest.raises(HttpError) as limited:
        list_calendars(service)

    assert limited.value.status_code == 429
    assert limited.value.resp["retry-after"] == "7"
    assert limited.value.error_details[0]["reason"] == "rateLimitExceeded"
    assert list_calendars(service)["items"]  # times=1: the next request goes through


def test_google_403_rate_limit_exceeded_in_the_usage_limits_domain(emu):
    service = google(emu)
    emu.control.set_fault("quota_exceeded", account=ALICE_MENTEE, times=1)

    with pytest.raises(HttpError) as limited:
        list_calendars(service)

    assert limited.value.status_code == 403
    assert limited.value.error_details[0] == {
        "domain": "usageLimits",
        "reason": "rateLimitExceeded",
        "message": "Rate Limit Exceeded",
    }


def test_google_retries_through_a_503_with_num_retries(emu, monkeypatch):
    monkeypatch.setattr("googleapiclient.http.time.sleep", lambda seconds: None)
    service = google(emu)
    emu.control.set_fault("server_error", status=503, account=ALICE_MENTEE, times=2)

    assert service.calendarList().list().execute(num_retries=3)["items"]
    with pytest.raises(HttpError) as failed:
        emu.control.set_fault("server_error", status=500, account=ALICE_MENTEE, times=1)
        list_calendars(service)
    assert failed.value.status_code == 500
    assert failed.value.error_details[0]["reason"] == "backendError"


def test_faults_hit_only_their_account_and_endpoint(emu):
    alice, bob = google(emu), google(emu, BOB_MENTOR)
    emu.control.set_fault("rate_limit", account=ALICE_MENTEE, endpoints=["calendar.freebusy.query"])

    assert list_calendars(alice)["items"]
    body = {
        "timeMin": "2030-01-01T00:00:00Z",
        "timeMax": "2030-01-02T00:00:00Z",
        "items": [{"id": "primary"}],
    }
    assert bob.freebusy().query(body=body).execute(num_retries=0)["calendars"]
    for _ in range(3):  # until cleared
        with pytest.raises(HttpError):
            alice.freebusy().query(body=body).execute(num_retries=0)
    emu.control.clear_faults()
    assert alice.freebusy().query(body=body).execute(num_retries=0)["calendars"]


def test_latency_slows_only_the_faulted_account(emu):
    alice, bob = google(emu), google(emu, BOB_MENTOR)
    emu.control.set_fault("latency", account=ALICE_MENTEE, latency_ms=600)
    timings = {}

    def timed(name, service):
        started = time.monotonic()
        list_calendars(service)
        timings[name] = time.monotonic() - started

    slow = threading.Thread(target=timed, args=("alice", alice))
    slow.start()
    time.sleep(0.05)
    timed("bob", bob)
    slow.join()

    assert timings["alice"] >= 0.6
    assert timings["bob"] < 0.3  # not queued behind Alice's delay


def test_timeout_after_write_applies_the_write_then_the_retry_is_a_duplicate(emu):
    service = google(emu, timeout=0.5)
    emu.control.set_fault("timeout_after_write", account=ALICE_MENTEE, times=1, seconds=2)

    with pytest.raises(TimeoutError):
        service.events().insert(calendarId="primary", body={"id": "sess10n0retr", **EVENT}).execute(
            num_retries=0
        )
    with pytest.raises(HttpError) as retried:
        service.events().insert(calendarId="primary", body={"id": "sess10n0retr", **EVENT}).execute(
            num_retries=0
        )

    assert retried.value.status_code == 409
    assert [e["id"] for e in emu.control.written_events()] == ["sess10n0retr"]


def test_a_dropped_connection_after_a_graph_write(emu, app_token):
    emu.control.set_fault("timeout_after_write", account=DANA_MENTOR, times=1, mode="drop")

    # The headers arrive, then the connection is cut before the body.
    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        emu.session().post(
            f"{emu.graph_base_url}/users/{DANA_MENTOR}/events",
            headers={"Authorization": f"Bearer {app_token}"},
            json={
                "subject": "S",
                "transactionId": "t-1",
                "start": {"dateTime": "2030-05-01T10:00:00", "timeZone": "UTC"},
                "end": {"dateTime": "2030-05-01T11:00:00", "timeZone": "UTC"},
            },
        )

    assert [e["transaction_id"] for e in emu.control.written_events()] == ["t-1"]


def test_graph_429_and_503_carry_retry_after(emu, app_token):
    emu.control.set_fault("rate_limit", account=DANA_MENTOR, times=1, retry_after=3)
    emu.control.set_fault("server_error", status=503, account=DANA_MENTOR, times=1)

    limited = graph_get(emu, app_token, f"/users/{DANA_MENTOR}/calendars")
    unavailable = graph_get(emu, app_token, f"/users/{DANA_MENTOR}/calendars")
    fine = graph_get(emu, app_token, f"/users/{DANA_MENTOR}/calendars")

    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "3")
    assert limited.json()["error"]["code"] == "TooManyRequests"
    assert unavailable.status_code == 503 and "Retry-After" in unavailable.headers
    assert unavailable.json()["error"]["code"] == "serviceNotAvailable"
    assert fine.status_code == 200


def test_revoked_google_tokens_answer_invalid_grant_on_refresh(emu):
    service = google(emu)
    emu.control.set_fault("revoke_tokens", account=ALICE_MENTEE)

    # The library sees a 401, refreshes, and the refresh is refused.
    with pytest.raises(RefreshError, match="invalid_grant"):
        list_calendars(service)
    assert list_calendars(google(emu))["items"]  # consenting again works


def test_revoked_microsoft_tokens_answer_invalid_grant_on_refresh(emu, dana):
    app, result = dana
    emu.control.set_fault("revoke_tokens", account=DANA_MENTOR)

    refreshed = app.acquire_token_by_refresh_token(result["refresh_token"], ["Calendars.ReadWrite"])
    api = graph_get(emu, result["access_token"], "/me/calendars")

    assert refreshed["error"] == "invalid_grant"
    assert "AADSTS50173" in refreshed["error_description"]
    assert api.status_code == 401
    assert api.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_expired_access_tokens_are_refreshed_by_the_library(emu):
    service = google(emu)
    emu.control.set_fault("expire_access_tokens", account=ALICE_MENTEE)

    assert list_calendars(service)["items"]
    assert emu.control.counters()["google.token"] >= 2


def test_removed_scopes_answer_403_on_both_providers(emu, dana):
    service = google(emu)
    emu.control.set_fault("remove_scopes", account=ALICE_MENTEE, scopes=[CAL])
    emu.control.set_fault(
        "remove_scopes",
        account=DANA_MENTOR,
        scopes=["https://graph.microsoft.com/Calendars.ReadWrite"],
    )

    with pytest.raises(HttpError) as google_refused:
        list_calendars(service)
    graph_refused = graph_get(emu, dana[1]["access_token"], "/me/calendars")

    assert google_refused.value.status_code == 403
    assert google_refused.value.error_details[0]["reason"] == "insufficientPermissions"
    assert graph_refused.status_code == 403
    assert graph_refused.json()["error"]["code"] == "ErrorAccessDenied"


def test_revoked_admin_consent_refuses_client_credentials(emu):
    emu.control.set_fault("revoke_admin_consent", tenant=CONTOSO_TENANT)

    result = ms_app(emu, CONTOSO_TENANT).acquire_token_for_client(
        scopes=["https://graph.microsoft.com/.default"]
    )

    assert result["error"] == "unauthorized_client"


def test_expired_sync_and_delta_tokens_answer_410(emu, app_token):
    service = google(emu)
    sync_token = service.events().list(calendarId="primary").execute()["nextSyncToken"]
    delta = graph_get(
        emu,
        app_token,
        f"/users/{DANA_MENTOR}/calendarView/delta"
        "?startDateTime=2030-01-01T00:00:00Z&endDateTime=2030-02-01T00:00:00Z",
    )
    delta_link = delta.json()["@odata.deltaLink"]

    emu.control.set_fault("expire_sync_tokens")

    with pytest.raises(HttpError) as gone:
        service.events().list(calendarId="primary", syncToken=sync_token).execute(num_retries=0)
    graph_gone = emu.session().get(delta_link, headers={"Authorization": f"Bearer {app_token}"})
    assert gone.value.status_code == 410
    assert gone.value.error_details[0]["reason"] == "fullSyncRequired"
    assert graph_gone.status_code == 410
    assert graph_gone.json()["error"]["code"] == "SyncStateNotFound"
    fresh = service.events().list(calendarId="primary").execute()["nextSyncToken"]
    assert service.events().list(calendarId="primary", syncToken=fresh).execute()["items"] == []


def test_a_fault_in_the_fixture_applies_from_the_start(emu):
    emu.control.load_fixture(
        {"faults": [{"kind": "rate_limit", "account": ALICE_MENTEE, "times": 1}]}
    )

    with pytest.raises(HttpError) as limited:
        list_calendars(google(emu))

    assert limited.value.status_code == 429


def test_token_endpoint_faults_answer_in_oauth_shape(emu):
    refresh_token = token_for(emu, BOB_MENTOR)["refresh_token"]
    emu.control.set_fault("server_error", status=503, endpoints=["google.token"], times=1)

    answer = requests.post(
        emu.google_token_uri,
        timeout=5,
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": GOOGLE_CLIENT_ID,
            "client_secret": GOOGLE_CLIENT_SECRET,
        },
    )

    assert answer.status_code == 503
    assert answer.json()["error"] == "temporarily_unavailable"
