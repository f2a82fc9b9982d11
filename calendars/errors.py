"""Our own errors. Provider errors: each provider module maps its library's errors to these,
at the boundary, and nothing deeper ever sees a Google, Microsoft or CalDAV exception.
Refusals of what a person asked (a calendar choice, an integration step): the shared kinds of
programs.errors, so pages and the API word and map them the same way (together/errors.py)."""

from programs.errors import Invalid, Refused


class CalendarRefused(Refused):
    """A calendar or integration change the rules refuse: a read-only calendar as the place
    sessions go, a second integration for one organization, a consent from another tenant."""


class CalendarInputInvalid(Invalid):
    """Input for a calendar change that is not what was asked for: a key file that does not
    parse as a service-account key."""


class ProviderError(Exception):
    """Base of every calendar-provider failure."""


class TemporaryProviderError(ProviderError):
    """Worth retrying later: rate limits, 5xx, timeouts, network errors.

    `retry_after` carries the provider's Retry-After, in seconds, when it sent one.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ApplicationCredentialsError(TemporaryProviderError):
    """The provider refused Together's own application credentials (a wrong or expired client
    secret: OAuth ``invalid_client``, Microsoft AADSTS7000215). No person can fix that by
    reconnecting, so nobody's connection is marked: the site's operators are alerted once,
    and everything waits and retries (it is temporary from the people's point of view)."""


class NeedsReconnectError(ProviderError):
    """The grant no longer works (revoked, expired, scopes removed, delegation withdrawn):
    only the person (or their IT admin) can fix it by reconnecting."""


class PermanentProviderError(ProviderError):
    """Retrying will not help: bad request, calendar not found, no write access."""


class SyncTokenExpiredError(ProviderError):
    """The incremental-sync cursor is no longer valid (Google 410 Gone, Graph resync):
    drop it and run a full sync."""
