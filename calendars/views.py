"""My Calendar (individual integration) and the org admin's domain-wide integration page."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from calendars import oauth, selectors, services
from calendars.errors import NeedsReconnectError, ProviderError, TemporaryProviderError
from calendars.forms import CalDAVForm, ServiceAccountKeyForm
from calendars.models import CalendarConnection, OrganizationIntegration, Provider
from calendars.providers import google as google_provider
from programs import roles
from programs.errors import DomainError

FLOW_PAGES = {
    "state": "calendars/flow_error.html",
    "denied": "calendars/flow_error.html",
    "failed": "calendars/flow_error.html",
    "not_approved": "calendars/not_approved.html",
    "scopes": "calendars/scopes_missing.html",
}


@login_required
@require_GET
def my_calendar(request):
    user = request.user
    state = selectors.integration_state(user)
    connections = list(selectors.connections_for(user))
    return render(
        request,
        "calendars/my_calendar.html",
        {
            "state": state,
            "connections": connections,
            "can_add": len(connections) < _limit(),
            "limit": _limit(),
            "caldav_form": CalDAVForm(),
            "manages_integration": roles.manages_calendar_integration(user),
        },
    )


def _limit() -> int:
    from django.conf import settings

    return settings.CALENDAR_ACCOUNTS_PER_USER


def _callback_uri(request, provider: str) -> str:
    return request.build_absolute_uri(reverse("calendars:oauth_callback", args=[provider]))


@login_required
@require_POST
def connect(request, provider: str):
    if provider not in (Provider.GOOGLE, Provider.MICROSOFT):
        raise PermissionDenied
    login_hint = ""
    reconnect_id = request.POST.get("reconnect")
    if reconnect_id:
        login_hint = get_object_or_404(
            CalendarConnection, pk=reconnect_id, user=request.user
        ).account_email
    elif CalendarConnection.objects.filter(user=request.user).count() >= _limit():
        messages.error(request, f"You can connect up to {_limit()} calendar accounts.")
        return redirect("calendars:my_calendar")
    try:
        started = oauth.start(
            request.session,
            user_id=request.user.pk,
            provider=provider,
            redirect_uri=_callback_uri(request, provider),
            login_hint=login_hint,
        )
    except requests.RequestException:
        # MSAL reads Microsoft's sign-in metadata before it can build the sign-in link; when
        # the provider cannot be reached the person is told so, not shown a server error.
        messages.error(
            request,
            f"{Provider(provider).label} sign-in could not be reached just now. "
            "Try again in a minute.",
        )
        return redirect("calendars:my_calendar")
    return redirect(started.url)


@login_required
@require_GET
def oauth_callback(request, provider: str):
    try:
        grant = oauth.finish(
            request.session, user_id=request.user.pk, provider=provider, params=request.GET.dict()
        )
    except oauth.FlowError as exc:
        return render(
            request,
            FLOW_PAGES[exc.kind],
            {"message": str(exc), "provider": provider, "kind": exc.kind},
            status=400,
        )
    try:
        connection = services.connection_upsert(user=request.user, grant=grant)
    except services.ConnectionLimitReached as exc:
        messages.error(request, str(exc))
        return redirect("calendars:my_calendar")
    except ProviderError:
        messages.error(request, "Connected, but your calendars could not be read yet. Try Refresh.")
        return redirect("calendars:my_calendar")
    messages.success(request, f"Connected {connection.account_email}.")
    return redirect("calendars:my_calendar")


@login_required
@require_POST
def caldav_connect(request):
    form = CalDAVForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the server URL, your username and an app password.")
        return redirect("calendars:my_calendar")
    from calendars.providers.caldav_provider import CalDAVProvider

    data = form.cleaned_data
    host = urlsplit(data["url"]).netloc
    try:
        url = CalDAVProvider.discover(
            url=data["url"], username=data["username"], password=data["password"]
        )
        CalDAVProvider(
            url=url, username=data["username"], password=data["password"]
        ).list_calendars()
    except NeedsReconnectError:
        messages.error(request, f"{host} did not accept that username and app password.")
        return redirect("calendars:my_calendar")
    except TemporaryProviderError:
        messages.error(
            request,
            f"Together could not reach a server at {host}. Check the address, or try again "
            "in a few minutes if the server is down.",
        )
        return redirect("calendars:my_calendar")
    except ProviderError:
        messages.error(
            request,
            f"{host} answered, but not as a CalDAV server. Check the address your provider "
            "gives for CalDAV (for example https://caldav.fastmail.com/).",
        )
        return redirect("calendars:my_calendar")
    grant = services.GrantedAccount(
        provider=Provider.CALDAV,
        account_email=data["username"].lower(),
        access_token="",
        refresh_token=data["password"],
        expires_at=None,
        scopes="",
        caldav_url=url,
    )
    try:
        services.connection_upsert(user=request.user, grant=grant)
    except services.ConnectionLimitReached as exc:
        messages.error(request, str(exc))
    return redirect("calendars:my_calendar")


@login_required
@require_POST
def choose_calendars(request):
    destination = request.POST.get("destination")
    try:
        services.calendar_choices_update(
            user=request.user,
            check_ids=request.POST.getlist("check"),
            destination_id=int(destination) if destination else None,
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Calendar choices saved.")
    return redirect("calendars:my_calendar")


@login_required
@require_POST
def refresh(request, connection_id: int):
    connection = get_object_or_404(CalendarConnection, pk=connection_id, user=request.user)
    try:
        services.connection_refresh_calendars(connection=connection)
    except ProviderError:
        messages.error(request, "Your calendars could not be read. You may need to reconnect.")
    return redirect("calendars:my_calendar")


def _confirmed(request) -> bool:
    """Destructive buttons post twice: first to a page saying what will happen (it changes
    nothing), then from that page with ``confirm=yes``. Works without JavaScript."""
    return request.POST.get("confirm") == "yes"


def _confirm_page(request, *, title: str, consequences: list[str], button: str, cancel: str):
    return render(
        request,
        "calendars/confirm_disconnect.html",
        {
            "title": title,
            "consequences": consequences,
            "button": button,
            "action": request.path,
            "cancel": cancel,
        },
    )


@login_required
@require_POST
def disconnect(request, connection_id: int):
    connection = get_object_or_404(CalendarConnection, pk=connection_id, user=request.user)
    email = connection.account_email
    if not _confirmed(request):
        return _confirm_page(
            request,
            title=f"Disconnect {email}?",
            consequences=[
                f"Together stops reading busy times from {email} and deletes the tokens, "
                "calendar choices and busy times it stored for it.",
                "The people you book with no longer see when you are busy in it, and new "
                "sessions are no longer added to its calendar.",
                "Events already in that calendar stay there. You can connect it again later.",
            ],
            button=f"Disconnect {email}",
            cancel=reverse("calendars:my_calendar"),
        )
    services.connection_disconnect(connection=connection)
    messages.success(request, f"Disconnected {email}. Its tokens and busy times were deleted.")
    return redirect("calendars:my_calendar")


# --- Organization admin -----------------------------------------------------------------


def _org_admin(request):
    """The organization whose integration this person runs: organization IT only (a staff
    flag or a program admin's role is not enough; see programs/roles.py)."""
    user = request.user
    if not roles.manages_calendar_integration(user):
        raise PermissionDenied("Only your organization's IT can change its calendar integration.")
    return user.organization


def _current_integration(organization):
    return (
        OrganizationIntegration.objects.filter(
            organization=organization,
            status__in=[
                OrganizationIntegration.Status.PENDING,
                OrganizationIntegration.Status.ACTIVE,
                OrganizationIntegration.Status.FAILED,
            ],
        )
        .select_related("consented_by")
        .order_by("-created_at")
        .first()
    )


@login_required
@require_GET
def org_integration(request):
    organization = _org_admin(request)
    integration = _current_integration(organization)
    members = services.members_covered_by(integration) if integration else None
    return render(
        request,
        "calendars/org_integration.html",
        {
            "organization": organization,
            "integration": integration,
            "member_count": members.count() if members is not None else 0,
            "key_form": ServiceAccountKeyForm(),
            "scopes": google_provider.SCOPES,
        },
    )


@login_required
@require_POST
def org_google_key(request):
    organization = _org_admin(request)
    form = ServiceAccountKeyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.organization_google_start(
                organization=organization, admin=request.user, key_json=form.cleaned_data["key"]
            )
        except DomainError as exc:
            messages.error(request, str(exc))
    else:
        for error in form.non_field_errors():
            messages.error(request, error)
    return redirect("calendars:org_integration")


@login_required
@require_POST
def org_google_verify(request):
    organization = _org_admin(request)
    integration = get_object_or_404(
        OrganizationIntegration,
        organization=organization,
        provider=Provider.GOOGLE,
        status__in=[OrganizationIntegration.Status.PENDING, OrganizationIntegration.Status.FAILED],
    )
    if services.organization_google_verify(integration=integration, member=request.user):
        messages.success(request, "Verified: Together can read your members' calendars.")
    else:
        messages.error(
            request,
            "Google did not let the service account act for you yet. Check the client id and "
            "scopes in the Admin console (changes can take a few minutes), then verify again.",
        )
    return redirect("calendars:org_integration")


@login_required
@require_POST
def org_microsoft_consent(request):
    organization = _org_admin(request)
    url = oauth.admin_consent_start(
        request.session,
        organization_id=organization.pk,
        redirect_uri=request.build_absolute_uri(reverse("calendars:org_microsoft_callback")),
    )
    return redirect(url)


@login_required
@require_GET
def org_microsoft_callback(request):
    organization = _org_admin(request)
    try:
        tenant = oauth.admin_consent_finish(
            request.session, organization_id=organization.pk, params=request.GET.dict()
        )
        services.organization_microsoft_complete(
            organization=organization, admin=request.user, tenant_id=tenant
        )
    except oauth.FlowError as exc:
        return render(request, "calendars/flow_error.html", {"message": str(exc)}, status=400)
    except DomainError as exc:
        return render(request, "calendars/flow_error.html", {"message": str(exc)}, status=400)
    messages.success(request, "Microsoft 365 connected for your whole organization.")
    return redirect("calendars:org_integration")


@login_required
@require_POST
def org_disconnect(request):
    organization = _org_admin(request)
    integration = _current_integration(organization)
    # A Google setup still pending has read nothing yet: cancelling it needs no second step.
    pending = integration and integration.status == OrganizationIntegration.Status.PENDING
    if integration and not pending and not _confirmed(request):
        members = services.members_covered_by(integration).count()
        provider = integration.get_provider_display()
        return _confirm_page(
            request,
            title=f"Disconnect {organization.name} from {provider}?",
            consequences=[
                f"This stops reading busy times for all {members} "
                f"member{'s' if members != 1 else ''} of {organization.name} through "
                f"{provider}, and deletes their cached busy times and the stored grant.",
                "Members who have not connected a calendar of their own will book with no "
                "availability insight until the organization is connected again.",
                "Events already in members' calendars stay there.",
            ],
            button="Disconnect organization",
            cancel=reverse("calendars:org_integration"),
        )
    if integration:
        services.organization_disconnect(integration=integration)
        messages.success(request, "Disconnected. Members' cached busy times were deleted.")
    return redirect("calendars:org_integration")
