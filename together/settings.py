"""Together's one settings module, driven by the environment.

With nothing set it runs the embedded default: SQLite, Celery tasks run eagerly, email to
the console, DEBUG on. DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
TOGETHER_ENV=production turns on the deployment settings and demands real secrets.
"""

import base64
import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import available_timezones

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = env.str(name, default=default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _env_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = env.str(name, default="").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def _database_from_url(url: str) -> dict:
    """Parse DATABASE_URL, refusing anything that is not a PostgreSQL or SQLite URL."""
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        if not parts.hostname or not parts.path.strip("/"):
            raise ImproperlyConfigured(
                "DATABASE_URL must name a host and a database, "
                "e.g. postgres://user:password@127.0.0.1:5432/together"
            )
        try:
            parts.port  # noqa: B018  (raises ValueError on a malformed port)
        except ValueError:
            raise ImproperlyConfigured("DATABASE_URL has a malformed port") from None
    elif parts.scheme != "sqlite":
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// or sqlite://, not {url.split(':')[0]!r}"
        )
    config = environ.Env.db_url_config(url)
    config.setdefault("CONN_MAX_AGE", 60)
    config["CONN_HEALTH_CHECKS"] = True
    return config


# --- Mode -------------------------------------------------------------------------------

TOGETHER_ENV = _env_choice("TOGETHER_ENV", ("development", "production"), "development")
PRODUCTION = TOGETHER_ENV == "production"
DEBUG = _env_bool("DEBUG", default=not PRODUCTION)

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when TOGETHER_ENV=production")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-" + "x" * 20)

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Applications -----------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "programs",
    "calendars",
    "scheduling",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "programs.viewing_zone.ViewingZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "together.security.SecurityHeadersMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # Production serves collected static files itself (runserver does it in development).
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "together.urls"
WSGI_APPLICATION = "together.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "programs.viewing_zone.viewing_zone",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------

DATABASE_URL = env.str("DATABASE_URL", default="").strip()
if DATABASE_URL:
    DATABASES = {"default": _database_from_url(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(BASE_DIR / "together.sqlite3")),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "programs.User"

REDIS_URL = env.str("REDIS_URL", default="").strip()
if REDIS_URL and urlsplit(REDIS_URL).scheme not in {"redis", "rediss"}:
    raise ImproperlyConfigured("REDIS_URL must start with redis:// or rediss://")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "together.redis_cache.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="together"),
        }
    }
    # Sessions are read from Redis on every signed-in request, written through to the
    # database, so a Redis restart signs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # Without Redis each process has its own memory cache, which must not hold sessions:
    # a sign-out in one process would not reach the others.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -----------------------------------------------------------------------------

CELERY_RESULT_BACKEND = None
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # With acks_late, a task whose worker was SIGKILLed is redelivered once Redis's visibility
    # timeout passes (kombu's default: an hour). It must stay longer than the longest task
    # runs (else a healthy long task is delivered twice); invite writes bound their own calls
    # by CALENDAR_HTTP_TIMEOUT, and the invite sweep (INVITE_STUCK_AFTER_SECONDS) catches
    # anything the broker itself lost.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": _env_int(
            "CELERY_VISIBILITY_TIMEOUT_SECONDS", default=15 * 60, minimum=10
        ),
    }
else:
    # The embedded default needs no broker server: kombu's filesystem transport keeps the
    # queue in a project folder. The web process still runs its tasks eagerly (below); the
    # worker with beat that scripts/demo.sh starts on this folder does the periodic work
    # (reminders, calendar syncs), which an eager process alone never would.
    CELERY_BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(BASE_DIR / ".celery")))
    # The transport ignores the host; naming one keeps kombu from warning on every enqueue.
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # One folder both ways: the worker, its beat and anything it enqueues share a queue.
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_BROKER_DIR / "control"),
    }
    CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_BROKER_DIR / "celerybeat-schedule")
# Without Redis the web process runs tasks in-process, so bookings and syncs work with no
# worker running (runserver alone) and the person sees the outcome on the next page.
# The embedded worker sets CELERY_TASK_ALWAYS_EAGER=false so beat's entries reach it.
CELERY_TASK_ALWAYS_EAGER = _env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic work; each app adds its entries here (see calendars/ and scheduling/).
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}

# --- Auth -------------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    # First: django-axes refuses a locked-out account or address before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
if REDIS_URL:
    # The signed-in person's row is read from Redis, not the database, on every request;
    # any save of the user (deactivation, password change) replaces its version, so the next
    # request sees it (programs/user_cache.py). Never with a per-process cache.
    AUTHENTICATION_BACKENDS[1] = "programs.user_cache.CachedUserBackend"
