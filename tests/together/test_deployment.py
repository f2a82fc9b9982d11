"""The pieces docker-compose runs, exercised here without Docker: gunicorn, a Celery worker
on Redis, and the compose file's shape."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_compose_runs_web_worker_beat_postgres_and_redis_with_health_checks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "beat", "db", "redis"}
    for name, service in services.items():
        assert "healthcheck" in service, name
    assert "gunicorn together.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A together worker")
    assert services["beat"]["command"].startswith("celery -A together beat")


def test_gunicorn_serves_the_app_and_its_health_check(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["SQLITE_PATH"] = str(tmp_path / "db.sqlite3")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "together.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = None
        for _ in range(60):
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        assert body == b'{"status": "ok", "cache": true}'
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_gunicorn_stops_with_one_clear_line_on_a_bad_database_url():
    env = dict(os.environ, DATABASE_URL="mysql://nope")
    result = subprocess.run(
        [
            str(BIN / "gunicorn"),
            "together.wsgi:application",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert (
        "Together cannot start: DATABASE_URL must start with postgres:// or sqlite://, not 'mysql'"
        in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_real_celery_worker_starts_on_redis_and_answers():
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/14"
    import redis

    try:
        redis.Redis.from_url(redis_url).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"Redis is not answering at {redis_url}: start it (see .ci/run)")
    env = dict(os.environ, REDIS_URL=redis_url, CELERY_TASK_ALWAYS_EAGER="false")
    env.pop("DATABASE_URL", None)
    worker = subprocess.Popen(
        [str(BIN / "celery"), "-A", "together", "worker", "--pool=solo", "--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        code = "from together.celery import app; print('pong' if app.control.ping(timeout=2.0) else 'none')"
        answer = "none"
        for _ in range(30):
            answer = subprocess.run(
                [sys.executable, "-c", code],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout.strip()
            if answer == "pong":
                break
            time.sleep(1)
        assert answer == "pong"
    finally:
        worker.terminate()
        worker.wait(timeout=20)
