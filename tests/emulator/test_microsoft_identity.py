"""Microsoft identity platform through MSAL over TLS, and the admin consent endpoint."""

from __future__ import annotations

import msal
import requests

from tests.emulator.conftest import (
    CONTOSO_TENANT,
    DANA_MENTOR,
    FABRIKAM_TENANT,
    FRANK_FABRIKAM,
    LEO_LITWARE,
    LITWARE_ADMIN,
    LITWARE_TENANT,
    MS_CLIENT_ID,
    MS_CLIENT_SECRET,
    REDIRECT,
    consent,
    query_of,
    returned,
)

GRAPH_DEFAULT = ["https://graph.microsoft.com/.default"]
USER_SCOPES = ["Calendars.ReadWrite", "User.Read"]


def app(emu, tenant: str = "organizations", **kwargs) -> msal.ConfidentialClientApplication:
    # http_client pins the CA per request; instance_discovery=False skips the call MSAL
    # would otherwise make to login.microsoftonline.com for a host it does not know.
    options = {"instance_discovery": False, **kwargs}
    return msal.ConfidentialClientApplication(
        MS_CLIENT_ID,
        client_credential=MS_CLIENT_SECRET,
        authority=emu.ms_authority(tenant),
        http_client=emu.session(),
        **options,
    )


def signed_in(
    emu, account: str, tenant: str = "organizations"
) -> tuple[msal.ClientApplication, dict]:
    client = app(emu, tenant)
    flow = client.initiate_auth_code_flow(
        USER_SCOPES, redirect_uri=REDIRECT, response_mode="form_post"
    )
    answer = consent(flow["auth_uri"], verify=emu.ca_path, account=account)
    result = client.acquire_token_by_auth_code_flow(flow, returned(answer))
    return client, result


def test_msal_reads_the_tenants_openid_configuration(emu):
    config = (
        emu.session()
        .get(emu.https("/contoso.example/v2.0/.well-known/openid-configuration"))
        .json()
    )

    assert config["token_endpoint"] == emu.https(f"/{CONTOSO_TENANT}/oauth2/v2.0/token")
    assert config["issuer"] == emu.https(f"/{CONTOSO_TENANT}/v2.0")
    assert (
        emu.session()
        .get(emu.https("/nowhere.example/v2.0/.well-known/openid-configuration"))
        .status_code
        == 400
    )


def test_client_credentials_after_admin_consent(emu):
    result = app(emu, CONTOSO_TENANT).acquire_token_for_client(scopes=GRAPH_DEFAULT)

    assert result["token_type"] == "Bearer", result
    assert result["expires_in"] > 3000


def test_msal_can_validate_the_authority_through_the_emulators_instance_discovery(emu):
    client = app(emu, "contoso.example", instance_discovery=emu.https("/common/discovery/instance"))

    assert "access_token" in client.acquire_token_for_client(scopes=GRAPH_DEFAULT)


def test_client_credentials_are_refused_before_admin_consent(emu):
    result = app(emu, LITWARE_TENANT).acquire_token_for_client(scopes=GRAPH_DEFAULT)

    assert result["error"] == "unauthorized_client"
    assert result["error_description"].startswith("AADSTS700016:")


def test_a_wrong_client_secret_is_refused(emu):
    client = msal.ConfidentialClientApplication(
        MS_CLIENT_ID,
        client_credential="wrong",
        authority=emu.ms_authority(CONTOSO_TENANT),
        http_client=emu.session(),
        instance_discovery=False,
    )

    result = client.acquire_token_for_client(scopes=GRAPH_DEFAULT)

    assert result["error"] == "invalid_client"
    assert "AADSTS7000215" in result["error_description"]


def test_the_authorization_code_flow_with_pkce_end_to_end(emu):
    client, result = signed_in(emu, DANA_MENTOR)

    assert "access_token" in result, result
    assert result["id_token_claims"]["preferred_username"] == DANA_MENTOR
    assert result["id_token_claims"]["tid"] == CONTOSO_TENANT
    accounts = client.get_accounts()
    assert [a["username"] for a in accounts] == [DANA_MENTOR]
    me = (
        emu.session()
        .get(
            f"{emu.graph_base_url}/me",
            headers={"Authorization": f"Bearer {result['access_token']}"},
        )
        .json()
    )
    assert me["mail"] == DANA_MENTOR


def test_each_refresh_returns_a_new_refresh_token(emu):
    client, first = signed_in(emu, DANA_MENTOR)

    second = client.acquire_token_by_refresh_token(first["refresh_token"], USER_SCOPES)
    third = client.acquire_token_by_refresh_token(second["refresh_token"], USER_SCOPES)

    tokens = {first["refresh_token"], second["refresh_token"], third["refresh_token"]}
    assert len(tokens) == 3
    assert "access_token" in third


