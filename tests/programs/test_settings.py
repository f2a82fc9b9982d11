"""Start-up configuration: bad settings stop with one clear line; production passes --deploy."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3J!x9#Qv2@Lm8$Tz4%Wb7^Hn1&Rc6*Yp0(Ue5)Sd-Gf_Ai+Oj=Xl<Mq>Nr?Ks"


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Start from a bare environment so nothing another test or the shell set leaks in.
    clean = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_stops_with_one_line_on_a_malformed_database_url():
    result = _manage("check", DATABASE_URL="postgres//oops")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Together cannot start: DATABASE_URL must start with postgres:// or sqlite://, not 'postgres//oops'"
    ]


def test_it_stops_with_one_line_on_a_database_url_without_a_database():
    result = _manage("check", DATABASE_URL="postgres://user@db.example:5432/")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "DATABASE_URL must name a host and a database" in result.stderr


def test_it_stops_with_one_line_when_production_has_no_secret_key():
    result = _manage("check", TOGETHER_ENV="production")
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "Together cannot start: SECRET_KEY must be set when TOGETHER_ENV=production"
    )


def test_it_refuses_an_unknown_mode():
    result = _manage("check", TOGETHER_ENV="staging")
    assert result.returncode == 2
    assert "TOGETHER_ENV must be one of development, production" in result.stderr


def test_production_mode_passes_check_deploy_with_no_warnings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        TOGETHER_ENV="production",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="together.example",
        TOGETHER_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        EMAIL_URL="smtp+tls://together:secret@mail.example:587",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def _production(**env: str) -> dict[str, str]:
    return {
        "TOGETHER_ENV": "production",
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "together.example,testserver",
        "TOGETHER_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "EMAIL_URL": "smtp+tls://together:secret@mail.example:587",
        **env,
    }


def test_production_refuses_to_start_without_an_email_server():
    env = _production()
    del env["EMAIL_URL"]
    result = _manage("check", **env)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(
        "Together cannot start: EMAIL_URL must be set when TOGETHER_ENV=production"
    )


def test_production_redirects_plain_http_except_the_health_check(tmp_path):
    # What docker-compose's health check does: plain HTTP to /healthz from inside.
    script = (
        "from django.test import Client; c = Client();"
        "print(c.get('/healthz').status_code, c.get('/accounts/login/').status_code)"
    )
    result = _manage("shell", "-c", script, **_production(SQLITE_PATH=str(tmp_path / "db.sqlite3")))
    assert result.returncode == 0, result.stderr
    health, login = result.stdout.split()[-2:]
    assert login == "301"
    assert health != "301"


def test_the_embedded_default_runs_eager_celery_on_sqlite_with_console_email():
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','together.settings'); "
        "django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND, s.DEBUG)"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "TOGETHER_ENV"}
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.mail.backends.console.EmailBackend",
        "True",
    ]


def test_database_and_redis_urls_switch_to_postgresql_and_redis():
    code = (
        "import django, os; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.CELERY_BROKER_URL, "
        "s.CACHES['default']['BACKEND'], s.CELERY_TASK_ALWAYS_EAGER, s.SESSION_ENGINE)"
    )
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="together.settings",
        DATABASE_URL="postgres://u:p@db:5432/together",
        REDIS_URL="redis://cache:6379/0",
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == [
        "django.db.backends.postgresql",
        "together",
        "redis://cache:6379/0",
        "together.redis_cache.SharedClientRedisCache",
        "False",
        "django.contrib.sessions.backends.cached_db",
    ]
