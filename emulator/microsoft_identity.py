"""Microsoft identity platform (v2.0): discovery, authorize, token, admin consent, keys.

An authority is ``https://<host>:<tls port>/<tenant>`` where tenant is a tenant id, one
of its domains, ``common`` or ``organizations``. MSAL fetches
``{authority}/v2.0/.well-known/openid-configuration`` and follows the endpoints it
names, all served here. MSAL insists on https, hence the TLS port.
"""

from __future__ import annotations

import base64
import hmac
import json
import time
from datetime import timedelta
from html import escape
from typing import Any
from urllib.parse import urlparse

from emulator import ids, pages
from emulator.app import Emulator
from emulator.google_oauth import client_credentials, first, pkce_matches, with_query
from emulator.store import Account, AdminConsent, AuthCode, Client, Grant, Organization
from emulator.timefmt import utcnow
from emulator.web import Exchange, HTTPError, Response, Router

BRAND = "Microsoft"
GRAPH = "https://graph.microsoft.com/"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
RESERVED = ("openid", "profile", "email", "offline_access")
MULTI_TENANT = ("common", "organizations", "consumers")
# The tenant every personal Microsoft account belongs to.
CONSUMER_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"


def aad_error(status: int, error: str, code: int, text: str) -> Response:
    """The token endpoint's error body, AADSTS code first in the description."""
    now = utcnow().strftime("%Y-%m-%d %H:%M:%SZ")
    trace = ids.guid()
    return Response.json(
        {
            "error": error,
            "error_description": f"AADSTS{code}: {text} Trace ID: {trace} "
            f"Correlation ID: {trace} Timestamp: {now}",
            "error_codes": [code],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": trace,
        },
        status,
    )


def short_scope(scope: str) -> str:
    """``https://graph.microsoft.com/Calendars.Read`` -> ``Calendars.Read``."""
    return scope[len(GRAPH) :] if scope.lower().startswith(GRAPH) else scope