def test_a_wrong_code_verifier_is_refused(emu):
    client = app(emu)
    flow = client.initiate_auth_code_flow(
        USER_SCOPES, redirect_uri=REDIRECT, response_mode="form_post"
    )
    answer = consent(flow["auth_uri"], verify=emu.ca_path, account=DANA_MENTOR)
    flow["code_verifier"] = "x" * 43

    result = client.acquire_token_by_auth_code_flow(flow, returned(answer))

    assert result["error"] == "invalid_grant"
    assert "AADSTS501481" in result["error_description"]


def test_a_person_who_cancels_returns_with_access_denied(emu):
    # The query response mode, as MSAL sends when none is asked for (MSAL warns about it).
    flow = app(emu).initiate_auth_code_flow(
        USER_SCOPES, redirect_uri=REDIRECT, response_mode="query"
    )

    answer = consent(flow["auth_uri"], verify=emu.ca_path, account=DANA_MENTOR, decision="decline")

    back = query_of(answer.headers["location"])
    assert back["error"] == "access_denied"
    assert back["state"] == flow["state"]


def test_user_consent_in_a_tenant_requiring_admin_approval_gets_aadsts90094(emu):
    flow = app(emu).initiate_auth_code_flow(
        USER_SCOPES, redirect_uri=REDIRECT, response_mode="form_post"
    )

    page = consent(flow["auth_uri"], verify=emu.ca_path, account=FRANK_FABRIKAM)

    assert "Need admin approval" in page.text and "AADSTS90094" in page.text
    back = requests.utils.unquote(page.text.split("id='back' href='")[1].split("'")[0])
    assert "error=access_denied" in back and "AADSTS90094" in back


def test_admin_consent_redirects_with_admin_consent_true(emu):
    page = (
        emu.https(f"/{LITWARE_TENANT}/v2.0/adminconsent")
        + f"?client_id={MS_CLIENT_ID}&scope=https://graph.microsoft.com/.default"
        + f"&redirect_uri={REDIRECT}&state=xyz"
    )

    answer = consent(page, verify=emu.ca_path, account=LITWARE_ADMIN)

    assert query_of(answer.headers["location"]) == {
        "admin_consent": "True",
        "tenant": LITWARE_TENANT,
        "scope": "https://graph.microsoft.com/.default",
        "state": "xyz",
    }
    assert "access_token" in app(emu, LITWARE_TENANT).acquire_token_for_client(scopes=GRAPH_DEFAULT)


def test_admin_consent_without_a_scope_is_refused(emu):
    page = (
        emu.https(f"/{LITWARE_TENANT}/v2.0/adminconsent")
        + f"?client_id={MS_CLIENT_ID}&redirect_uri={REDIRECT}&state=xyz"
    )

    answer = requests.get(page, verify=emu.ca_path, timeout=10)

    assert answer.status_code == 400 and "AADSTS900144" in answer.text


def test_a_declined_admin_consent_redirects_with_an_error(emu):
    page = (
        emu.https("/organizations/v2.0/adminconsent")
        + f"?client_id={MS_CLIENT_ID}&scope={GRAPH_DEFAULT[0]}&redirect_uri={REDIRECT}&state=abc"
    )

    answer = consent(page, verify=emu.ca_path, account=LITWARE_ADMIN, decision="decline")

    back = query_of(answer.headers["location"])
    assert back["error"] == "access_denied" and back["state"] == "abc"


def test_a_non_admin_cannot_grant_admin_consent(emu):
    page = (
        emu.https(f"/{LITWARE_TENANT}/v2.0/adminconsent")
        + f"?client_id={MS_CLIENT_ID}&scope={GRAPH_DEFAULT[0]}&redirect_uri={REDIRECT}&state=abc"
    )

    answer = consent(page, verify=emu.ca_path, account=LEO_LITWARE)

    assert "AADSTS90094" in answer.text


def test_an_admin_of_a_tenant_requiring_approval_can_consent_for_users(emu):
    page = (
        emu.https(f"/{FABRIKAM_TENANT}/v2.0/adminconsent")
        + f"?client_id={MS_CLIENT_ID}&scope={GRAPH_DEFAULT[0]}&redirect_uri={REDIRECT}&state=s"
    )
    emu.control.add_account(email="boss@fabrikam.example", admin=True)
    consent(page, verify=emu.ca_path, account="boss@fabrikam.example")

    _, result = signed_in(emu, FRANK_FABRIKAM)

    assert "access_token" in result
