"""Organizations, people, programs, matches, groups and sessions.

Invariants that both PostgreSQL and SQLite can hold live in the database: check and unique
constraints here, and the same-organization rules as triggers (see migrations/0002).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from programs import zones

# Every session length the platform supports; a program allows a subset of these.
SUPPORTED_DURATIONS = (15, 20, 30, 45, 60, 75, 90, 120)
DEFAULT_DURATIONS = [30, 45, 60]


def validate_time_zone(value: str) -> None:
    # One rule for what a zone is (programs.zones): "localtime" and "Factory" are not.
    if not zones.is_known_zone(value):
        raise ValidationError(f"{value!r} is not a known IANA time zone, e.g. Europe/London")


def validate_durations(value: object) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one session duration.")
    unsupported = [d for d in value if d not in SUPPORTED_DURATIONS]
    if unsupported:
        allowed = ", ".join(str(d) for d in SUPPORTED_DURATIONS)
        raise ValidationError(f"Unsupported duration(s) {unsupported}; choose from {allowed}.")
    if len(set(value)) != len(value):
        raise ValidationError("Each duration may be listed once.")


def validate_domain(value: str) -> None:
    if not value or value != value.lower() or "." not in value or "@" in value or " " in value:
        raise ValidationError(f"{value!r} is not a lower-case email domain such as example.com")


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganizationDomain(models.Model):
    """An email domain the organization owns; domain-wide integration covers its members."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True, validators=[validate_domain])

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(
                condition=Q(domain=models.functions.Lower("domain")), name="domain_lower_case"
            )
        ]

    def __str__(self) -> str:
        return self.domain


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> User:
        if not email:
            raise ValueError("A user needs an email address")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create(email, password, **fields)


class User(AbstractUser):
    """A person: signs in with their email, belongs to one organization, lives in one zone."""

    username = None
    email = models.EmailField("email address", unique=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    @property
    def email_domain(self) -> str:
        return self.email.rsplit("@", 1)[-1].lower()


class Program(models.Model):
    class Kind(models.TextChoices):
        ONE_TO_ONE = "one_to_one", "One-to-one"
        GROUP = "group", "Group"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="programs"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ONE_TO_ONE)
    allowed_durations = models.JSONField(
        default=list,
        validators=[validate_durations],
        help_text="Session lengths in minutes members may book, e.g. [30, 45, 60].",
    )
    target_sessions = models.PositiveSmallIntegerField(
        default=6, help_text="How many sessions each match or group should hold."
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    agenda_template = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organization__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="program_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(target_sessions__gte=1), name="program_target_positive"
            ),
            models.UniqueConstraint(
                fields=["organization", "name"], name="program_name_unique_in_org"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        MENTEE = "mentee", "Mentee"
        MENTOR = "mentor", "Mentor"
        ADMIN = "admin", "Program admin"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["program", "role", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "user", "role"], name="membership_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} in {self.program}"


class Match(models.Model):
    """One mentee and one mentor paired in a one-to-one program."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="matches")
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="matches_as_mentee"
    )
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="matches_as_mentor"
    )
    matched_at = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-matched_at"]
        verbose_name_plural = "matches"
        constraints = [
            models.UniqueConstraint(
                fields=["program", "mentee", "mentor"], name="match_unique_pair_in_program"
            ),
            models.CheckConstraint(condition=~Q(mentee=F("mentor")), name="match_two_people"),
        ]

    def __str__(self) -> str:
        return f"{self.mentee} & {self.mentor}"

    def participants(self) -> list:
        return [self.mentee, self.mentor]

    def partner_of(self, user):
        return self.mentor if user.pk == self.mentee_id else self.mentee


class Group(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=200)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="facilitated_groups"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="GroupMember", related_name="mentorship_groups"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["program", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "name"], name="group_name_unique_in_program"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="group_members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships"
    )
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["group", "user"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="group_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


class SessionSeries(models.Model):
    """Sessions booked at once with a repeat rule; each occurrence is its own Session."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        BIWEEKLY = "biweekly", "Every two weeks"
        MONTHLY = "monthly", "Monthly"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="series")
    frequency = models.CharField(max_length=16, choices=Frequency.choices)
    occurrences = models.PositiveSmallIntegerField()
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "session series"
        constraints = [
            models.CheckConstraint(condition=Q(occurrences__gte=1), name="series_has_occurrences"),
        ]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} × {self.occurrences}"


