from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group as AuthGroup

from programs.admin_scoping import OrgScopedAdmin, OrgScopedInline, register_org_lookup
from programs.models import (
    Group,
    GroupMember,
    Match,
    Membership,
    Organization,
    OrganizationDomain,
    Program,
    Session,
    SessionParticipant,
    SessionSeries,
    User,
)

for model, lookup in [
    (Membership, "program__organization"),
    (Match, "program__organization"),
    (Group, "program__organization"),
    (GroupMember, "group__program__organization"),
    (SessionSeries, "program__organization"),
    (Session, "program__organization"),
    (OrganizationDomain, "organization"),
]:
    register_org_lookup(model, lookup)


class OrganizationDomainInline(OrgScopedInline):
    model = OrganizationDomain


@admin.register(Organization)
class OrganizationAdmin(OrgScopedAdmin):
    org_lookup = ""
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug", "domains__domain"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [OrganizationDomainInline]

    def has_add_permission(self, request):
        # New organizations are a platform decision, not an organization's.
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(User)
class UserAdmin(OrgScopedAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "organization", "time_zone", "is_staff"]
    list_filter = ["organization", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "organization", "time_zone"]}),
        (
            "Access",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "organization", "time_zone", "password1", "password2"],
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ["last_login", "date_joined"]
        # Organization staff manage their people, never platform-wide powers.
        return ["is_superuser", "groups", "user_permissions", "last_login", "date_joined"]


class MembershipInline(OrgScopedInline):
    model = Membership
    autocomplete_fields = ["user"]


@admin.register(Program)
class ProgramAdmin(OrgScopedAdmin):
    list_display = ["name", "organization", "kind", "starts_on", "ends_on", "target_sessions"]
    list_filter = ["kind", "organization"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(OrgScopedAdmin):
    org_lookup = "program__organization"
    list_display = ["user", "program", "role", "joined_at"]
    list_filter = ["role", "program"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    list_select_related = ["user", "program"]
    autocomplete_fields = ["user"]


@admin.register(Match)
class MatchAdmin(OrgScopedAdmin):
    org_lookup = "program__organization"
    list_display = ["__str__", "program", "matched_at", "is_active"]
    list_filter = ["program", "is_active"]
    search_fields = ["mentee__email", "mentor__email"]
    list_select_related = ["mentee", "mentor", "program"]
    autocomplete_fields = ["mentee", "mentor"]


class GroupMemberInline(OrgScopedInline):
    model = GroupMember
    autocomplete_fields = ["user"]


@admin.register(Group)
class GroupAdmin(OrgScopedAdmin):
    org_lookup = "program__organization"
    list_display = ["name", "program", "facilitator"]
    list_filter = ["program"]
    search_fields = ["name"]
    list_select_related = ["program", "facilitator"]
    inlines = [GroupMemberInline]
    autocomplete_fields = ["facilitator"]


@admin.register(SessionSeries)
class SessionSeriesAdmin(OrgScopedAdmin):
    org_lookup = "program__organization"
    list_display = ["__str__", "program", "time_zone", "created_by", "created_at"]
    list_select_related = ["program", "created_by"]


class SessionParticipantInline(OrgScopedInline):
    model = SessionParticipant
    autocomplete_fields = ["user"]


@admin.register(Session)
class SessionAdmin(OrgScopedAdmin):
    org_lookup = "program__organization"
    list_display = ["start", "end", "program", "status", "origin", "conferencing"]
    list_filter = ["status", "origin", "program"]
    date_hierarchy = "start"
    list_select_related = ["program"]
    raw_id_fields = ["match", "group", "series", "booked_by"]
    inlines = [SessionParticipantInline]


# Django's permission groups are a platform concern; they would confuse with mentorship groups.
admin.site.unregister(AuthGroup)
admin.site.site_header = "Together administration"
admin.site.site_title = "Together"
