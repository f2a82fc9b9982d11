"""Django admin for organizations, people, programs, matches and groups.

Every write goes through programs/services.py (``save_model`` / ``save_formset`` /
``delete_model`` call them), so admin holds the same rules as the pages, the API and the demo.
Sessions are booked, moved and cancelled by scheduling's services from the pages and the API;
admin shows them read-only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group as AuthGroup
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect

from programs import roles, services, user_cache
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
    (SessionParticipant, "session__program__organization"),
]:
    register_org_lookup(model, lookup)
register_org_lookup(OrganizationDomain, "organization", None)


def _adopt(target, saved) -> None:
    """Make the admin's unsaved instance the row a service created, so inlines attach to it."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


def _inline_rows(formset):
    """(deleted instances, changed-or-new forms) of an inline, for services to write.

    Admin's own ``formset.save()`` would write the rows directly; the services do instead.
    """
    deleted = [f.instance for f in formset.deleted_forms if f.instance.pk]
    changed = [
        f
        for f in formset.forms
        if f not in formset.deleted_forms and f.has_changed() and f.cleaned_data
    ]
    # What admin's change message reads after a save.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    return deleted, changed


class ServiceErrorsAdmin(OrgScopedAdmin):
    """Shows a service's ValidationError on the page (a message, nothing written) instead of
    a 500: admin validates its form first, but some rules live only in the services."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            with transaction.atomic():
                return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            for message in exc.messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            with transaction.atomic():
                return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            for message in exc.messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def _may_name_program_admins(request) -> bool:
    return request.user.is_superuser or roles.is_organization_admin(request.user)


class _RoleChoicesMixin:
    """Only an organization admin makes someone a program admin (it opens Django admin)."""

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not _may_name_program_admins(request):
            kwargs["choices"] = [
                (value, label)
                for value, label in Membership.Role.choices
                if value != Membership.Role.ADMIN
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


def _save_memberships(request, formset) -> None:
    deleted, changed = _inline_rows(formset)
    for obj in deleted:
        services.membership_end(membership=Membership.objects.get(pk=obj.pk))
    program = Program.objects.get(pk=formset.instance.pk)
    for form in changed:
        data = form.cleaned_data
        if form.instance.pk:
            original = Membership.objects.get(pk=form.instance.pk)
            if (original.user_id, original.role) == (data["user"].pk, data["role"]):
                continue
            services.membership_end(membership=original)
        services.membership_add(program=program, user=data["user"], role=data["role"])


class OrganizationDomainInline(OrgScopedInline):
    model = OrganizationDomain


@admin.register(Organization)
class OrganizationAdmin(ServiceErrorsAdmin):
    org_lookup = ""
    program_lookup = None
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug", "domains__domain"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [OrganizationDomainInline]
    fields = ["name", "slug"]

    def has_add_permission(self, request):
        # New organizations are a platform decision, not an organization's.
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        if change:
            services.organization_update(
                organization=obj, name=form.cleaned_data["name"], slug=form.cleaned_data["slug"]
            )
        else:
            _adopt(
                obj,
                services.organization_create(
                    name=form.cleaned_data["name"], slug=form.cleaned_data["slug"], domains=[]
                ),
            )

    def save_formset(self, request, form, formset, change):
        deleted, changed = _inline_rows(formset)
        for obj in deleted:
            services.organization_domain_remove(domain=OrganizationDomain.objects.get(pk=obj.pk))
        for inline_form in changed:
            domain = inline_form.cleaned_data.get("domain")
            if not domain:
                continue
            if inline_form.instance.pk:
                services.organization_domain_remove(
                    domain=OrganizationDomain.objects.get(pk=inline_form.instance.pk)
                )
            services.organization_domain_add(organization=form.instance, domain=domain)


class RolesForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        choices=roles.OrganizationRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Organization admins manage people, roles, every program and report; "
        "organization IT connects the organization's calendars. Program admins are named "
        "per program (a membership with the role Program admin).",
    )


@admin.register(User)
class UserAdmin(ServiceErrorsAdmin, DjangoUserAdmin):
    program_lookup = None
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "organization", "time_zone", "is_staff"]
    list_filter = ["organization", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "organization", "time_zone", "password1", "password2"],
            },
        ),
    ]

    def _may_assign_roles(self, request, obj) -> bool:
        if obj is None:
            return False
        try:
            services.check_may_assign_roles(user=obj, granted_by=request.user)
        except PermissionDenied:
            return False
        return True

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        access = ["is_active", "is_staff"]
        if self._may_assign_roles(request, obj):
            access.append("roles")
        if request.user.is_superuser:
            access += ["is_superuser", "groups", "user_permissions"]
        return [
            (None, {"fields": ["email", "password"]}),
            ("Person", {"fields": ["first_name", "last_name", "organization", "time_zone"]}),
            ("Access", {"fields": access}),
            ("Dates", {"fields": ["last_login", "date_joined"]}),
        ]

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None and self._may_assign_roles(request, obj):
            kwargs["form"] = type("UserRolesForm", (RolesForm, self.form), {})
        form = super().get_form(request, obj, **kwargs)
        if "roles" in form.base_fields and obj is not None:
            form.base_fields["roles"].initial = sorted(roles.organization_roles(obj))
        return form

    def get_readonly_fields(self, request, obj=None):
        # Staff status follows a person's roles; an organization is chosen once.
        fixed = ["is_staff", "last_login", "date_joined"]
        if obj is not None:
            fixed.append("organization")
        return fixed

    def get_list_display(self, request):
        if request.user.is_superuser:
            return self.list_display
        return [name for name in self.list_display if name != "organization"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            organization = data.get("organization")
            if not request.user.is_superuser:
                organization = request.user.organization
            _adopt(
                obj,
                services.user_create(
                    email=data["email"],
                    organization=organization,
                    time_zone=data.get("time_zone") or "UTC",
                    password=data.get("password1") or None,
                ),
            )
            return
        changes = {
            name: data[name]
            for name in ["email", "first_name", "last_name", "time_zone", "is_active"]
            if name in form.changed_data
        }
        services.user_update(user=User.objects.get(pk=obj.pk), **changes)
        if request.user.is_superuser and "is_superuser" in form.changed_data:
            # Platform power: superusers only, and no service of an organization's.
            User.objects.filter(pk=obj.pk).update(is_superuser=data["is_superuser"])
            user_cache.forget(obj.pk)  # .update() sends no post_save

    def save_related(self, request, form, formsets, change):
        if request.user.is_superuser and change:
            super().save_related(request, form, formsets, change)
        if "roles" in form.cleaned_data:
            services.organization_roles_set(
                user=User.objects.get(pk=form.instance.pk),
                roles_held={roles.OrganizationRole(r) for r in form.cleaned_data["roles"]},
                granted_by=request.user,
            )


class MembershipInline(_RoleChoicesMixin, OrgScopedInline):
    model = Membership
    autocomplete_fields = ["user"]
    fields = ["user", "role"]


@admin.register(Program)
class ProgramAdmin(ServiceErrorsAdmin):
    program_lookup = "pk"
    list_display = ["name", "organization", "kind", "starts_on", "ends_on", "target_sessions"]
    list_filter = ["kind", "organization"]
    search_fields = ["name"]
    inlines = [MembershipInline]
    exclude = ["created_at"]

    def get_list_display(self, request):
        if request.user.is_superuser:
            return self.list_display
        return [name for name in self.list_display if name != "organization"]

    def get_readonly_fields(self, request, obj=None):
        return ["organization", "kind"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        # Deleting a program deletes every session booked in it.
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.program_update(
                program=Program.objects.get(pk=obj.pk),
                **{name: data[name] for name in form.changed_data if name in data},
            )
            obj.refresh_from_db()
            return
        created_with = {
            "name",
            "kind",
            "starts_on",
            "ends_on",
            "allowed_durations",
            "target_sessions",
            "agenda_template",
        }
        program = services.program_create(
            organization=data["organization"],
            name=data["name"],
            kind=data["kind"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            allowed_durations=data.get("allowed_durations") or None,
            target_sessions=data.get("target_sessions") or 6,
            agenda_template=data.get("agenda_template", ""),
        )
        rest = {
            name: data[name]
            for name in form.changed_data
            if name in data and name not in created_with and name != "organization"
        }
        if rest:
            program = services.program_update(program=program, **rest)
        _adopt(obj, program)

    def save_formset(self, request, form, formset, change):
        _save_memberships(request, formset)


@admin.register(Membership)
class MembershipAdmin(_RoleChoicesMixin, ServiceErrorsAdmin):
    org_lookup = "program__organization"
    list_display = ["user", "program", "role", "joined_at"]
    list_filter = ["role", "program"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    list_select_related = ["user", "program"]
    autocomplete_fields = ["user"]
    fields = ["program", "user", "role"]

    def get_readonly_fields(self, request, obj=None):
        # To change a role, end the membership and add another: each has its consequences.
        return ["program", "user", "role"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        _adopt(
            obj,
            services.membership_add(program=data["program"], user=data["user"], role=data["role"]),
        )

    def delete_model(self, request, obj):
        services.membership_end(membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            services.membership_end(membership=membership)


@admin.register(Match)
class MatchAdmin(ServiceErrorsAdmin):
    org_lookup = "program__organization"
    list_display = ["__str__", "program", "matched_at", "is_active"]
    list_filter = ["program", "is_active"]
    search_fields = ["mentee__email", "mentor__email"]
    list_select_related = ["mentee", "mentor", "program"]
    autocomplete_fields = ["mentee", "mentor"]

    def get_fields(self, request, obj=None):
        return (
            ["program", "mentee", "mentor", "is_active"] if obj else ["program", "mentee", "mentor"]
        )

    def get_readonly_fields(self, request, obj=None):
        return ["program", "mentee", "mentor"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        # A match's sessions are its history; end the match instead (untick Active).
        return False

    def save_model(self, request, obj, form, change):
        if change:
            match = Match.objects.get(pk=obj.pk)
            if form.cleaned_data["is_active"]:
                services.match_reactivate(match=match)
            else:
                services.match_end(match=match)
            return
        data = form.cleaned_data
        _adopt(
            obj,
            services.match_create(
                program=data["program"], mentee=data["mentee"], mentor=data["mentor"]
            ),
        )


class GroupMemberInline(OrgScopedInline):
    model = GroupMember
    autocomplete_fields = ["user"]
    fields = ["user"]


@admin.register(Group)
class GroupAdmin(ServiceErrorsAdmin):
    org_lookup = "program__organization"
    list_display = ["name", "program", "facilitator"]
    list_filter = ["program"]
    search_fields = ["name"]
    list_select_related = ["program", "facilitator"]
    inlines = [GroupMemberInline]
    autocomplete_fields = ["facilitator"]
    fields = ["program", "name", "facilitator"]

    def get_readonly_fields(self, request, obj=None):
        return ["program"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        # A group's sessions are its history.
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.group_update(
                group=Group.objects.get(pk=obj.pk),
                name=data["name"],
                facilitator=data["facilitator"],
            )
            return
        _adopt(
            obj,
            services.group_create(
                program=data["program"],
                name=data["name"],
                facilitator=data["facilitator"],
                members=[],
            ),
        )

    def save_formset(self, request, form, formset, change):
        group = Group.objects.get(pk=form.instance.pk)
        deleted, changed = _inline_rows(formset)
        for obj in deleted:
            services.group_member_remove(member=GroupMember.objects.get(pk=obj.pk))
        for inline_form in changed:
            user = inline_form.cleaned_data.get("user")
            if user is None:
                continue
            if inline_form.instance.pk:
                services.group_member_remove(
                    member=GroupMember.objects.get(pk=inline_form.instance.pk)
                )
            services.group_member_add(group=group, user=user)


class ReadOnlyAdminMixin:
    """Rows another app's services write: admin looks, never changes."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SessionSeries)
class SessionSeriesAdmin(ReadOnlyAdminMixin, OrgScopedAdmin):
    org_lookup = "program__organization"
    list_display = ["__str__", "program", "time_zone", "created_by", "created_at"]
    list_select_related = ["program", "created_by"]


class SessionParticipantInline(ReadOnlyAdminMixin, OrgScopedInline):
    model = SessionParticipant


@admin.register(Session)
class SessionAdmin(ReadOnlyAdminMixin, OrgScopedAdmin):
    org_lookup = "program__organization"
    list_display = ["start", "end", "program", "status", "origin", "conferencing"]
    list_filter = ["status", "origin", "program"]
    date_hierarchy = "start"
    list_select_related = ["program"]
    inlines = [SessionParticipantInline]


# Django's permission groups carry the roles (programs/roles.py): they are assigned on a
# person's page, never edited by hand, and would be confused with mentorship groups.
admin.site.unregister(AuthGroup)
admin.site.site_header = "Together administration"
admin.site.site_title = "Together"