# Sign-in throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one account,
# or from one address, sign-in there is refused (429, a page that says why) for
# LOGIN_LOCKOUT_MINUTES; the real person can reset their password, which lifts the lock
# (programs.views.PasswordResetConfirm). /accounts/login/ and /admin/login/ alike.
AXES_FAILURE_LIMIT = _env_int("LOGIN_FAILURE_LIMIT", default=5, minimum=1)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = dt.timedelta(minutes=_env_int("LOGIN_LOCKOUT_MINUTES", default=15, minimum=1))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "programs.views.sign_in_paused"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
# The address is the connecting peer's unless a known number of proxies stands in front
# (TRUSTED_PROXY_COUNT): a client-supplied X-Forwarded-For must not pick its own address.
_trusted_proxies = _env_int("TRUSTED_PROXY_COUNT", default=0)
if _trusted_proxies:
    AXES_IPWARE_PROXY_COUNT = _trusted_proxies
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Email ------------------------------------------------------------------------------

EMAIL_URL = env.str("EMAIL_URL", default="").strip()
if EMAIL_URL:
    vars().update(environ.Env.email_url_config(EMAIL_URL))
elif not PRODUCTION:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# (Production without EMAIL_URL is refused below, under Production hardening.)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Together <no-reply@together.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The site's operators: alerted (mail_admins) when a provider refuses Together's own
# application credentials, which no user can fix. Comma-separated addresses.
ADMINS = [("Together operators", a) for a in env.list("OPERATOR_EMAILS", default=[])]

# --- Internationalisation ---------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_USER_TIME_ZONE = env.str("DEFAULT_USER_TIME_ZONE", default="UTC")
if DEFAULT_USER_TIME_ZONE not in available_timezones():
    raise ImproperlyConfigured(f"DEFAULT_USER_TIME_ZONE {DEFAULT_USER_TIME_ZONE!r} is unknown")

# --- Static files -----------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- API --------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # One error body for every refusal (together/errors.py; documented as ErrorSerializer).
    "EXCEPTION_HANDLER": "together.errors.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "together.json_limits.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Together API",
    "DESCRIPTION": "Availability, booking and sessions for mentorship programs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from our own static files (drf-spectacular-sidecar), not a CDN:
    # /api/docs/ works offline and under a same-origin CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging ----------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes notes every sign-in at INFO; lockouts (WARNING) are what operators need.
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Product limits ---------------------------------------------------------------------

# How many calendar accounts one person may connect (journey 2).
CALENDAR_ACCOUNTS_PER_USER = _env_int("CALENDAR_ACCOUNTS_PER_USER", default=4, minimum=1)

# --- Calendar integrations -------------------------------------------------------------

# Fernet keys for tokens and service-account keys at rest; the first encrypts, all decrypt
# (so a new key can be put in front and old rows re-encrypted with `rotate_calendar_keys`).
_encryption_keys = env.list("TOGETHER_ENCRYPTION_KEYS", default=[])
if PRODUCTION and not _encryption_keys:
    raise ImproperlyConfigured("TOGETHER_ENCRYPTION_KEYS must be set when TOGETHER_ENV=production")
TOGETHER_ENCRYPTION_KEYS = [k.strip() for k in _encryption_keys if k.strip()]
for _key in TOGETHER_ENCRYPTION_KEYS:
    try:
        _valid_key = len(base64.urlsafe_b64decode(_key.encode())) == 32
    except ValueError:
        _valid_key = False
    if not _valid_key:
        raise ImproperlyConfigured(
            "TOGETHER_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64 bytes), comma-separated"
        )

# Provider endpoints: production defaults are the real providers; tests and the demo point
# them at the local emulator by configuration alone. CALENDAR_EMULATOR_URL (the emulator's
# TLS base, e.g. https://127.0.0.1:8766) changes every endpoint default at once.
_calendar_emulator = env.str("CALENDAR_EMULATOR_URL", default="").strip().rstrip("/")
if _calendar_emulator and PRODUCTION:
    raise ImproperlyConfigured("CALENDAR_EMULATOR_URL cannot be set when TOGETHER_ENV=production")
