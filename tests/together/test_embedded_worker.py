"""The embedded default does its periodic work: a real Celery worker with beat on kombu's
filesystem broker (no Redis) sends reminders and runs the periodic calendar sync."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.calendars.conftest import emulator_server  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
DEMO_FIXTURE = ROOT / "emulator" / "fixtures" / "together-demo.json"
DEMO_SERVICE_ACCOUNT = "together-sync@together-demo.iam.gserviceaccount.com"


def _embedded_env(tmp_path: Path, emulator) -> dict[str, str]:
    """The embedded default (no DATABASE_URL, no REDIS_URL) on files under tmp_path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "EMAIL_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="together.settings",
        SQLITE_PATH=str(tmp_path / "together.sqlite3"),
        CELERY_BROKER_DIR=str(tmp_path / "celery"),
        # Four slashes: django-environ keeps the leading one of an absolute path.
        EMAIL_URL=f"filemail:///{tmp_path / 'mail'}",
        CALENDAR_EMULATOR_URL=emulator.base,
        CALENDAR_CA_BUNDLE=emulator.ca,
    )
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _query(db: Path, sql: str):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_the_embedded_worker_sends_reminders_and_syncs_calendars_on_its_own(
    emulator_server,  # noqa: F811
    tmp_path,
):
    emulator_server.reset(json.loads(DEMO_FIXTURE.read_text()))
    env = _embedded_env(tmp_path, emulator_server)
    key = tmp_path / "key.json"
    key.write_text(emulator_server.key_file(DEMO_SERVICE_ACCOUNT))
    _manage(env, "migrate", "--no-input", "-v0")
    _manage(
        env, "shell", "-c", f"from tests.together.embedded_world import seed; seed({str(key)!r})"
    )
    db = tmp_path / "together.sqlite3"
    assert _query(db, "select count(*) from scheduling_remindersent") == [(0,)]
    synced_before = _query(db, "select last_synced_at from calendars_organizationintegration")[0][0]

    log = tmp_path / "worker.log"
    worker_env = dict(
        env,
        # What scripts/demo.sh sets for its worker: beat's entries go through the broker.
        CELERY_TASK_ALWAYS_EAGER="false",
        REMINDERS_INTERVAL_SECONDS="5",
        CALENDAR_SYNC_INTERVAL_SECONDS="5",
    )
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "together",
            "worker",
            "-B",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=worker_env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its pool and beat children stop with it
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if worker.poll() is not None:
                pytest.fail(f"the Celery worker exited ({worker.returncode}):\n{log.read_text()}")
            reminded = _query(db, "select count(*) from scheduling_remindersent")[0][0]
            synced = _query(db, "select last_synced_at from calendars_organizationintegration")
            if reminded == 2 and synced[0][0] != synced_before:
                break
            if time.monotonic() > deadline:
                pytest.fail(
                    f"no reminders ({reminded}) or no sync ({synced}) within 90 s:\n"
                    + log.read_text()[-4000:]
                )
            time.sleep(0.5)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)

    # The reminder emails themselves, one per participant, written by the worker.
    mail = "".join(p.read_text() for p in (tmp_path / "mail").iterdir())
    assert "To: ada@northwind.example" in mail and "To: ben@northwind.example" in mail
    assert "reminder" in mail.lower()
    text = log.read_text()
    assert "calendars.tasks.sync_organization" in text and "succeeded" in text
    # Every member's busy times came in through the periodic sync.
    assert _query(db, "select count(*) from calendars_membersync where ok")[0][0] >= 2
