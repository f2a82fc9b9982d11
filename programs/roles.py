"""Who may do what inside an organization.

A person belongs to one organization, so a role is a Django permission group whose members
hold it in their own organization only (admin scoping and the integration views add the
organization). Three roles, as the design names them:

- **Organization admin**: the organization's people, roles, every program and every report.
- **Organization IT**: the organization's calendar integration (domain-wide consent, the
  service-account key, disconnecting), and the calendars' admin pages. Nothing else.
- **Program admin**: a ``Membership`` with role ``admin`` in a program; edits that program's
  matches, groups, members and sessions and reads its reports, nothing of other programs.

``is_staff`` (may open Django admin) follows from these roles and is never set by hand:
a staff flag alone grants nothing, so handing it to someone opens no door.
"""

from __future__ import annotations

from django.contrib.auth.models import Group as PermissionGroup
from django.contrib.auth.models import Permission
from django.db.models import Q, TextChoices

from programs.models import Membership, User


class OrganizationRole(TextChoices):
    ADMIN = "organization_admin", "Organization admin"
    IT = "organization_it", "Organization IT (calendar integration)"


# The permission group behind each role; the group's name is what admin shows.
ROLE_GROUPS = {
    OrganizationRole.ADMIN: "Organization admins",
    OrganizationRole.IT: "Organization IT",
}
PROGRAM_ADMINS_GROUP = "Program admins"

_APPS = ["programs", "calendars", "scheduling", "reporting"]


def _role_permissions(group_name: str) -> Q:
    """The model permissions each role's group carries (admin scoping narrows them to rows)."""
    if group_name == ROLE_GROUPS[OrganizationRole.ADMIN]:
        return Q(content_type__app_label__in=_APPS)
    if group_name == ROLE_GROUPS[OrganizationRole.IT]:
        return Q(content_type__app_label="calendars", codename__startswith="view_")
    # Program admins: their programs' rows; people and the organization only to look at
    # (to match a member they must find them), no calendars pages, and reports to read.
    view_people = Q(content_type__app_label="programs", codename__in=["view_user"])
    programs_rows = Q(
        content_type__app_label="programs",
        content_type__model__in=[
            "membership",
            "match",
            "group",
            "groupmember",
            "session",
            "sessionseries",
            "sessionparticipant",
        ],
    )
    program_itself = Q(
        content_type__app_label="programs", codename__in=["view_program", "change_program"]
    )
    reports = Q(content_type__app_label="reporting", codename__startswith="view_")
    return view_people | programs_rows | program_itself | reports


def permission_group(name: str) -> PermissionGroup:
    group, _ = PermissionGroup.objects.get_or_create(name=name)
    # Re-synced whenever someone is given the role, so permissions of models added later
    # are included.
    group.permissions.set(Permission.objects.filter(_role_permissions(name)))
    return group


def organization_roles(user: User) -> set[OrganizationRole]:
    names = set(user.groups.values_list("name", flat=True))
    return {role for role, group in ROLE_GROUPS.items() if group in names}


def _active_in_organization(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.organization_id)


def is_organization_admin(user) -> bool:
    return (
        _active_in_organization(user)
        and user.groups.filter(name=ROLE_GROUPS[OrganizationRole.ADMIN]).exists()
    )


def manages_calendar_integration(user) -> bool:
    """May connect, verify or disconnect the organization's domain-wide integration."""
    return (
        _active_in_organization(user)
        and user.groups.filter(name=ROLE_GROUPS[OrganizationRole.IT]).exists()
    )


def administered_program_ids(user) -> set[int]:
    if not _active_in_organization(user):
        return set()
    return set(
        Membership.objects.filter(
            user=user,
            role=Membership.Role.ADMIN,
            program__organization_id=user.organization_id,
        ).values_list("program_id", flat=True)
    )


def needs_admin_site(user: User) -> bool:
    """Whether any of the person's roles is exercised in Django admin."""
    return bool(organization_roles(user)) or bool(administered_program_ids(user))