_em = _calendar_emulator
CALENDAR_EMULATOR_URL = _calendar_emulator
GOOGLE_OAUTH_CLIENT_ID = env.str("GOOGLE_OAUTH_CLIENT_ID", default="")
GOOGLE_OAUTH_CLIENT_SECRET = env.str("GOOGLE_OAUTH_CLIENT_SECRET", default="")
GOOGLE_OAUTH_AUTH_URI = env.str(
    "GOOGLE_OAUTH_AUTH_URI",
    default=f"{_em}/o/oauth2/v2/auth" if _em else "https://accounts.google.com/o/oauth2/v2/auth",
)
GOOGLE_OAUTH_TOKEN_URI = env.str(
    "GOOGLE_OAUTH_TOKEN_URI",
    default=f"{_em}/token" if _em else "https://oauth2.googleapis.com/token",
)
GOOGLE_REVOKE_URI = env.str(
    "GOOGLE_REVOKE_URI", default=f"{_em}/revoke" if _em else "https://oauth2.googleapis.com/revoke"
)
GOOGLE_CALENDAR_API_ENDPOINT = env.str(
    "GOOGLE_CALENDAR_API_ENDPOINT",
    default=f"{_em}/calendar/v3/" if _em else "https://www.googleapis.com/calendar/v3/",
)
MICROSOFT_CLIENT_ID = env.str("MICROSOFT_CLIENT_ID", default="")
MICROSOFT_CLIENT_SECRET = env.str("MICROSOFT_CLIENT_SECRET", default="")
MICROSOFT_AUTHORITY_HOST = env.str(
    "MICROSOFT_AUTHORITY_HOST", default=_em or "https://login.microsoftonline.com"
).rstrip("/")
MICROSOFT_GRAPH_URL = env.str(
    "MICROSOFT_GRAPH_URL", default=f"{_em}/v1.0" if _em else "https://graph.microsoft.com/v1.0"
).rstrip("/")
# Where people's browsers are sent to sign in, when that is not an endpoint above: the demo
# serves the emulator's sign-in pages on its plain HTTP port (emulator --browser-base-url).
# The Content-Security-Policy's form-action allows these origins (together/security.py).
CALENDAR_SIGN_IN_ORIGINS = env.list("CALENDAR_SIGN_IN_ORIGINS", default=[])
if CALENDAR_SIGN_IN_ORIGINS and PRODUCTION:
    raise ImproperlyConfigured("CALENDAR_SIGN_IN_ORIGINS is for the emulator, not production")
# A CA bundle for provider HTTPS (the emulator's test CA); empty means the system store.
CALENDAR_CA_BUNDLE = env.str("CALENDAR_CA_BUNDLE", default="")
CALENDAR_HTTP_TIMEOUT = _env_int("CALENDAR_HTTP_TIMEOUT", default=20, minimum=1)
CALENDAR_MAX_RETRIES = _env_int("CALENDAR_MAX_RETRIES", default=4, minimum=0)
# Busy times older than this are stale: a booking page asks for an on-demand sync.
CALENDAR_STALE_AFTER_SECONDS = _env_int("CALENDAR_STALE_AFTER_SECONDS", default=15 * 60)
# How far ahead busy times are read, and so how far ahead anyone can book (one setting: a
# time beyond what was read would look free). The window rolls forward every day.
CALENDAR_SYNC_DAYS_AHEAD = _env_int("CALENDAR_SYNC_DAYS_AHEAD", default=366, minimum=1)
CALENDAR_SYNC_DAYS_BEHIND = _env_int("CALENDAR_SYNC_DAYS_BEHIND", default=1, minimum=0)
# The public base URL Google and Microsoft Graph push calendar changes to (HTTPS; Together's
# /calendar/push/google/, /calendar/push/microsoft/ and its lifecycle/ address). Empty: no
# push channels or subscriptions, busy times are only polled.
CALENDAR_PUSH_URL = env.str("CALENDAR_PUSH_URL", default="")
CELERY_BEAT_SCHEDULE["calendars-sync-all"] = {
    "task": "calendars.tasks.sync_all",
    # Polling is the backstop pushes need ("not 100% reliable"): hourly when they are on.
    "schedule": _env_int(
        "CALENDAR_SYNC_INTERVAL_SECONDS",
        default=60 * 60 if CALENDAR_PUSH_URL else 10 * 60,
        minimum=5,
    ),
}
# An invite nothing has touched for this long, and that waits for nobody, is queued again by
# the sweep: its message was lost (broker crash, killed worker). Longer than the longest
# Celery backoff (scheduling.tasks: 300 s) so an invite waiting for its retry is left alone.
INVITE_STUCK_AFTER_SECONDS = _env_int("INVITE_STUCK_AFTER_SECONDS", default=10 * 60, minimum=1)
CELERY_BEAT_SCHEDULE["scheduling-invites-sweep"] = {
    "task": "scheduling.tasks.invites_sweep",
    "schedule": _env_int("INVITE_SWEEP_INTERVAL_SECONDS", default=2 * 60, minimum=1),
}
# Reminder emails for sessions starting within the next day; each person once per start time,
# so running it more often than needed (or twice) sends nothing twice.
CELERY_BEAT_SCHEDULE["scheduling-reminders"] = {
    "task": "scheduling.tasks.reminders_send",
    "schedule": _env_int("REMINDERS_INTERVAL_SECONDS", default=15 * 60, minimum=5),
}

# --- Production hardening ---------------------------------------------------------------

if PRODUCTION and not EMAIL_URL:
    # Password-reset links and .ics invites would go to the logs instead of to people.
    raise ImproperlyConfigured(
        "EMAIL_URL must be set when TOGETHER_ENV=production, e.g. smtp+tls://user:password@host:587"
    )

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", default=True)
    # The container's own health check asks over plain HTTP from inside (no proxy in front).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
