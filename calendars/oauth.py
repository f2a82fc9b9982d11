"""The individual OAuth flows: authorization code with `state` and PKCE.

Pending flows live in the person's session keyed by `state`; a callback pops its entry, so a
state is single-use, expires, and is bound to the session (and user) that started it.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from calendars.models import Provider
from calendars.services import GrantedAccount

SESSION_KEY = "calendar_oauth_flows"
FLOW_TTL_SECONDS = 15 * 60
GOOGLE_REQUIRED = "https://www.googleapis.com/auth/calendar"
MICROSOFT_REQUIRED = "calendars.readwrite"

# oauthlib refuses a token whose scopes differ from those asked for; we check scopes
# ourselves to show the "required permissions were not granted" page instead.
os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")


class FlowError(Exception):
    """A callback we refuse. `kind` picks the page: state, not_approved, scopes, denied, failed."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Started:
    url: str
    state: str


def _google_flow(redirect_uri: str, **kwargs):
    from google_auth_oauthlib.flow import Flow

    from calendars.providers import google

    flow = Flow.from_client_config(
        {
            "web": {
                "client_id": settings.GOOGLE_OAUTH_CLIENT_ID,
                "client_secret": settings.GOOGLE_OAUTH_CLIENT_SECRET,
                "auth_uri": settings.GOOGLE_OAUTH_AUTH_URI,
                "token_uri": settings.GOOGLE_OAUTH_TOKEN_URI,
            }
        },
        scopes=google.SCOPES,
        redirect_uri=redirect_uri,
        **kwargs,
    )
    flow.oauth2session.verify = settings.CALENDAR_CA_BUNDLE or True
    return flow


def start(
    session, *, user_id: int, provider: str, redirect_uri: str, login_hint: str = ""
) -> Started:
    flows = {
        k: v
        for k, v in session.get(SESSION_KEY, {}).items()
        if v.get("created", 0) > time.time() - FLOW_TTL_SECONDS
    }
    if provider == Provider.GOOGLE:
        flow = _google_flow(redirect_uri, autogenerate_code_verifier=True)
        state = secrets.token_urlsafe(24)
        extra = {"login_hint": login_hint} if login_hint else {}
        url, _ = flow.authorization_url(
            state=state,
            access_type="offline",
            prompt="consent",
            include_granted_scopes="false",
            **extra,
        )
        entry = {"verifier": flow.code_verifier}
    elif provider == Provider.MICROSOFT:
        from calendars.providers import microsoft

        state = secrets.token_urlsafe(24)
        msal_flow = microsoft.msal_app().initiate_auth_code_flow(
            microsoft.DELEGATED_SCOPES,
            redirect_uri=redirect_uri,
            state=state,
            login_hint=login_hint or None,
            prompt="select_account",
        )
        url = msal_flow["auth_uri"]
        entry = {"msal_flow": msal_flow}
    else:
        raise ValueError(f"unknown provider {provider!r}")
    flows[state] = {
        **entry,
        "provider": provider,
        "user_id": user_id,
        "redirect_uri": redirect_uri,
        "created": time.time(),
    }
    session[SESSION_KEY] = flows
    session.modified = True
    return Started(url=url, state=state)


def _pop(session, state: str | None, user_id: int, provider: str) -> dict:
    flows = session.get(SESSION_KEY, {})
    entry = flows.pop(state, None) if state else None
    session[SESSION_KEY] = flows
    session.modified = True
    if (
        entry is None
        or entry.get("user_id") != user_id
        or entry.get("provider") != provider
        or entry.get("created", 0) < time.time() - FLOW_TTL_SECONDS
    ):
        raise FlowError(
            "state",
            "This sign-in link has expired or was not started from this browser. Start again.",
        )
    return entry


def _provider_error(params: dict) -> FlowError:
    error = params.get("error_subtype") or params.get("error", "")
    description = params.get("error_description", "")
    text = f"{error} {description}".lower()
    if error in {"admin_policy_enforced", "consent_required", "org_internal"} or any(
        k in text
        for k in ("admin approval", "administrator", "not approved", "aadsts65001", "aadsts90094")
    ):
        return FlowError("not_approved", "Your organization has not approved this app.")
    return FlowError("denied", "You did not grant access to your calendar.")


def finish(session, *, user_id: int, provider: str, params: dict) -> GrantedAccount:
    """Validate the callback and exchange the code. Raises FlowError; stores nothing."""
    entry = _pop(session, params.get("state"), user_id, provider)
    if params.get("error"):
        raise _provider_error(params)
    if not params.get("code"):
        raise FlowError("failed", "The provider did not send an authorization code.")
    if provider == Provider.GOOGLE:
        return _finish_google(entry, params)
    return _finish_microsoft(entry, params)


