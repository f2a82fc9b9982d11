"""``python -m emulator``: start the provider emulator and print where it listens."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from emulator.app import Emulator
from emulator.server import EmulatorServer, default_state_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="Local Google and Microsoft calendar provider emulator for Together.",
    )
    parser.add_argument("--fixture", type=Path, help="fixture JSON to load (and reload on reset)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="plain HTTP port (0: any free)")
    parser.add_argument("--tls-port", type=int, default=8766, help="TLS port (0: any free)")
    parser.add_argument("--no-tls", action="store_true", help="serve the HTTP port only")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=default_state_dir(),
        help="where the CA and certificate are kept across restarts",
    )
    parser.add_argument(
        "--calendar-root",
        default="/calendar/v3",
        help="path the Google Calendar API is served under",
    )
    parser.add_argument(
        "--browser-base-url",
        help="where browsers reach the sign-in pages (e.g. the plain HTTP port), if not "
        "where the client called; used for Microsoft's authorization endpoint",
    )
    parser.add_argument("--json", action="store_true", help="print the URLs as one JSON line")
    args = parser.parse_args(argv)

    fixture = json.loads(args.fixture.read_text()) if args.fixture else None
    emulator = Emulator(
        calendar_root=args.calendar_root,
        state_dir=args.state_dir,
        fixture=fixture,
        browser_base_url=args.browser_base_url,
    )
    server = EmulatorServer(
        emulator,
        host=args.host,
        port=args.port,
        tls_port=None if args.no_tls else args.tls_port,
        state_dir=args.state_dir,
    ).start()
    urls = {
        "base_url": server.base_url,
        "tls_base_url": server.tls_base_url,
        "google_api_endpoint": f"{server.base_url}{emulator.calendar_root}/",
        "google_auth_uri": f"{server.base_url}/o/oauth2/v2/auth",
        "google_token_uri": f"{server.base_url}/token",
        "google_revoke_uri": f"{server.base_url}/revoke",
        "ms_authority_host": server.tls_base_url,
        "graph_base_url": f"{server.tls_base_url}{emulator.graph_root}"
        if server.tls_base_url
        else None,
        "ca_path": str(server.ca_path) if server.ca_path else None,
        "control": f"{server.base_url}/_emulator/",
    }
    if args.json:
        print(json.dumps(urls), flush=True)
    else:
        print("Together provider emulator is running", flush=True)
        for key, value in urls.items():
            print(f"  {key:20} {value}", flush=True)
        print("Ctrl-C stops it.", flush=True)

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
