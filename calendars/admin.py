"""Read-only admin views of connections and integrations, scoped to the staff's organization.

Secrets (tokens, service-account keys) are never shown; changes go through My Calendar and
the organization integration page, which call the services.
"""

from django.contrib import admin

from calendars.models import CalendarConnection, OrganizationIntegration
from programs.admin_scoping import OrgScopedAdmin


class ReadOnlyScopedAdmin(OrgScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CalendarConnection)
class CalendarConnectionAdmin(ReadOnlyScopedAdmin):
    org_lookup = "user__organization"
    list_display = (
        "user",
        "provider",
        "account_email",
        "status",
        "needs_reconnect_since",
        "last_synced_at",
    )
    list_filter = ("provider", "status")
    search_fields = ("user__email", "account_email")
    fields = (
        "user",
        "provider",
        "account_email",
        "status",
        "needs_reconnect_since",
        "last_synced_at",
        "last_error",
        "created_at",
    )


@admin.register(OrganizationIntegration)
class OrganizationIntegrationAdmin(ReadOnlyScopedAdmin):
    list_display = (
        "organization",
        "provider",
        "status",
        "consented_by",
        "consented_at",
        "members_resolved",
        "last_synced_at",
    )
    list_filter = ("provider", "status")
    fields = (
        "organization",
        "provider",
        "status",
        "consented_by",
        "consented_at",
        "verified_at",
        "service_account_client_id",
        "tenant_id",
        "members_resolved",
        "members_failed",
        "last_synced_at",
        "last_error",
        "disconnected_at",
    )
