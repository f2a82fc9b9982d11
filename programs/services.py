"""Writes for organizations, programs, matches and groups.

Each function validates first, then writes inside one transaction; callers pass keywords.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from programs import roles
from programs.busy_versions import bump_busy_versions
from programs.models import (
    DEFAULT_DURATIONS,
    Group,
    GroupMember,
    Match,
    Membership,
    Organization,
    OrganizationDomain,
    Program,
    User,
    validate_durations,
    validate_time_zone,
)


@transaction.atomic
def organization_create(*, name: str, slug: str, domains: list[str]) -> Organization:
    organization = Organization(name=name, slug=slug)
    organization.full_clean()
    organization.save()
    for domain in domains:
        row = OrganizationDomain(organization=organization, domain=domain.strip().lower())
        row.full_clean()
        row.save()
    return organization


@transaction.atomic
def user_create(
    *,
    email: str,
    organization: Organization | None,
    time_zone: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
) -> User:
    validate_time_zone(time_zone)
    user = User(
        email=email.strip().lower(),
        organization=organization,
        time_zone=time_zone,
        first_name=first_name,
        last_name=last_name,
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def program_create(
    *,
    organization: Organization,
    name: str,
    kind: str,
    starts_on: dt.date,
    ends_on: dt.date,
    allowed_durations: list[int] | None = None,
    target_sessions: int = 6,
    agenda_template: str = "",
) -> Program:
    durations = list(allowed_durations or DEFAULT_DURATIONS)
    validate_durations(durations)
    program = Program(
        organization=organization,
        name=name,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        allowed_durations=durations,
        target_sessions=target_sessions,
        agenda_template=agenda_template,
    )
    program.full_clean()
    program.save()
    return program


def _check_same_organization(program: Program, *users: User) -> None:
    for user in users:
        if user.organization_id != program.organization_id:
            raise ValidationError(f"{user.email} is not in {program.organization.name}.")


@transaction.atomic
def membership_add(*, program: Program, user: User, role: str) -> Membership:
    _check_same_organization(program, user)
    membership, _ = Membership.objects.get_or_create(program=program, user=user, role=role)
    if role == Membership.Role.ADMIN:
        program_admin_grant_access(user=user)
    return membership


@transaction.atomic
def match_create(*, program: Program, mentee: User, mentor: User) -> Match:
    if program.kind != Program.Kind.ONE_TO_ONE:
        raise ValidationError("Matches belong to one-to-one programs; use a group instead.")
    if mentee.pk == mentor.pk:
        raise ValidationError("A match needs two different people.")
    _check_same_organization(program, mentee, mentor)
    membership_add(program=program, user=mentee, role=Membership.Role.MENTEE)
    membership_add(program=program, user=mentor, role=Membership.Role.MENTOR)
    match = Match(program=program, mentee=mentee, mentor=mentor)
    match.full_clean()
    match.save()
    return match


@transaction.atomic
def group_create(*, program: Program, name: str, facilitator: User, members: list[User]) -> Group:
    if program.kind != Program.Kind.GROUP:
        raise ValidationError("Groups belong to group programs.")
    _check_same_organization(program, facilitator, *members)
    group = Group(program=program, name=name, facilitator=facilitator)
    group.full_clean()
    group.save()
    membership_add(program=program, user=facilitator, role=Membership.Role.MENTOR)
    everyone = [facilitator, *[m for m in members if m.pk != facilitator.pk]]
    for user in everyone:
        if user.pk != facilitator.pk:
            membership_add(program=program, user=user, role=Membership.Role.MENTEE)
        GroupMember.objects.create(group=group, user=user)
    return group


def program_admin_grant_access(*, user: User) -> None:
    """Let a program admin into Django admin; admin scoping shows them only the programs
    they administer (their ``admin`` memberships)."""
    user.groups.add(roles.permission_group(roles.PROGRAM_ADMINS_GROUP))
    _staff_follows_roles(user)


def _staff_follows_roles(user: User) -> None:
    staff = user.is_superuser or roles.needs_admin_site(user)
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])


def check_may_assign_roles(*, user: User, granted_by: User) -> None:
    """Only a superuser or an admin of the person's own organization hands out roles."""
    if granted_by.is_superuser:
        return
    if not (
        roles.is_organization_admin(granted_by)
        and user.organization_id == granted_by.organization_id
    ):
        raise PermissionDenied("Only an admin of this organization can change its roles.")


@transaction.atomic
def organization_roles_set(
    *, user: User, roles_held: set[roles.OrganizationRole], granted_by: User | None
) -> None:
    """Give the person exactly these organization roles (others are taken away).

    ``granted_by`` is the person doing it (checked: an admin of the same organization or a
    superuser); None is the platform itself (the demo, a management command), never a page.
    """
    if granted_by is not None:
        check_may_assign_roles(user=user, granted_by=granted_by)
    if roles_held and user.organization_id is None:
        raise ValidationError(f"{user.email} belongs to no organization, so holds no role in one.")
    unknown = set(roles_held) - set(roles.OrganizationRole)
    if unknown:
        raise ValidationError(f"Unknown role(s): {', '.join(sorted(unknown))}.")
    if (
        granted_by is not None
        and user.pk == granted_by.pk
        and roles.OrganizationRole.ADMIN not in roles_held
        and roles.is_organization_admin(user)
    ):
        # Nobody locks themselves (and perhaps everyone) out of their organization.
        raise ValidationError("You cannot remove your own organization admin role.")
    for role, name in roles.ROLE_GROUPS.items():
        group = roles.permission_group(name)
        if role in roles_held:
            user.groups.add(group)
        else:
            user.groups.remove(group)
    _staff_follows_roles(user)


