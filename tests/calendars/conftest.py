"""Calendar fixtures: a real Radicale CalDAV server, and the provider emulator when present."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import niquests
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Radicale:
    def __init__(self, url: str, users: dict[str, str]) -> None:
        self.url = url
        self.users = users

    def make_calendar(self, user: str, name: str) -> str:
        import caldav

        client = caldav.DAVClient(
            url=self.url,
            username=user,
            password=self.users[user],
            enable_rfc6764=False,
            require_tls=False,
        )
        cal = client.principal().make_calendar(name=name)
        return str(cal.url)

    def put_event(self, user: str, calendar_url: str, ical: str) -> None:
        import caldav

        client = caldav.DAVClient(
            url=self.url,
            username=user,
            password=self.users[user],
            enable_rfc6764=False,
            require_tls=False,
        )
        client.calendar(url=calendar_url).save_event(ical)


@pytest.fixture(scope="session")
def radicale(tmp_path_factory) -> Radicale:
    """A real Radicale server on a free port with htpasswd (plain) auth; fails loudly."""
    root: Path = tmp_path_factory.mktemp("radicale")
    users = {"alice@northwind.example": "app-password-1", "bob@northwind.example": "pw-2"}
    htpasswd = root / "users"
    htpasswd.write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--server-hosts",
            f"127.0.0.1:{port}",
            "--storage-filesystem-folder",
            str(root / "collections"),
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(htpasswd),
            "--auth-htpasswd-encryption",
            "plain",
            "--logging-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 15
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"Radicale exited: {proc.stdout.read().decode()[-2000:]}")
        try:
            niquests.get(url, timeout=1)
            break
        except Exception:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("Radicale did not start within 15 s") from None
            time.sleep(0.1)
    yield Radicale(url, users)
    proc.terminate()
    proc.wait(timeout=10)
