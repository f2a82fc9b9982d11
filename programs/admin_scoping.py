"""Admin scoping: each person sees and edits in Django admin only what their role covers.

- Superusers see everything.
- An organization admin sees their organization's rows.
- Anyone else (a program admin, organization IT) sees their organization's rows of the
  models that are not a program's (people, the organization, calendars), as far as their
  permissions let them, and of a program's rows only those of programs they administer.

Each scoped ModelAdmin names the lookup from its model to the organization (`org_lookup`);
models that belong to a program also name the lookup to it (`program_lookup`). Querysets,
foreign-key choices, list-filter choices and new rows are all held to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet

from programs import roles
from programs.models import Organization, Program, User


@dataclass(frozen=True)
class AdminScope:
    organization_id: int | None  # None: every organization (superusers)
    program_ids: frozenset[int] | None  # None: every program of the organization


def admin_scope(request) -> AdminScope:
    cached = getattr(request, "_together_admin_scope", None)
    if cached is not None:
        return cached
    user = request.user
    if user.is_superuser:
        scope = AdminScope(None, None)
    elif user.organization_id is None:
        # Staff without an organization administer nothing.
        raise PermissionDenied("Your account belongs to no organization.")
    elif roles.is_organization_admin(user):
        scope = AdminScope(user.organization_id, None)
    else:
        scope = AdminScope(user.organization_id, frozenset(roles.administered_program_ids(user)))
    request._together_admin_scope = scope
    return scope


def staff_organization_id(request) -> int | None:
    """The organization a non-superuser staff member administers (None for superusers)."""
    return admin_scope(request).organization_id


@dataclass(frozen=True)
class _Lookups:
    organization: str  # "" means the row is the organization itself
    program: str | None  # None: not a program's row; "pk": the row is the program itself


# How to reach the organization (and the program) from each model a scoped form may point at.
_LOOKUPS_BY_MODEL: dict[type[Model], _Lookups] = {}


def _program_lookup_from(org_lookup: str) -> str | None:
    if org_lookup.endswith("program__organization"):
        return org_lookup.removesuffix("__organization")
    return None


def register_org_lookup(model: type[Model], lookup: str, program_lookup: str | None = "") -> None:
    program = _program_lookup_from(lookup) if program_lookup == "" else program_lookup
    _LOOKUPS_BY_MODEL[model] = _Lookups(lookup, program)


def scope_queryset(
    queryset: QuerySet, lookup: str, scope: AdminScope | int | None, program_lookup=None
) -> QuerySet:
    if not isinstance(scope, AdminScope):
        scope = AdminScope(scope, None)
    if scope.organization_id is not None:
        if lookup == "":
            queryset = queryset.filter(pk=scope.organization_id)
        else:
            queryset = queryset.filter(**{f"{lookup}_id": scope.organization_id})
    if scope.program_ids is not None and program_lookup is not None:
        field = "pk" if program_lookup == "pk" else f"{program_lookup}_id"
        queryset = queryset.filter(**{f"{field}__in": scope.program_ids})
    return queryset


def scope_choices(request, queryset: QuerySet) -> QuerySet:
    lookups = _LOOKUPS_BY_MODEL.get(queryset.model)
    if lookups is None:
        return queryset
    return scope_queryset(queryset, lookups.organization, admin_scope(request), lookups.program)


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """The sidebar's choices for a related field, held to the viewer's scope.

    Django's own filter builds them from ``field.get_choices()``, which lists every row of
    the related model: every organization's and program's name and id.
    """

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        queryset = scope_choices(request, field.remote_field.model._default_manager.all())
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class OrgScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows, choices and saves stay inside the viewer's scope."""

    org_lookup: str = "organization"
    # "": derived from org_lookup (``program__organization`` → ``program``).
    program_lookup: str | None = ""

    def _program_lookup(self) -> str | None:
        if self.program_lookup == "":
            return _program_lookup_from(self.org_lookup)
        return self.program_lookup

    def get_queryset(self, request):
        return scope_queryset(
            super().get_queryset(request),
            self.org_lookup,
            admin_scope(request),
            self._program_lookup(),
        )

    def get_list_filter(self, request):
        # Plain field names become scoped filters; for a non-relation field the scoped
        # filter class is never chosen (Django picks by field type only for bare names),
        # so only relations are wrapped.
        filters = []
        for item in super().get_list_filter(request):
            if isinstance(item, str) and "__" not in item:
                field = self.model._meta.get_field(item)
                if field.is_relation:
                    filters.append((item, ScopedRelatedFieldListFilter))
                    continue
            filters.append(item)
        return filters

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope_choices(request, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope_choices(request, field.queryset)
        return field

    def get_field_queryset(self, db, db_field, request):
        queryset = super().get_field_queryset(db, db_field, request)
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.all()
        return scope_choices(request, queryset)


class OrgScopedInline(admin.TabularInline):
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope_choices(request, field.queryset)
        return field


register_org_lookup(Organization, "", None)
register_org_lookup(User, "organization", None)
register_org_lookup(Program, "organization", "pk")