@transaction.atomic
def match_end(*, match: Match) -> Match:
    """End a match: nobody books it any more, and availability stored for it is stale now."""
    if match.is_active:
        match.is_active = False
        match.save(update_fields=["is_active"])
    bump_busy_versions([match.mentee_id, match.mentor_id])
    return match


@transaction.atomic
def match_reactivate(*, match: Match) -> Match:
    if not match.is_active:
        match.is_active = True
        match.full_clean()
        match.save(update_fields=["is_active"])
    bump_busy_versions([match.mentee_id, match.mentor_id])
    return match


@transaction.atomic
def membership_end(*, membership: Membership) -> None:
    """Take the person out of the program in that role; as mentee or mentor that ends their
    matches there and takes them out of its groups, at once."""
    user, program = membership.user, membership.program
    touched = {user.pk}
    if membership.role in (Membership.Role.MENTEE, Membership.Role.MENTOR):
        side = "mentee" if membership.role == Membership.Role.MENTEE else "mentor"
        for match in Match.objects.filter(program=program, is_active=True, **{side: user}):
            match_end(match=match)
            touched |= {match.mentee_id, match.mentor_id}
        for member in GroupMember.objects.filter(group__program=program, user=user):
            touched |= set(member.group.group_members.values_list("user_id", flat=True))
            member.delete()
    membership.delete()
    if membership.role == Membership.Role.ADMIN and not roles.administered_program_ids(user):
        user.groups.remove(roles.permission_group(roles.PROGRAM_ADMINS_GROUP))
        _staff_follows_roles(user)
    bump_busy_versions(touched)


@transaction.atomic
def group_member_add(*, group: Group, user: User) -> GroupMember:
    _check_same_organization(group.program, user)
    membership_add(program=group.program, user=user, role=Membership.Role.MENTEE)
    member, _ = GroupMember.objects.get_or_create(group=group, user=user)
    bump_busy_versions(group.group_members.values_list("user_id", flat=True))
    return member


@transaction.atomic
def group_member_remove(*, member: GroupMember) -> None:
    if member.user_id == member.group.facilitator_id:
        raise ValidationError("The facilitator stays in the group; choose another one first.")
    everyone = list(member.group.group_members.values_list("user_id", flat=True))
    member.delete()
    bump_busy_versions(everyone)


# A program's organization and kind decide every row under it: they never change.
_PROGRAM_FIXED = {"id", "organization", "kind", "created_at"}


def program_updatable_fields() -> set[str]:
    return {f.name for f in Program._meta.concrete_fields if f.editable} - _PROGRAM_FIXED


@transaction.atomic
def program_update(*, program: Program, **changes) -> Program:
    """Change a program's settings (its organization and kind stay what they were)."""
    unknown = set(changes) - program_updatable_fields()
    if unknown:
        raise ValidationError(f"A program's {', '.join(sorted(unknown))} cannot be changed.")
    if "allowed_durations" in changes:
        validate_durations(changes["allowed_durations"])
    for field, value in changes.items():
        setattr(program, field, value)
    program.full_clean()
    program.save(update_fields=[*changes] or None)
    return program


_USER_FIELDS = {"first_name", "last_name", "time_zone", "is_active", "email"}


@transaction.atomic
def user_update(*, user: User, **changes) -> User:
    """Change a person's name, zone, email or whether they may sign in."""
    unknown = set(changes) - _USER_FIELDS
    if unknown:
        raise ValidationError(f"A person's {', '.join(sorted(unknown))} cannot be changed here.")
    if "time_zone" in changes:
        validate_time_zone(changes["time_zone"])
    if "email" in changes:
        changes["email"] = changes["email"].strip().lower()
    for field, value in changes.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=[*changes] or None)
    return user


@transaction.atomic
def group_update(*, group: Group, name: str, facilitator: User) -> Group:
    _check_same_organization(group.program, facilitator)
    if facilitator.pk != group.facilitator_id:
        membership_add(program=group.program, user=facilitator, role=Membership.Role.MENTOR)
        GroupMember.objects.get_or_create(group=group, user=facilitator)
        bump_busy_versions(group.group_members.values_list("user_id", flat=True))
    group.name = name
    group.facilitator = facilitator
    group.full_clean()
    group.save(update_fields=["name", "facilitator"])
    return group


@transaction.atomic
def organization_update(*, organization: Organization, name: str, slug: str) -> Organization:
    organization.name = name
    organization.slug = slug
    organization.full_clean()
    organization.save(update_fields=["name", "slug"])
    return organization


@transaction.atomic
def organization_domain_add(*, organization: Organization, domain: str) -> OrganizationDomain:
    row = OrganizationDomain(organization=organization, domain=domain.strip().lower())
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def organization_domain_remove(*, domain: OrganizationDomain) -> None:
    domain.delete()