def _finish_google(entry: dict, params: dict) -> GrantedAccount:
    import datetime as dt

    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

    from calendars.errors import ProviderError
    from calendars.providers import google

    flow = _google_flow(
        entry["redirect_uri"], state=params["state"], code_verifier=entry["verifier"]
    )
    try:
        token = flow.fetch_token(
            code=params["code"],
            timeout=settings.CALENDAR_HTTP_TIMEOUT,
            verify=settings.CALENDAR_CA_BUNDLE or True,
        )
    except OAuth2Error as exc:
        raise FlowError(
            "failed", f"Google refused the sign-in ({exc.error}). Start again."
        ) from None
    except Exception as exc:  # transport: requests' errors
        raise FlowError("failed", f"Google could not be reached ({type(exc).__name__}).") from None
    scope = token.get("scope", "")
    granted = set(scope.split() if isinstance(scope, str) else scope)
    if GOOGLE_REQUIRED not in granted:
        raise FlowError("scopes", "The required permissions were not granted.")
    expires_at = None
    if token.get("expires_at"):
        expires_at = dt.datetime.fromtimestamp(token["expires_at"], tz=dt.UTC)
    creds = google.user_credentials_for(
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token", ""),
        expires_at=expires_at,
    )
    try:
        email = google.GoogleProvider(creds).account_email()
    except ProviderError:
        raise FlowError(
            "failed", "Google did not let us read your calendar. Start again."
        ) from None
    return GrantedAccount(
        provider=Provider.GOOGLE,
        account_email=email.lower(),
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token", ""),
        expires_at=expires_at,
        scopes=" ".join(sorted(granted)),
    )


def _finish_microsoft(entry: dict, params: dict) -> GrantedAccount:
    import datetime as dt

    from calendars.errors import ProviderError
    from calendars.providers import microsoft

    try:
        result = microsoft.msal_app().acquire_token_by_auth_code_flow(entry["msal_flow"], params)
    except ValueError:
        raise FlowError(
            "state", "This sign-in did not match the one we started. Start again."
        ) from None
    except Exception as exc:
        raise FlowError(
            "failed", f"Microsoft could not be reached ({type(exc).__name__})."
        ) from None
    if "error" in result:
        if result.get("error") in {"consent_required", "interaction_required"}:
            raise FlowError("not_approved", "Your organization has not approved this app.")
        raise FlowError(
            "failed", f"Microsoft refused the sign-in ({result['error']}). Start again."
        )
    scope = result.get("scope", "")
    granted = {
        s.lower().rsplit("/", 1)[-1] for s in (scope.split() if isinstance(scope, str) else scope)
    }
    if MICROSOFT_REQUIRED not in granted:
        raise FlowError("scopes", "The required permissions were not granted.")
    token = result["access_token"]
    try:
        email = microsoft.MicrosoftProvider(token_getter=lambda: token).account_email()
    except ProviderError:
        raise FlowError(
            "failed", "Microsoft did not let us read your calendar. Start again."
        ) from None
    claims = result.get("id_token_claims") or {}
    email = email or (claims.get("preferred_username") or "").lower()
    return GrantedAccount(
        provider=Provider.MICROSOFT,
        account_email=email,
        access_token=token,
        refresh_token=result.get("refresh_token", ""),
        expires_at=timezone.now() + dt.timedelta(seconds=int(result.get("expires_in", 3600))),
        scopes=" ".join(sorted(granted)),
    )


def admin_consent_start(session, *, organization_id: int, redirect_uri: str) -> str:
    """Microsoft's `/adminconsent` URL for an org admin, with a single-use state."""
    from urllib.parse import urlencode

    state = secrets.token_urlsafe(24)
    session["calendar_admin_consent"] = {
        "state": state,
        "organization_id": organization_id,
        "created": time.time(),
    }
    from calendars.providers.microsoft import APP_SCOPES

    query = urlencode(
        {
            "client_id": settings.MICROSOFT_CLIENT_ID,
            # Required (https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent):
            # /.default grants the application permissions registered for the app.
            "scope": " ".join(APP_SCOPES),
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{settings.MICROSOFT_AUTHORITY_HOST}/organizations/v2.0/adminconsent?{query}"


def admin_consent_finish(session, *, organization_id: int, params: dict) -> str:
    """The consenting tenant id, or FlowError."""
    entry = session.pop("calendar_admin_consent", None)
    session.modified = True
    if (
        not entry
        or not params.get("state")
        or not secrets.compare_digest(entry["state"], params["state"])
        or entry["organization_id"] != organization_id
        or entry["created"] < time.time() - FLOW_TTL_SECONDS
    ):
        raise FlowError(
            "state", "This consent link has expired or was not started here. Start again."
        )
    if params.get("error"):
        raise FlowError("denied", "Consent was not granted.")
    tenant = params.get("tenant", "")
    if not tenant or str(params.get("admin_consent", "")).lower() != "true":
        raise FlowError("denied", "Consent was not granted.")
    return tenant
