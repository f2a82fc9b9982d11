"""Google OAuth 2.0: authorize (with granular consent), token, revoke, userinfo, certs.

Paths mirror Google's hosts collapsed onto one origin: ``/o/oauth2/v2/auth``
(accounts.google.com), ``/token`` and ``/revoke`` (oauth2.googleapis.com),
``/oauth2/v3/userinfo`` and ``/oauth2/v1|v3/certs`` (www.googleapis.com).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlparse

import jwt

from emulator import ids, pages
from emulator.app import Emulator, oauth_error
from emulator.signing import unverified_claims, verify_rs256
from emulator.store import Account, AuthCode, Grant
from emulator.timefmt import utcnow
from emulator.web import Exchange, HTTPError, Request, Response, Router

BRAND = "Google"
ISSUER = "https://accounts.google.com"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Sign-in scopes Google grants as a whole; only the others can be unticked.
SIGN_IN_SCOPES = {
    "openid",
    "email",
    "profile",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
}
UNAUTHORIZED_CLIENT = (
    "Client is unauthorized to retrieve access tokens using this method, or client not "
    "authorized for any of the scopes requested."
)


def with_query(url: str, params: dict[str, str]) -> str:
    clean = {k: v for k, v in params.items() if v is not None}
    return url + ("&" if "?" in url else "?") + urlencode(clean)


def pkce_matches(verifier: str, challenge: str, method: str | None) -> bool:
    if (method or "plain") == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        computed = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    else:
        computed = verifier
    return hmac.compare_digest(computed, challenge)


def client_credentials(request: Request, form: dict[str, list[str]]) -> tuple[str, str | None]:
    """(client_id, client_secret) from the form or an HTTP Basic header."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except ValueError:
            decoded = ":"
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return first(form, "client_id") or "", first(form, "client_secret")