def client_info(account: Account, tenant_id: str) -> str:
    raw = json.dumps({"uid": account.user_id, "utid": tenant_id}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class MicrosoftIdentity:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.store = emu.store

    def register(self, router: Router) -> None:
        add = router.add
        add(
            "GET",
            "/{tenant}/v2.0/.well-known/openid-configuration",
            "ms.openid-configuration",
            self.openid_configuration,
        )
        add("GET", "/common/discovery/instance", "ms.instance-discovery", self.instance_discovery)
        add("GET", "/{tenant}/discovery/v2.0/keys", "ms.keys", self.keys)
        add("GET", "/{tenant}/oauth2/v2.0/authorize", "ms.authorize", self.authorize)
        add("POST", "/{tenant}/oauth2/v2.0/authorize", "ms.authorize", self.decide)
        add("POST", "/{tenant}/oauth2/v2.0/token", "ms.token", self.token)
        add("GET", "/{tenant}/v2.0/adminconsent", "ms.adminconsent", self.adminconsent)
        add("POST", "/{tenant}/v2.0/adminconsent", "ms.adminconsent", self.adminconsent_decide)

    # -- discovery ---------------------------------------------------------------------

    def tenant_or_error(self, key: str) -> Organization | None:
        """The tenant an authority names (None for common/organizations)."""
        if key.lower() in MULTI_TENANT:
            return None
        org = self.store.tenant(key)
        if org is None:
            raise HTTPError(
                aad_error(
                    400,
                    "invalid_tenant",
                    90002,
                    f"Tenant '{key}' not found. Check to make sure you have the correct tenant ID "
                    "and are signing into the correct cloud.",
                )
            )
        return org

    def openid_configuration(self, ex: Exchange) -> Response:
        key = ex.params["tenant"]
        org = self.tenant_or_error(key)
        base = ex.request.base_url
        segment = org.tenant_id if org else key.lower()
        issuer_tenant = org.tenant_id if org else "{tenantid}"
        return Response.json(
            {
                "token_endpoint": f"{base}/{segment}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{base}/{segment}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{base}/{issuer_tenant}/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": f"{base}{self.emu.graph_root}/oidc/userinfo",
                "authorization_endpoint": (
                    f"{self.emu.browser_base_url or base}/{segment}/oauth2/v2.0/authorize"
                ),
                "device_authorization_endpoint": f"{base}/{segment}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{base}/{segment}/oauth2/v2.0/logout",
                "claims_supported": [
                    "sub",
                    "iss",
                    "aud",
                    "exp",
                    "iat",
                    "auth_time",
                    "acr",
                    "nonce",
                    "preferred_username",
                    "name",
                    "tid",
                    "ver",
                    "email",
                    "oid",
                ],
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": ex.request.host,
                "rbac_url": "https://pas.windows.net",
            }
        )

    def instance_discovery(self, ex: Exchange) -> Response:
        """What MSAL asks when ``instance_discovery`` points at this emulator."""
        endpoint = ex.request.arg("authorization_endpoint") or ""
        base = ex.request.base_url
        # MSAL names the endpoint by host without port, so only its path is used.
        tenant = urlparse(endpoint).path.strip("/").split("/")[0] or "common"
        host = ex.request.host
        return Response.json(
            {
                "tenant_discovery_endpoint": f"{base}/{tenant}/v2.0/.well-known/openid-configuration",
                "api-version": "1.1",
                "metadata": [
                    {"preferred_network": host, "preferred_cache": host, "aliases": [host]}
                ],
            }
        )

    def keys(self, ex: Exchange) -> Response:
        return Response.json(self.emu.signer.jwks())

    # -- authorize ---------------------------------------------------------------------

    def known_client(self, client_id: str, tenant: Organization | None) -> Client:
        client = self.store.client("microsoft", client_id)
        if client is None:
            where = tenant.name if tenant else "the directory"
            raise HTTPError(
                Response.html(
                    pages.error_page(
                        brand=BRAND,
                        title="Sorry, but we're having trouble signing you in.",
                        message=f"Application with identifier '{client_id}' was not found in {where}.",
                        code="AADSTS700016",
                    ),
                    400,
                )
            )
        return client

    def authorize(self, ex: Exchange) -> Response:
        req = ex.request
        tenant = self.tenant_or_error(ex.params["tenant"])
        client = self.known_client(req.arg("client_id") or "", tenant)
        redirect_uri = req.arg("redirect_uri") or ""
        if not redirect_uri or (client.redirect_uris and redirect_uri not in client.redirect_uris):
            return Response.html(
                pages.error_page(
                    brand=BRAND,
                    title="Sorry, but we're having trouble signing you in.",
                    message=f"The redirect URI '{redirect_uri}' specified in the request does not "
                    f"match the redirect URIs configured for the application '{client.client_id}'.",
                    code="AADSTS50011",
                ),
                400,
            )
        state = req.arg("state")
        if req.arg("response_type") != "code":
            return Response.redirect(
                with_query(
                    redirect_uri,
                    {
                        "error": "unsupported_response_type",
                        "state": state,
                        "error_description": "AADSTS700054: response_type is not supported.",
                    },
                )
            )
        txn = ids.token("")
        self.store.pending[txn] = {
            "tenant": tenant.tenant_id if tenant else ex.params["tenant"].lower(),
            "client_id": client.client_id,
            "redirect_uri": redirect_uri,
            "scopes": (req.arg("scope") or "").split(),
            "state": state,
            "code_challenge": req.arg("code_challenge"),
            "code_challenge_method": req.arg("code_challenge_method"),
            "nonce": req.arg("nonce"),
            "client_info": req.arg("client_info") == "1",
            "login_hint": req.arg("login_hint"),
            "response_mode": req.arg("response_mode") or "query",
        }
        return self._consent(txn, action=f"/{ex.params['tenant']}/oauth2/v2.0/authorize")

    def _accounts_for(self, tenant_key: str) -> list[Account]:
        found = []
        for account in self.store.accounts.values():
            if account.provider != "microsoft":
                continue
            org = self.store.org_of(account)
            if tenant_key in MULTI_TENANT or (org and org.tenant_id == tenant_key):
                found.append(account)
        return found

    def _consent(self, txn: str, action: str, admin: bool = False) -> Response:
        pending = self.store.pending[txn]
        client = self.store.client("microsoft", pending["client_id"])
        accounts = self._accounts_for(pending["tenant"])
        html = pages.consent_page(
            brand=BRAND,
            app_name=client.name if client else pending["client_id"],
            action=action,
            txn=txn,
            accounts=[(a.email, a.name) for a in accounts],
            selected=pending.get("login_hint"),
            # Microsoft's consent is all or nothing: nothing can be unticked.
            scopes=[(s, False) for s in pending["scopes"]],
            accept="Accept",
            decline="Cancel",
            heading="Permissions requested" + (" — accept for your organization" if admin else ""),
        )
        return Response.html(html)

    def _respond(self, pending: dict[str, Any], params: dict[str, str]) -> Response:
        params = {"state": pending["state"], **params}
        if pending.get("response_mode") == "form_post":
            fields = "".join(
                f"<input type='hidden' name='{escape(k)}' value='{escape(v)}'>"
                for k, v in params.items()
                if v
            )
            return Response.html(
                f"<form method='post' action='{escape(pending['redirect_uri'])}'>{fields}</form>"
                "<script>document.forms[0].submit()</script>"
            )
        return Response.redirect(with_query(pending["redirect_uri"], params))

    def decide(self, ex: Exchange) -> Response:
        form = ex.request.form()
        txn = first(form, "txn") or ""
        pending = self.store.pending.pop(txn, None)
        if pending is None:
            return Response.html(
                pages.error_page(
                    brand=BRAND,
                    title="Sorry, but we're having trouble signing you in.",
                    message="This sign-in request has expired.",
                    code="AADSTS90014",
                ),
                400,
            )
        if first(form, "decision") != "accept":
            return self._respond(
                pending,
                {
                    "error": "access_denied",
                    "error_subcode": "cancel",
                    "error_description": "AADSTS65004: User declined to consent to access the app.",
                },
            )
        account = self.store.account(first(form, "account"))
        if account is None or account not in self._accounts_for(pending["tenant"]):
            self.store.pending[txn] = pending
            return self._consent(txn, action=ex.request.path)
        self.emu.fault_gate(ex, account.email, "microsoft")
        org = self.store.org_of(account)
        client_id = pending["client_id"]
        if (
            org
            and org.user_consent_requires_admin
            and client_id not in org.admin_consents
            and not account.is_admin
        ):
            client = self.store.client("microsoft", client_id)
            back_url = with_query(
                pending["redirect_uri"],
                {
                    "error": "access_denied",
                    "error_description": "AADSTS90094: The grant requires admin permission.",
                    "state": pending["state"],
                },
            )
            return Response.html(
                pages.error_page(
                    brand=BRAND,
                    title="Need admin approval",
                    message=f"{client.name if client else client_id} needs permission to access "
                    f"resources in {org.name} that only an admin can grant. Please ask an admin to "
                    "grant permission to this app before you can use it.",
                    code="AADSTS90094: The grant requires admin permission.",
                    back_url=back_url,
                    back="Return to the application without granting consent",
                ),
                200,
            )
        tenant_id = org.tenant_id if org else CONSUMER_TENANT
        scopes = frozenset(short_scope(s) for s in pending["scopes"])
        grant = Grant("microsoft", client_id, account.email, scopes, "user", tenant_id=tenant_id)
        code = AuthCode(
            code=ids.token("0.AQ-emu-"),
            grant=grant,
            redirect_uri=pending["redirect_uri"],
            code_challenge=pending["code_challenge"],
            code_challenge_method=pending["code_challenge_method"],
            nonce=pending["nonce"],
            offline="offline_access" in scopes,
            expires_at=utcnow() + timedelta(minutes=10),
        )
        self.store.auth_codes[code.code] = code
        params = {"code": code.code, "session_state": ids.guid()}
        if pending.get("client_info"):
            params["client_info"] = client_info(account, tenant_id)
        return self._respond(pending, params)

    # -- admin consent -----------------------------------------------------------------

    def adminconsent(self, ex: Exchange) -> Response:
        req = ex.request
        tenant = self.tenant_or_error(ex.params["tenant"])
        client = self.known_client(req.arg("client_id") or "", tenant)
        redirect_uri = req.arg("redirect_uri") or ""
        if not redirect_uri or (client.redirect_uris and redirect_uri not in client.redirect_uris):
            return Response.html(
                pages.error_page(
                    brand=BRAND,
                    title="Sorry, but we're having trouble signing you in.",
                    message=f"The redirect URI '{redirect_uri}' does not match the redirect URIs "
                    f"configured for the application '{client.client_id}'.",
                    code="AADSTS50011",
                ),
                400,
            )
        scope = req.arg("scope") or ""
        if not scope:
            # `scope` is Required on the v2.0 admin consent endpoint ("the permissions being
            # requested from the application", static /.default or dynamic):
            # https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent
            # AADSTS900144 is the identity platform's missing-parameter error.
            return Response.html(
                pages.error_page(
                    brand=BRAND,
                    title="Sorry, but we're having trouble signing you in.",
                    message="The request body must contain the following parameter: 'scope'.",
                    code="AADSTS900144",
                ),
                400,
            )
        txn = ids.token("")
        self.store.pending[txn] = {
            "tenant": tenant.tenant_id if tenant else ex.params["tenant"].lower(),
            "client_id": client.client_id,
            "redirect_uri": redirect_uri,
            "scopes": scope.split(),
            "raw_scope": scope,
            "state": req.arg("state"),
        }
        return self._consent(txn, action=f"/{ex.params['tenant']}/v2.0/adminconsent", admin=True)

    def adminconsent_decide(self, ex: Exchange) -> Response:
        form = ex.request.form()
        pending = self.store.pending.pop(first(form, "txn") or "", None)
        if pending is None:
            return Response.html(
                pages.error_page(
                    brand=BRAND,
                    title="Sorry, but we're having trouble signing you in.",
                    message="This request has expired.",
                    code="AADSTS90014",
                ),
                400,
            )
        if first(form, "decision") != "accept":
            return self._respond(
                pending,
                {
                    "error": "access_denied",
                    "error_subcode": "cancel",
                    "error_description": "AADSTS65004: The admin canceled the request.",
                },
            )
        account = self.store.account(first(form, "account"))
        org = self.store.org_of(account)
        if account is None or org is None or org.provider != "microsoft":
            return self._respond(
                pending,
                {"error": "invalid_request", "error_description": "AADSTS50020: Unknown user."},
            )
        if not account.is_admin:
            return Response.html(
                pages.error_page(
                    brand=BRAND,
                    title="Need admin approval",
                    message=f"{account.email} is not an administrator of {org.name}; only an admin "
                    "can grant permissions for the whole organization.",
                    code="AADSTS90094: The grant requires admin permission.",
                    back_url=with_query(
                        pending["redirect_uri"],
                        {
                            "error": "access_denied",
                            "state": pending["state"],
                            "error_description": "AADSTS90094: The grant requires admin permission.",
                        },
                    ),
                    back="Return to the application without granting consent",
                ),
                200,
            )
        client = self.store.client("microsoft", pending["client_id"])
        assert client is not None  # checked when the page was served
        roles: set[str] = set()
        scopes: set[str] = set()
        for scope in pending["scopes"]:
            name = short_scope(scope)
            if name == ".default":
                roles |= client.application_permissions
            elif name not in RESERVED:
                roles.add(name)
                scopes.add(name)
        org.admin_consents[client.client_id] = AdminConsent(
            client.client_id, roles, scopes, account.email, utcnow()
        )
        return self._respond(
            pending,
            {"admin_consent": "True", "tenant": org.tenant_id, "scope": pending["raw_scope"]},
        )

    # -- token -------------------------------------------------------------------------

    def token(self, ex: Exchange) -> Response:
        tenant_key = ex.params["tenant"]
        tenant = self.tenant_or_error(tenant_key)
        form = ex.request.form()
        client_id, secret = client_credentials(ex.request, form)
        client = self.store.client("microsoft", client_id)
        if client is None:
            return aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory.",
            )
        if not secret:
            return aad_error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: "
                "'client_assertion' or 'client_secret'.",
            )
        if not hmac.compare_digest(secret, client.client_secret):
            return aad_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the "
                "request is the client secret value, not the client secret ID, for a "
                f"secret added to app '{client_id}'.",
            )
        grant_type = first(form, "grant_type")
        if grant_type == "authorization_code":
            return self._code(ex, form, client)
        if grant_type == "refresh_token":
            return self._refresh(ex, form, client)
        if grant_type == "client_credentials":
            return self._client_credentials(ex, form, client, tenant, tenant_key)
        return aad_error(
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{grant_type}'.",
        )

    def _code(self, ex: Exchange, form: dict[str, list[str]], client: Client) -> Response:
        code = self.store.auth_codes.get(first(form, "code") or "")
        if code is None or code.expires_at < utcnow() or code.grant.client_id != client.client_id:
            return aad_error(
                400,
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has expired due to "
                "inactivity. Send a new interactive authorization request for this "
                "user and resource.",
            )
        if code.used:
            return aad_error(
                400,
                "invalid_grant",
                54005,
                "OAuth2 Authorization code was already redeemed, please retry with a "
                "new valid code or use an existing refresh token.",
            )
        if first(form, "redirect_uri") != code.redirect_uri:
            return aad_error(
                400,
                "invalid_grant",
                50148,
                "The redirect_uri specified in the token request does not match the "
                "one used in the authorization request.",
            )
        if code.code_challenge:
            verifier = first(form, "code_verifier")
            if not verifier or not pkce_matches(
                verifier, code.code_challenge, code.code_challenge_method
            ):
                return aad_error(
                    400,
                    "invalid_grant",
                    501481,
                    "The Code_Verifier does not match the code_challenge supplied in "
                    "the authorization request.",
                )
        self.emu.fault_gate(ex, code.grant.account, "microsoft")
        code.used = True
        return Response.json(self._user_tokens(ex, code.grant, code.grant.scopes, code.nonce, form))

    def _refresh(self, ex: Exchange, form: dict[str, list[str]], client: Client) -> Response:
        refresh = self.store.refresh_tokens.get(first(form, "refresh_token") or "")
        if refresh is None or refresh.grant.provider != "microsoft":
            return aad_error(
                400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid."
            )
        if refresh.revoked or refresh.grant.revoked:
            return aad_error(
                400,
                "invalid_grant",
                50173,
                "The provided grant has expired due to it being revoked, a fresh auth "
                "token is needed. The user might have changed or reset their "
                "password.",
            )
        if refresh.grant.client_id != client.client_id:
            return aad_error(400, "invalid_grant", 70000, "Provided grant is invalid or malformed.")
        self.emu.fault_gate(ex, refresh.grant.account, "microsoft")
        asked = {short_scope(s) for s in (first(form, "scope") or "").split()}
        scopes = refresh.grant.scopes
        missing = asked - scopes - set(RESERVED)
        if missing:
            return aad_error(
                400,
                "invalid_grant",
                65001,
                "The user or administrator has not consented to use the application "
                f"with ID '{client.client_id}'. Send an interactive authorization "
                "request for this user and resource.",
            )
        return Response.json(self._user_tokens(ex, refresh.grant, scopes, None, form))

    def _user_tokens(
        self,
        ex: Exchange,
        grant: Grant,
        scopes: frozenset[str],
        nonce: str | None,
        form: dict[str, list[str]],
    ) -> dict[str, Any]:
        account = self.store.account(grant.account)
        assert account is not None
        resource = sorted(s for s in scopes if s not in RESERVED)
        now = int(time.time())
        token = self.emu.signer.sign(
            {
                "aud": GRAPH_APP_ID,
                "iss": f"https://sts.windows.net/{grant.tenant_id}/",
                "iat": now,
                "nbf": now,
                "exp": now + 3599,
                "appid": grant.client_id,
                "name": account.name,
                "oid": account.user_id,
                "scp": " ".join(resource),
                "sub": account.user_id,
                "tid": grant.tenant_id,
                "unique_name": account.email,
                "upn": account.email,
                "ver": "1.0",
                "jti": ids.guid(),
            }
        )
        access = self.store.issue_access(grant, frozenset(resource), token=token)
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": " ".join(
                resource + [s for s in ("openid", "profile", "email") if s in scopes]
            ),
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": access.token,
        }
        if "offline_access" in scopes:
            # Every refresh hands out a new refresh token; the old one keeps working.
            body["refresh_token"] = self.store.issue_refresh(grant, prefix="0.AQ-rt-").token
        if "openid" in scopes:
            body["id_token"] = self.emu.signer.sign(
                {
                    "ver": "2.0",
                    "iss": f"{ex.request.base_url}/{grant.tenant_id}/v2.0",
                    "sub": account.user_id,
                    "aud": grant.client_id,
                    "exp": now + 3600,
                    "iat": now,
                    "nbf": now,
                    "name": account.name,
                    "preferred_username": account.email,
                    "email": account.email,
                    "oid": account.user_id,
                    "tid": grant.tenant_id,
                    **({"nonce": nonce} if nonce else {}),
                }
            )
        if first(form, "client_info") == "1":
            body["client_info"] = client_info(account, grant.tenant_id)
        return body

    def _client_credentials(
        self,
        ex: Exchange,
        form: dict[str, list[str]],
        client: Client,
        tenant: Organization | None,
        tenant_key: str,
    ) -> Response:
        scope = first(form, "scope") or ""
        if not scope.endswith("/.default"):
            return aad_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client "
                "credential flows must have a scope value with /.default suffixed to "
                "the resource identifier (application ID URI).",
            )
        if tenant is None:
            return aad_error(
                400,
                "invalid_request",
                900023,
                f"Specified tenant identifier '{tenant_key}' is neither a valid DNS "
                "name, nor a valid external domain.",
            )
        consent = tenant.admin_consents.get(client.client_id)
        if consent is None:
            return aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client.client_id}' was not found in "
                f"the directory '{tenant.name}'. This can happen if the application "
                "has not been installed by the administrator of the tenant or "
                "consented to by any user in the tenant. You might have sent your "
                "authentication request to the wrong tenant.",
            )
        self.emu.fault_gate(ex, None, "microsoft")
        grant = Grant(
            "microsoft",
            client.client_id,
            None,
            frozenset(consent.roles),
            "app",
            tenant_id=tenant.tenant_id,
        )
        now = int(time.time())
        token = self.emu.signer.sign(
            {
                "aud": GRAPH_APP_ID,
                "iss": f"https://sts.windows.net/{tenant.tenant_id}/",
                "iat": now,
                "nbf": now,
                "exp": now + 3599,
                "appid": client.client_id,
                "idtyp": "app",
                "oid": ids.guid(),
                "roles": sorted(consent.roles),
                "sub": client.client_id,
                "tid": tenant.tenant_id,
                "ver": "1.0",
                "jti": ids.guid(),
            }
        )
        self.store.issue_access(grant, frozenset(consent.roles), token=token)
        return Response.json(
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            }
        )