class Session(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    class Origin(models.TextChoices):
        PLATFORM = "platform", "Booked through Together"
        OUTSIDE = "outside", "Held outside, marked done"

    class Conferencing(models.TextChoices):
        VIDEO = "video", "Video link from the booker's calendar"
        CUSTOM_LINK = "custom_link", "Custom link"
        LOCATION = "location", "Physical location"
        NONE = "none", "None"

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="sessions")
    match = models.ForeignKey(
        Match, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions"
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions"
    )
    series = models.ForeignKey(
        SessionSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="SessionParticipant", related_name="mentorship_sessions"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    conferencing = models.CharField(
        max_length=16, choices=Conferencing.choices, default=Conferencing.NONE
    )
    conference_url = models.URLField(blank=True, max_length=500)
    location = models.CharField(blank=True, max_length=300)
    agenda = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.PLATFORM)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["program", "start"]),
            models.Index(fields=["match", "status"]),
            models.Index(fields=["group", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__in=SUPPORTED_DURATIONS),
                name="session_duration_supported",
            ),
            models.CheckConstraint(
                condition=(
                    Q(match__isnull=False, group__isnull=True)
                    | Q(match__isnull=True, group__isnull=False)
                ),
                name="session_for_match_or_group",
            ),
            models.CheckConstraint(
                condition=~Q(conferencing="location") | ~Q(location=""),
                name="session_location_given",
            ),
            models.CheckConstraint(
                condition=~Q(conferencing="custom_link") | ~Q(conference_url=""),
                name="session_link_given",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.start:%Y-%m-%d %H:%M} UTC ({self.get_status_display()})"

    @property
    def is_upcoming(self) -> bool:
        return self.status == self.Status.SCHEDULED and self.end > timezone.now()


class SessionParticipant(models.Model):
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="session_participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_participations"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="session_participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.session}"


# --- My availability: when a person can be booked, on their own wall clock ---------------


class WeeklyHours(models.Model):
    """One bookable window of a weekday, in the person's own zone (several a day allowed).

    A person with no rows and no :class:`AvailabilitySettings` has the product's default
    hours (scheduling.policy decides which); once they save their week, exactly these rows.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_hours"
    )
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday ... 6 = Sunday")
    starts_at = models.TimeField()
    ends_at = models.TimeField()

    class Meta:
        ordering = ["user", "weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="weekly_hours_weekday"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="weekly_hours_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%H:%M}-{self.ends_at:%H:%M} on weekday {self.weekday}"


class AvailabilitySettings(models.Model):
    """That a person has set their own week (an empty week is a choice too)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Availability of {self.user}"


class DateOverride(models.Model):
    """A date's own hours instead of its weekday's: one row per window, or one row without
    times for "unavailable all day"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="date_overrides"
    )
    date = models.DateField()
    starts_at = models.TimeField(null=True, blank=True)
    ends_at = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "date", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(starts_at__isnull=True) & Q(ends_at__isnull=True))
                | Q(ends_at__gt=F("starts_at")),
                name="date_override_window",
            ),
        ]

    def __str__(self) -> str:
        if self.unavailable:
            return f"{self.date}: unavailable"
        return f"{self.date}: {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"

    @property
    def unavailable(self) -> bool:
        return self.starts_at is None


class TimeOff(models.Model):
    """Days away, ``first_day`` to ``last_day`` inclusive, in the person's zone. The note is
    for its owner only: partners read "away"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_off"
    )
    first_day = models.DateField()
    last_day = models.DateField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["user", "first_day"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")), name="time_off_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"Away {self.first_day} to {self.last_day}"


class BookingRules(models.Model):
    """Booking rules of one program, or an organization's defaults for its programs.

    A program without its own rules follows its organization's; an organization without
    any, the product's (no notice, a year ahead, no buffers, no limits). scheduling.policy
    reads them; admin writes them through programs.services.booking_rules_set.
    """

    organization = models.OneToOneField(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="booking_rules",
    )
    program = models.OneToOneField(
        Program, on_delete=models.CASCADE, null=True, blank=True, related_name="booking_rules"
    )
    min_notice_minutes = models.PositiveIntegerField(
        default=0, help_text="How long before a session it can still be booked, in minutes."
    )
    booking_window_days = models.PositiveSmallIntegerField(
        default=366, help_text="How many days ahead people can book."
    )
    buffer_before_minutes = models.PositiveSmallIntegerField(
        default=0, help_text="Time kept clear before each session, in minutes."
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(
        default=0, help_text="Time kept clear after each session, in minutes."
    )
    max_sessions_per_day = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The most sessions one person may have in a day (their own day, all their "
        "programs); empty for no limit.",
    )
    max_sessions_per_week = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The most sessions one person may have in a week (Monday to Sunday, all "
        "their programs); empty for no limit.",
    )

    class Meta:
        verbose_name_plural = "booking rules"
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=True, program__isnull=False)
                | Q(organization__isnull=False, program__isnull=True),
                name="booking_rules_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(booking_window_days__gte=1), name="booking_rules_window_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_sessions_per_day__isnull=True) | Q(max_sessions_per_day__gte=1),
                name="booking_rules_day_limit_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_sessions_per_week__isnull=True) | Q(max_sessions_per_week__gte=1),
                name="booking_rules_week_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Booking rules of {self.program or self.organization}"


class MailboxHours(models.Model):
    """The working hours a person's mailbox already has (Microsoft 365: one start and end for
    a set of days, in a zone of their own), the default of someone who has not set their own
    week. Written by the calendars app when it reads them; never shown to partners as such."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailbox_hours"
    )
    weekdays = models.JSONField(help_text="0 = Monday ... 6 = Sunday")
    starts_at = models.TimeField()
    ends_at = models.TimeField()
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="mailbox_hours_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"Mailbox hours of {self.user}"


class OptionalMember(models.Model):
    """A group member the facilitator marked optional: the heat map's "all required free"
    and a booking's hours check leave them out. Everyone not listed is required."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="optional_members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="optional_in_groups"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="optional_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} optional in {self.group}"