def first(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None


class GoogleOAuth:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.store = emu.store

    def register(self, router: Router) -> None:
        for path in ("/o/oauth2/v2/auth", "/o/oauth2/auth"):
            router.add("GET", path, "google.authorize", self.authorize)
            router.add("POST", path, "google.authorize", self.decide)
        for path in ("/token", "/o/oauth2/token"):
            router.add("POST", path, "google.token", self.token)
        for path in ("/revoke", "/o/oauth2/revoke"):
            router.add("POST", path, "google.revoke", self.revoke)
            router.add("GET", path, "google.revoke", self.revoke)
        router.add("GET", "/oauth2/v3/userinfo", "google.userinfo", self.userinfo)
        router.add("GET", "/oauth2/v2/userinfo", "google.userinfo", self.userinfo)
        router.add("GET", "/oauth2/v3/certs", "google.certs", self.certs_jwk)
        router.add("GET", "/oauth2/v1/certs", "google.certs", self.certs_pem)

    # -- authorize ---------------------------------------------------------------------

    def authorize(self, ex: Exchange) -> Response:
        req = ex.request
        client_id = req.arg("client_id") or ""
        client = self.store.client("google", client_id)
        if client is None:
            return self._error_page(
                401,
                "Access blocked: Authorization Error",
                "The OAuth client was not found.",
                "Error 401: invalid_client",
            )
        redirect_uri = req.arg("redirect_uri") or ""
        if not redirect_uri or (client.redirect_uris and redirect_uri not in client.redirect_uris):
            return self._error_page(
                400,
                "Access blocked: This app's request is invalid",
                f"You can't sign in because {client.name} sent an invalid request.",
                "Error 400: redirect_uri_mismatch",
            )
        state = req.arg("state")
        if req.arg("response_type") != "code":
            return Response.redirect(
                with_query(redirect_uri, {"error": "unsupported_response_type", "state": state})
            )
        scopes = (req.arg("scope") or "").split()
        if not scopes:
            return self._error_page(
                400,
                "Access blocked: Authorization Error",
                "Missing required parameter: scope",
                "Error 400: invalid_request",
            )
        method = req.arg("code_challenge_method")
        if req.arg("code_challenge") and method not in (None, "S256", "plain"):
            return self._error_page(
                400,
                "Access blocked: Authorization Error",
                "Invalid code_challenge_method.",
                "Error 400: invalid_request",
            )
        txn = ids.token("")
        self.store.pending[txn] = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scopes": scopes,
            "state": state,
            "code_challenge": req.arg("code_challenge"),
            "code_challenge_method": method,
            "nonce": req.arg("nonce"),
            "offline": req.arg("access_type") == "offline",
            "login_hint": req.arg("login_hint"),
        }
        return self._consent(txn)

    def _consent(self, txn: str) -> Response:
        pending = self.store.pending[txn]
        client = self.store.client("google", pending["client_id"])
        accounts = [
            (a.email, a.name) for a in self.store.accounts.values() if a.provider == "google"
        ]
        html = pages.consent_page(
            brand=BRAND,
            app_name=client.name if client else pending["client_id"],
            action="/o/oauth2/v2/auth",
            txn=txn,
            accounts=accounts,
            selected=pending.get("login_hint"),
            scopes=[(s, s not in SIGN_IN_SCOPES) for s in pending["scopes"]],
            accept="Allow",
            decline="Cancel",
            heading="Sign in with Google",
        )
        return Response.html(html)

    def decide(self, ex: Exchange) -> Response:
        form = ex.request.form()
        txn = first(form, "txn") or ""
        pending = self.store.pending.pop(txn, None)
        if pending is None:
            return self._error_page(
                400,
                "Something went wrong",
                "This sign-in request has expired. Start again from the app.",
                "Error 400: invalid_request",
            )
        redirect_uri, state = pending["redirect_uri"], pending["state"]
        if first(form, "decision") != "accept":
            return Response.redirect(
                with_query(redirect_uri, {"error": "access_denied", "state": state})
            )
        account = self.store.account(first(form, "account"))
        if account is None or account.provider != "google":
            self.store.pending[txn] = pending
            return self._consent(txn)
        self.emu.fault_gate(ex, account.email, "google")
        org = self.store.org_of(account)
        if org and org.block_unapproved_apps and pending["client_id"] not in org.trusted_clients:
            client = self.store.client("google", pending["client_id"])
            back = with_query(
                redirect_uri,
                {
                    "error": "access_denied",
                    "error_subtype": "admin_policy_enforced",
                    "state": state,
                },
            )
            return self._error_page(
                400,
                "Access blocked: Authorization Error",
                f"{account.email} can't access {client.name if client else 'this app'}: access "
                f"to your account is restricted by policies within {org.name}. Contact the "
                "administrator of your organization for more information.",
                "Error 400: admin_policy_enforced",
                back_url=back,
            )
        ticked = set(form.get("scope", []))
        granted = [s for s in pending["scopes"] if s in ticked or s in SIGN_IN_SCOPES]
        grant = Grant("google", pending["client_id"], account.email, frozenset(granted), "user")
        code = AuthCode(
            code=ids.token("4/emu-"),
            grant=grant,
            redirect_uri=redirect_uri,
            code_challenge=pending["code_challenge"],
            code_challenge_method=pending["code_challenge_method"],
            nonce=pending["nonce"],
            offline=pending["offline"],
            expires_at=utcnow() + timedelta(minutes=10),
        )
        self.store.auth_codes[code.code] = code
        params = {
            "state": state,
            "iss": ISSUER,
            "code": code.code,
            "scope": " ".join(granted),
            "authuser": "0",
            "prompt": "consent",
        }
        return Response.redirect(with_query(redirect_uri, params))

    def _error_page(
        self, status: int, title: str, message: str, code: str, back_url: str | None = None
    ) -> Response:
        html = pages.error_page(
            brand=BRAND,
            title=title,
            message=message,
            code=code,
            back_url=back_url,
            back="Back to the app (emulator shortcut)",
        )
        return Response.html(html, status)

    # -- token -------------------------------------------------------------------------

    def token(self, ex: Exchange) -> Response:
        form = ex.request.form()
        grant_type = first(form, "grant_type")
        if grant_type == JWT_BEARER:
            return self._jwt_bearer(ex, first(form, "assertion") or "")
        client_id, secret = client_credentials(ex.request, form)
        client = self.store.client("google", client_id)
        if client is None:
            return oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if secret is None or not hmac.compare_digest(secret, client.client_secret):
            return oauth_error(401, "invalid_client", "Unauthorized")
        if grant_type == "authorization_code":
            return self._code(ex, form, client_id)
        if grant_type == "refresh_token":
            return self._refresh(ex, form, client_id)
        return oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _code(self, ex: Exchange, form: dict[str, list[str]], client_id: str) -> Response:
        code = self.store.auth_codes.get(first(form, "code") or "")
        if code is None or code.expires_at < utcnow() or code.grant.client_id != client_id:
            return oauth_error(400, "invalid_grant", "Malformed auth code.")
        if code.used:
            # Redeeming a code twice is treated as an attack: its tokens are revoked too.
            code.grant.revoked = True
            return oauth_error(400, "invalid_grant", "Bad Request")
        if first(form, "redirect_uri") != code.redirect_uri:
            return oauth_error(400, "redirect_uri_mismatch", "Bad Request")
        verifier = first(form, "code_verifier")
        if code.code_challenge:
            if not verifier:
                return oauth_error(400, "invalid_grant", "Missing code verifier.")
            if not pkce_matches(verifier, code.code_challenge, code.code_challenge_method):
                return oauth_error(400, "invalid_grant", "Invalid code verifier.")
        self.emu.fault_gate(ex, code.grant.account, "google")
        code.used = True
        return Response.json(self._tokens(code.grant, code.grant.scopes, code.offline, code.nonce))

    def _refresh(self, ex: Exchange, form: dict[str, list[str]], client_id: str) -> Response:
        refresh = self.store.refresh_tokens.get(first(form, "refresh_token") or "")
        if refresh is None or refresh.revoked or refresh.grant.revoked:
            return oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
        if refresh.grant.client_id != client_id:
            return oauth_error(400, "unauthorized_client", "Unauthorized")
        self.emu.fault_gate(ex, refresh.grant.account, "google")
        scopes = refresh.grant.scopes
        asked = (first(form, "scope") or "").split()
        if asked:
            if not set(asked) <= scopes:
                return oauth_error(
                    400, "invalid_scope", "The requested scopes are not authorized for this grant."
                )
            scopes = frozenset(asked)
        return Response.json(self._tokens(refresh.grant, scopes, offline=False, nonce=None))

    def _tokens(
        self, grant: Grant, scopes: frozenset[str], offline: bool, nonce: str | None
    ) -> dict[str, Any]:
        access = self.store.issue_access(grant, scopes)
        body: dict[str, Any] = {
            "access_token": access.token,
            "expires_in": 3599,
            "scope": " ".join(sorted(scopes)),
            "token_type": "Bearer",
        }
        if offline:
            body["refresh_token"] = self.store.issue_refresh(grant).token
        account = self.store.account(grant.account)
        if account and "openid" in scopes:
            body["id_token"] = self.id_token(account, grant.client_id, nonce)
        return body

    def id_token(self, account: Account, client_id: str, nonce: str | None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "azp": client_id,
            "aud": client_id,
            "sub": account.user_id,
            "email": account.email,
            "email_verified": True,
            "name": account.name,
            "iat": now,
            "exp": now + 3600,
        }
        org = self.store.org_of(account)
        if org:
            claims["hd"] = account.email.rsplit("@", 1)[-1]
        if nonce:
            claims["nonce"] = nonce
        return self.emu.signer.sign(claims)

    def _jwt_bearer(self, ex: Exchange, assertion: str) -> Response:
        """The service-account grant; with ``sub`` it is domain-wide delegation."""
        try:
            claims = unverified_claims(assertion)
        except jwt.PyJWTError:
            return oauth_error(400, "invalid_grant", "Invalid JWT: Token must be a JWT.")
        sa = self.store.service_accounts.get(str(claims.get("iss", "")).lower())
        if sa is None:
            return oauth_error(400, "invalid_grant", "Invalid grant: account not found")
        try:
            claims = verify_rs256(assertion, sa.public_key_pem)
        except jwt.PyJWTError:
            return oauth_error(400, "invalid_grant", "Invalid JWT Signature.")
        now = time.time()
        iat, exp = claims.get("iat", 0), claims.get("exp", 0)
        if not (iat - 300 <= now <= exp + 60) or exp - iat > 3600:
            return oauth_error(
                400,
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim.",
            )
        if urlparse(str(claims.get("aud", ""))).path not in ("/token", "/o/oauth2/token"):
            return oauth_error(400, "invalid_grant", "Invalid JWT: aud must be the token URI.")
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            return oauth_error(
                400, "invalid_scope", "Invalid OAuth scope or ID token audience provided."
            )
        subject = claims.get("sub")
        if not subject or subject == sa.client_email:
            grant = Grant("google", sa.client_id, None, scopes, "service_account")
        else:
            account = self.store.account(str(subject))
            if account is None or account.provider != "google":
                return oauth_error(400, "invalid_grant", "Invalid email or User ID")
            org = self.store.org_of(account)
            delegated = org.delegations.get(sa.client_id) if org else None
            if delegated is None or not scopes <= delegated:
                return oauth_error(401, "unauthorized_client", UNAUTHORIZED_CLIENT)
            grant = Grant("google", sa.client_id, account.email, scopes, "delegated")
        self.emu.fault_gate(ex, grant.account, "google")
        access = self.store.issue_access(grant, scopes)
        return Response.json(
            {"access_token": access.token, "expires_in": 3599, "token_type": "Bearer"}
        )

    # -- revoke, userinfo, certs -------------------------------------------------------

    def revoke(self, ex: Exchange) -> Response:
        token = ex.request.arg("token") or first(ex.request.form(), "token") or ""
        refresh = self.store.refresh_tokens.get(token)
        access = self.store.access_tokens.get(token)
        grant = refresh.grant if refresh else access.grant if access else None
        if grant is None or grant.revoked or grant.provider != "google":
            return oauth_error(400, "invalid_token", "Token expired or revoked")
        # Revoking either token ends the whole grant, as Google does.
        grant.revoked = True
        return Response.json({})

    def userinfo(self, ex: Exchange) -> Response:
        header = ex.request.headers.get("authorization", "")
        access = self.store.valid_access(header[7:].strip(), "google")
        if access is None:
            raise HTTPError(oauth_error(401, "invalid_request", "Invalid Credentials"))
        account = self.store.account(access.grant.account)
        if account is None:
            return oauth_error(400, "invalid_request", "No user behind this token")
        given, _, family = account.name.partition(" ")
        info = {
            "sub": account.user_id,
            "name": account.name,
            "given_name": given,
            "family_name": family,
            "email": account.email,
            "email_verified": True,
        }
        if self.store.org_of(account):
            info["hd"] = account.email.rsplit("@", 1)[-1]
        if ex.request.path.startswith("/oauth2/v2/"):
            info["id"] = info.pop("sub")
            info["verified_email"] = info.pop("email_verified")
        return Response.json(info)

    def certs_jwk(self, ex: Exchange) -> Response:
        return Response.json(self.emu.signer.jwks())

    def certs_pem(self, ex: Exchange) -> Response:
        return Response.json({self.emu.signer.kid: self.emu.signer.cert_pem})
