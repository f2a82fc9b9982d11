"""The demo: three organizations, people on several continents, 1:1 and group programs.

- Northwind Traders: Google Workspace, integrated domain-wide (the calendars extension).
- Contoso Pharmaceuticals: Microsoft 365, integrated domain-wide by admin consent.
- Tailspin Toys: a Google Workspace that has not approved Together, so its people connect
  personal Google and Outlook.com calendars one by one.

Used by `manage.py demo`. This module writes only what programs/ owns (organizations,
people, programs, matches, groups); other apps extend the demo through DEMO_EXTENSIONS
(calendar integrations and busy times; sessions, booked through the booking services) and
add the journeys they make visible to ``Demo.journeys``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from programs import availability, services
from programs.models import Match, Organization, Program, User
from programs.roles import OrganizationRole

DEMO_PASSWORD = "together-demo"
DEMO_SLUG = "northwind"

# (email local part, first, last, time zone). Kolkata is the half-hour offset (+05:30).
PEOPLE = [
    ("ada", "Ada", "Okafor", "Africa/Lagos"),
    ("ben", "Ben", "Carter", "America/New_York"),
    ("chloe", "Chloe", "Martin", "Europe/London"),
    ("dev", "Dev", "Iyer", "Asia/Kolkata"),
    ("emma", "Emma", "Schulz", "Europe/Berlin"),
    ("felipe", "Felipe", "Souza", "America/Sao_Paulo"),
    ("grace", "Grace", "Lee", "Australia/Sydney"),
    ("hiro", "Hiro", "Tanaka", "Asia/Tokyo"),
    ("isla", "Isla", "Walker", "Pacific/Auckland"),
    ("jamal", "Jamal", "Reed", "America/Los_Angeles"),
    ("kavya", "Kavya", "Rao", "Asia/Kolkata"),
    ("liam", "Liam", "Byrne", "Europe/Dublin"),
    ("maya", "Maya", "Cohen", "America/Chicago"),
]
# The other two organizations: (slug, name, domain, program admin, people).
OTHER_ORGANIZATIONS = [
    (
        "contoso",
        "Contoso Pharmaceuticals",
        "contoso.example",
        ("Elena", "Ruiz", "Europe/Madrid"),
        [
            ("mateo", "Mateo", "Silva", "America/Sao_Paulo"),
            ("aroha", "Aroha", "Ngata", "Pacific/Auckland"),
        ],
    ),
    (
        "tailspin",
        "Tailspin Toys",
        "tailspin.example",
        ("Tomás", "Herrera", "America/Mexico_City"),
        [
            ("nadia", "Nadia", "Rahman", "Asia/Kolkata"),
            ("owen", "Owen", "Price", "Africa/Lagos"),
            ("sofia", "Sofia", "Costa", "America/Los_Angeles"),
        ],
    ),
]


@dataclass
class DemoLogin:
    email: str
    role: str
    time_zone: str


@dataclass
class Journey:
    """One journey of the product brief, with whom to sign in as and what to try."""

    number: str
    title: str
    steps: list[tuple[str, str]]  # (email, what to try)


@dataclass
class Demo:
    organization: Organization  # Northwind, the biggest of the three
    people: dict[str, User]  # every demo member of the three, by email local part
    one_to_one: Program
    group_program: Program
    organizations: dict[str, Organization] = field(default_factory=dict)  # by slug
    admins: dict[str, User] = field(default_factory=dict)  # program admin, by org slug
    programs: dict[str, Program] = field(default_factory=dict)  # 1:1 program, by org slug
    logins: list[DemoLogin] = field(default_factory=list)
    journeys: list[Journey] = field(default_factory=list)


# Callables taking the Demo, run after the base data is in (e.g. calendar integrations).
DEMO_EXTENSIONS: list = []


def _email(local: str, domain: str = f"{DEMO_SLUG}.example") -> str:
    return f"{local}@{domain}"


# The demo's people have each set their week to every day 07:00-21:00 on their own clock, so
# people from Auckland to São Paulo meet (the default is weekdays 09:00-17:00).
DEMO_WEEK = {day: [(dt.time(7), dt.time(21))] for day in range(7)}


def _person(org: Organization, domain: str, local: str, first: str, last: str, tz: str) -> User:
    user = services.user_create(
        email=_email(local, domain),
        organization=org,
        time_zone=tz,
        first_name=first,
        last_name=last,
        password=DEMO_PASSWORD,
    )
    availability.weekly_hours_set(user=user, week=DEMO_WEEK)
    return user


def _program(organization: Organization, name: str, today: dt.date, **kwargs) -> Program:
    return services.program_create(
        organization=organization,
        name=name,
        kind=kwargs.pop("kind", Program.Kind.ONE_TO_ONE),
        starts_on=today - dt.timedelta(days=kwargs.pop("started_days_ago", 45)),
        ends_on=today + dt.timedelta(days=kwargs.pop("ends_in_days", 140)),
        **kwargs,
    )


def load_demo() -> Demo:
    _purge()
    today = timezone.now().date()
    organization = services.organization_create(
        name="Northwind Traders", slug=DEMO_SLUG, domains=[f"{DEMO_SLUG}.example"]
    )
    domain = f"{DEMO_SLUG}.example"
    people = {
        local: _person(organization, domain, local, first, last, tz)
        for local, first, last, tz in PEOPLE
    }
    admin = _person(organization, domain, "programs", "Priya", "Admin", "America/Toronto")
    if not User.objects.filter(email="root@together.example").exists():
        User.objects.create_superuser("root@together.example", DEMO_PASSWORD, time_zone="UTC")

    one_to_one = _program(
        organization,
        "Leadership Mentoring",
        today,
        target_sessions=6,
        agenda_template="1. Wins since last time\n2. The challenge this week\n3. Next steps",
    )
    group_program = _program(
        organization,
        "Engineering Circles",
        today,
        kind=Program.Kind.GROUP,
        started_days_ago=20,
        ends_in_days=160,
        target_sessions=8,
        allowed_durations=[45, 60, 90],
        agenda_template="Round of updates, then one deep-dive topic.",
    )
    for program in (one_to_one, group_program):
        services.membership_add(program=program, user=admin, role="admin")

    pairs = [("ada", "ben"), ("dev", "chloe"), ("felipe", "emma"), ("hiro", "grace")]
    pairs.append(("jamal", "isla"))
    for mentee, mentor in pairs:
        services.match_create(program=one_to_one, mentee=people[mentee], mentor=people[mentor])
    services.group_create(
        program=group_program,
        name="Platform Circle",
        facilitator=people["emma"],
        # From Kolkata to Chicago: everyone's bookable hours meet from 13:00 to 15:30 UTC.
        members=[people[k] for k in ("ada", "dev", "chloe", "kavya", "liam", "maya")],
    )

    demo = Demo(organization, people, one_to_one, group_program)
    demo.organizations[DEMO_SLUG] = organization
    demo.admins[DEMO_SLUG] = admin
    demo.programs[DEMO_SLUG] = one_to_one
    other_pairs = {
        "contoso": [("mateo", "aroha")],
        "tailspin": [("nadia", "owen"), ("sofia", "owen")],
    }
    for slug, name, other_domain, (first, last, tz), members in OTHER_ORGANIZATIONS:
        org = services.organization_create(name=name, slug=slug, domains=[other_domain])
        demo.organizations[slug] = org
        for local, m_first, m_last, m_tz in members:
            people[local] = _person(org, other_domain, local, m_first, m_last, m_tz)
        demo.admins[slug] = _person(org, other_domain, "programs", first, last, tz)
        program = _program(
            org, "Mentoring", today, target_sessions=6, agenda_template="1. Goals\n2. Next steps"
        )
        services.membership_add(program=program, user=demo.admins[slug], role="admin")
        demo.programs[slug] = program
        for mentee, mentor in other_pairs[slug]:
            services.match_create(program=program, mentee=people[mentee], mentor=people[mentor])
        pairs += other_pairs[slug]

    # Each organization's "programs@" person is its admin and its IT (calendar integration);
    # the roles are shown and assignable on their page in Django admin (Users).
    for a in demo.admins.values():
        services.organization_roles_set(
            user=a, roles_held={OrganizationRole.ADMIN, OrganizationRole.IT}, granted_by=None
        )
    roles: dict[str, list[str]] = {"root@together.example": ["superuser (all orgs)"]}
    for a in demo.admins.values():
        roles[a.email] = [f"organization admin and IT, program admin, {a.organization.name}"]
    for mentee, mentor in pairs:
        roles.setdefault(people[mentee].email, []).append(f"mentee of {people[mentor].first_name}")
    for mentee, mentor in pairs:
        roles.setdefault(people[mentor].email, []).append(f"mentor of {people[mentee].first_name}")
    for k in ("kavya", "liam", "maya"):
        roles.setdefault(people[k].email, []).append("Platform Circle member")
    zones = {u.email: u.time_zone for u in User.objects.filter(email__in=roles)}
    demo.logins = [DemoLogin(email, ", ".join(r), zones[email]) for email, r in roles.items()]
    demo.journeys.append(
        Journey(
            "9",
            "Reports (Django admin)",
            [
                (
                    admin.email,
                    "Admin › Program reports › Leadership Mentoring: sessions, adoption, CSV",
                ),
                (demo.admins["contoso"].email, "the same, only Contoso's programs"),
            ],
        )
    )
    for extend in DEMO_EXTENSIONS:
        extend(demo)
    return demo


def matches_of(demo: Demo) -> dict[tuple[str, str], Match]:
    """The demo's matches by (mentee, mentor) email local parts."""
    rows = Match.objects.filter(program__in=demo.programs.values()).select_related(
        "mentee", "mentor", "program"
    )
    return {(m.mentee.email.split("@")[0], m.mentor.email.split("@")[0]): m for m in rows}


def _purge() -> None:
    # Users are PROTECTed from organization deletion; demo people go first.
    slugs = [DEMO_SLUG] + [slug for slug, *_ in OTHER_ORGANIZATIONS]
    for organization in Organization.objects.filter(slug__in=slugs):
        organization.programs.all().delete()
        User.objects.filter(organization=organization).delete()
        organization.delete()
