"""The demo organization: people on several continents, a 1:1 program and a group program.

Used by `manage.py demo`; other apps extend the demo through DEMO_EXTENSIONS (calendar
integrations, busy times, booked sessions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from programs import services
from programs.models import Organization, Program, Session, SessionParticipant, User

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


@dataclass
class DemoLogin:
    email: str
    role: str
    time_zone: str


@dataclass
class Demo:
    organization: Organization
    people: dict[str, User]
    one_to_one: Program
    group_program: Program
    logins: list[DemoLogin] = field(default_factory=list)


# Callables taking the Demo, run after the base data is in (e.g. calendar integrations).
DEMO_EXTENSIONS: list = []


def _email(local: str) -> str:
    return f"{local}@{DEMO_SLUG}.example"


def load_demo() -> Demo:
    if Organization.objects.filter(slug=DEMO_SLUG).exists():
        _purge()
    organization = services.organization_create(
        name="Northwind Traders", slug=DEMO_SLUG, domains=[f"{DEMO_SLUG}.example"]
    )
    people = {
        local: services.user_create(
            email=_email(local),
            organization=organization,
            time_zone=tz,
            first_name=first,
            last_name=last,
            password=DEMO_PASSWORD,
        )
        for local, first, last, tz in PEOPLE
    }
    admin = services.user_create(
        email=_email("programs"),
        organization=organization,
        time_zone="America/Toronto",
        first_name="Priya",
        last_name="Admin",
        password=DEMO_PASSWORD,
    )
    if not User.objects.filter(email="root@together.example").exists():
        User.objects.create_superuser("root@together.example", DEMO_PASSWORD, time_zone="UTC")

    today = timezone.now().date()
    one_to_one = services.program_create(
        organization=organization,
        name="Leadership Mentoring",
        kind=Program.Kind.ONE_TO_ONE,
        starts_on=today - dt.timedelta(days=45),
        ends_on=today + dt.timedelta(days=140),
        target_sessions=6,
        agenda_template="1. Wins since last time\n2. The challenge this week\n3. Next steps",
    )
    group_program = services.program_create(
        organization=organization,
        name="Engineering Circles",
        kind=Program.Kind.GROUP,
        starts_on=today - dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=160),
        target_sessions=8,
        allowed_durations=[45, 60, 90],
        agenda_template="Round of updates, then one deep-dive topic.",
    )
    for program in (one_to_one, group_program):
        services.membership_add(program=program, user=admin, role="admin")

    pairs = [
        ("ada", "ben"),
        ("dev", "chloe"),
        ("felipe", "emma"),
        ("hiro", "grace"),
        ("jamal", "isla"),
    ]
    matches = [
        services.match_create(program=one_to_one, mentee=people[mentee], mentor=people[mentor])
        for mentee, mentor in pairs
    ]
    group = services.group_create(
        program=group_program,
        name="Platform Circle",
        facilitator=people["emma"],
        # From Kolkata to Chicago: everyone's bookable hours meet from 13:00 to 15:30 UTC.
        members=[people[k] for k in ("ada", "dev", "chloe", "kavya", "liam", "maya")],
    )

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    _session(
        matches[0],
        start=now - dt.timedelta(days=21, hours=3),
        minutes=45,
        status=Session.Status.COMPLETED,
    )
    _session(
        matches[0],
        start=now - dt.timedelta(days=7, hours=2),
        minutes=30,
        status=Session.Status.COMPLETED,
        origin=Session.Origin.OUTSIDE,
    )
    _session(matches[0], start=now + dt.timedelta(days=3, hours=1), minutes=45)
    _session(
        matches[1], start=now - dt.timedelta(days=10), minutes=60, status=Session.Status.CANCELLED
    )
    _session(matches[1], start=now + dt.timedelta(days=5), minutes=60)
    _session(group, start=now - dt.timedelta(days=6), minutes=60, status=Session.Status.COMPLETED)
    _session(group, start=now + dt.timedelta(days=8), minutes=90)

    demo = Demo(organization, people, one_to_one, group_program)
    demo.logins = (
        [
            DemoLogin("root@together.example", "superuser (all orgs)", "UTC"),
            DemoLogin(admin.email, "program admin", admin.time_zone),
        ]
        + [
            DemoLogin(
                people[mentee].email,
                f"mentee of {people[mentor].first_name}",
                people[mentee].time_zone,
            )
            for mentee, mentor in pairs
        ]
        + [
            DemoLogin(
                people[mentor].email,
                f"mentor of {people[mentee].first_name}",
                people[mentor].time_zone,
            )
            for mentee, mentor in pairs
        ]
        + [
            DemoLogin(people[k].email, "group member", people[k].time_zone)
            for k in ("kavya", "liam", "maya")
        ]
    )
    for extend in DEMO_EXTENSIONS:
        extend(demo)
    return demo


def _purge() -> None:
    # Users are PROTECTed from organization deletion; demo people go first.
    organization = Organization.objects.get(slug=DEMO_SLUG)
    organization.programs.all().delete()
    User.objects.filter(organization=organization).delete()
    organization.delete()


def _session(
    target,
    *,
    start: dt.datetime,
    minutes: int,
    status: str = Session.Status.SCHEDULED,
    origin: str = Session.Origin.PLATFORM,
) -> Session:
    is_match = hasattr(target, "mentee")
    end = start + dt.timedelta(minutes=minutes)
    session = Session.objects.create(
        program=target.program,
        match=target if is_match else None,
        group=None if is_match else target,
        start=start,
        end=end,
        duration_minutes=minutes,
        conferencing=Session.Conferencing.VIDEO
        if origin == Session.Origin.PLATFORM
        else Session.Conferencing.NONE,
        agenda=target.program.agenda_template,
        status=status,
        origin=origin,
        booked_by=target.mentee if is_match else target.facilitator,
        completed_at=end if status == Session.Status.COMPLETED else None,
        cancelled_at=start - dt.timedelta(days=1) if status == Session.Status.CANCELLED else None,
    )
    people = target.participants() if is_match else list(target.members.all())
    SessionParticipant.objects.bulk_create(
        [SessionParticipant(session=session, user=p) for p in people]
    )
    return session
