"""Writes for organizations, programs, matches and groups.

Each function validates first, then writes inside one transaction; callers pass keywords.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group as PermissionGroup
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction

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

PROGRAM_ADMINS_GROUP = "Program admins"
# Program admins manage these apps' rows in Django admin; admin scoping keeps them inside
# their own organization.
_PROGRAM_ADMIN_APPS = ["programs", "calendars", "scheduling", "reporting"]


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
    """Let a program admin into Django admin, limited (by admin scoping) to their organization."""
    group, _ = PermissionGroup.objects.get_or_create(name=PROGRAM_ADMINS_GROUP)
    # Re-synced on every grant so permissions of models added later are included.
    group.permissions.set(
        Permission.objects.filter(content_type__app_label__in=_PROGRAM_ADMIN_APPS)
    )
    user.groups.add(group)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
