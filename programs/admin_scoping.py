"""Admin scoping: an organization's staff see and edit only their organization's rows.

Superusers see everything. Each scoped ModelAdmin names the lookup from its model to the
organization (`org_lookup`); querysets, foreign-key choices and new rows are all held to it.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet

from programs.models import Organization, Program, User


def staff_organization_id(request) -> int | None:
    """The organization a non-superuser staff member administers (None for superusers)."""
    if request.user.is_superuser:
        return None
    if request.user.organization_id is None:
        # Staff without an organization administer nothing.
        raise PermissionDenied("Your account belongs to no organization.")
    return request.user.organization_id


# How to reach the organization from each model a scoped form may point at.
_ORG_LOOKUP_BY_MODEL: dict[type[Model], str] = {}


def register_org_lookup(model: type[Model], lookup: str) -> None:
    _ORG_LOOKUP_BY_MODEL[model] = lookup


def scope_queryset(queryset: QuerySet, lookup: str, organization_id: int | None) -> QuerySet:
    if organization_id is None:
        return queryset
    if lookup == "":
        return queryset.filter(pk=organization_id)
    return queryset.filter(**{f"{lookup}_id": organization_id})


class OrgScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows, choices and saves stay inside the staff member's organization."""

    org_lookup: str = "organization"

    def get_queryset(self, request):
        return scope_queryset(
            super().get_queryset(request), self.org_lookup, staff_organization_id(request)
        )

    def _scope_choices(self, request, queryset: QuerySet) -> QuerySet:
        lookup = _ORG_LOOKUP_BY_MODEL.get(queryset.model)
        if lookup is None:
            return queryset
        return scope_queryset(queryset, lookup, staff_organization_id(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = self._scope_choices(request, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = self._scope_choices(request, field.queryset)
        return field

    def get_field_queryset(self, db, db_field, request):
        # list_filter choices for related fields must not leak other organizations either.
        queryset = super().get_field_queryset(db, db_field, request)
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.all()
        return self._scope_choices(request, queryset)


class OrgScopedInline(admin.TabularInline):
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        lookup = _ORG_LOOKUP_BY_MODEL.get(db_field.remote_field.model)
        if field is not None and lookup is not None:
            field.queryset = scope_queryset(field.queryset, lookup, staff_organization_id(request))
        return field


register_org_lookup(Organization, "")
register_org_lookup(User, "organization")
register_org_lookup(Program, "organization")
