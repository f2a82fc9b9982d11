"""How many requests a second the provider emulator serves on loopback.

    .venv/bin/python bench/bench_emulator.py [--seconds 5] [--connections 32]

Starts an emulator in a child process (so the load generator's CPU is not the server's),
then drives it with a minimal keep-alive HTTP/1.1 client on asyncio: a trivial control
GET, a Calendar freeBusy query for 50 calendars and a Graph getSchedule for 20
schedules. Each run is bounded in time and only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests

from emulator.testing import emulator_subprocess

CAL = "https://www.googleapis.com/auth/calendar"


def world(members: int) -> dict:
    google = [
        {
            "email": f"g{n}@bench.example",
            "events": [
                {"summary": "Busy", "start": f"+{d}d 10:00", "duration": "1h"} for d in range(1, 15)
            ],
        }
        for n in range(members)
    ]
    microsoft = [
        {
            "email": f"m{n}@benchms.example",
            "events": [
                {"summary": "Busy", "start": f"+{d}d 10:00", "duration": "1h"} for d in range(1, 15)
            ],
        }
        for n in range(members)
    ]
    return {
        "clients": [
            {"provider": "google", "client_id": "bench", "client_secret": "s"},
            {"provider": "microsoft", "client_id": "bench-ms", "client_secret": "s"},
        ],
        "service_accounts": [{"client_email": "bench@sa.example", "client_id": "42"}],
        "organizations": [
            {
                "name": "Bench",
                "provider": "google",
                "domains": ["bench.example"],
                "delegations": [{"client_id": "42", "scopes": [CAL]}],
            },
            {
                "name": "BenchMS",
                "provider": "microsoft",
                "domains": ["benchms.example"],
                "admin_consents": [{"client_id": "bench-ms", "roles": ["Calendars.Read"]}],
            },
        ],
        "accounts": google + microsoft,
    }


async def hammer(
    host: str, port: int, raw: bytes, seconds: float, connections: int, tls: ssl.SSLContext | None
) -> tuple[int, list[float]]:
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port, ssl=tls)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                errors += 1
            latencies.append(time.perf_counter() - started)
        writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return errors, latencies


def request_bytes(
    method: str, path: str, host: str, token: str | None = None, body: dict | None = None
) -> bytes:
    payload = json.dumps(body).encode() if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def report(name: str, seconds: float, errors: int, latencies: list[float]) -> dict:
    latencies.sort()
    result = {
        "name": name,
        "requests_per_second": round(len(latencies) / seconds),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
        "errors": errors,
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    fixture = Path("/tmp/bench-emulator-fixture.json")
    fixture.write_text(json.dumps(world(50)))
    with emulator_subprocess(fixture) as emu:
        host = f"127.0.0.1:{emu.base_url.rsplit(':', 1)[1]}"
        port = int(emu.base_url.rsplit(":", 1)[1])
        key = emu.control.service_account_info("bench@sa.example")
        from google.auth.transport.requests import Request
        from google.oauth2 import service_account

        creds = service_account.Credentials.from_service_account_info(
            key, scopes=[CAL]
        ).with_subject("g0@bench.example")
        creds.refresh(Request())
        ms_token = requests.post(
            f"{emu.base_url}/benchms.example/oauth2/v2.0/token",
            timeout=10,
            data={
                "grant_type": "client_credentials",
                "client_id": "bench-ms",
                "client_secret": "s",
                "scope": "https://graph.microsoft.com/.default",
            },
        ).json()["access_token"]

        runs = [
            ("trivial GET /_emulator/health", request_bytes("GET", "/_emulator/health", host)),
            (
                "freeBusy, 50 calendars x 14 days",
                request_bytes(
                    "POST",
                    "/calendar/v3/freeBusy",
                    host,
                    creds.token,
                    {"timeMin": "2020-01-01T00:00:00Z", "timeMax": "2099-01-01T00:00:00Z"}
                    | {"items": [{"id": f"g{n}@bench.example"} for n in range(50)]},
                ),
            ),
            (
                "getSchedule, 20 schedules",
                request_bytes(
                    "POST",
                    "/v1.0/users/m0@benchms.example/calendar/getSchedule",
                    host,
                    ms_token,
                    {
                        "schedules": [f"m{n}@benchms.example" for n in range(20)],
                        "startTime": {"dateTime": "2030-01-01T00:00:00", "timeZone": "UTC"},
                        "endTime": {"dateTime": "2030-01-15T00:00:00", "timeZone": "UTC"},
                        "availabilityViewInterval": 60,
                    },
                ),
            ),
        ]
        for name, raw in runs:
            errors, latencies = asyncio.run(
                hammer("127.0.0.1", port, raw, args.seconds, args.connections, None)
            )
            report(name, args.seconds, errors, latencies)
        tls = ssl.create_default_context(cafile=emu.ca_path)
        errors, latencies = asyncio.run(
            hammer(
                "127.0.0.1",
                int(emu.tls_base_url.rsplit(":", 1)[1]),
                request_bytes("GET", "/_emulator/health", host),
                args.seconds,
                args.connections,
                tls,
            )
        )
        report("trivial GET over TLS", args.seconds, errors, latencies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
