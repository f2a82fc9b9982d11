"""Serving an `Emulator` on a plain-HTTP port and a TLS port from one process.

Both ports run the same application on one asyncio event loop (uvicorn with httptools)
in a background thread, so the in-memory store is shared, the caller's thread stays
free (tests, the CLI's signal handling), and added latency never blocks other
requests because it is an ``await asyncio.sleep``.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import tempfile
import threading
from pathlib import Path

import uvicorn

from emulator.app import Emulator
from emulator.tls import ensure_tls_files


def default_state_dir() -> Path:
    return Path(tempfile.gettempdir()) / "together-emulator"


def bind(host: str, port: int) -> socket.socket:
    # proto must say TCP: asyncio only sets TCP_NODELAY on accepted connections whose
    # listening socket does, and without it Nagle's algorithm adds ~40 ms to each answer.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class EmulatorServer:
    """Starts and stops the emulator's two listeners; ports 0 pick free ones."""

    def __init__(
        self,
        emulator: Emulator,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_port: int | None = 0,
        state_dir: Path | None = None,
    ) -> None:
        self.emulator = emulator
        self.host = host
        self._http_socket = bind(host, port)
        self._tls_socket = bind(host, tls_port) if tls_port is not None else None
        self.port: int = self._http_socket.getsockname()[1]
        self.tls_port: int | None = self._tls_socket.getsockname()[1] if self._tls_socket else None
        self.state_dir = state_dir or emulator.state_dir or default_state_dir()
        self.ca_path: Path | None = None
        self._servers: list[uvicorn.Server] = []
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def tls_base_url(self) -> str | None:
        return f"https://{self.host}:{self.tls_port}" if self.tls_port else None

    def _config(self, **tls: str) -> uvicorn.Config:
        return uvicorn.Config(
            self.emulator,
            lifespan="off",
            log_level="warning",
            access_log=False,
            http="httptools",
            loop="asyncio",
            server_header=False,
            timeout_keep_alive=30,
            timeout_graceful_shutdown=1,
            backlog=2048,
            **tls,  # type: ignore[arg-type]
        )

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        """Serve in a background thread; returns once both ports accept connections."""
        self._servers = [uvicorn.Server(self._config())]
        if self._tls_socket is not None:
            files = ensure_tls_files(self.state_dir)
            self.ca_path = files.ca_path
            self.emulator.ca_path = files.ca_path
            self._servers.append(
                uvicorn.Server(
                    self._config(ssl_certfile=str(files.cert_path), ssl_keyfile=str(files.key_path))
                )
            )
        self._thread = threading.Thread(target=self._run, name="provider-emulator", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError(f"the emulator did not start: {self._error!r}")
        if self._error is not None:
            raise RuntimeError("the emulator did not start") from self._error
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # surfaced to start()'s caller
            self._error = exc
            self._started.set()

    async def _serve(self) -> None:
        sockets = [self._http_socket, self._tls_socket]
        tasks = [
            asyncio.create_task(server.serve(sockets=[sock]))
            for server, sock in zip(self._servers, sockets, strict=False)
            if sock is not None
        ]
        while not all(server.started for server in self._servers):
            if any(task.done() for task in tasks):
                break
            await asyncio.sleep(0.01)
        self._started.set()
        await asyncio.gather(*tasks)

    def stop(self) -> None:
        for server in self._servers:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        for sock in (self._http_socket, self._tls_socket):
            if sock is not None:
                sock.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _ExpectedNoise(logging.Filter):
    """Drops uvicorn's error lines for things the emulator does on purpose: the connection
    a ``drop`` fault aborts, and idle keep-alive connections cut at shutdown."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage() + str(record.exc_info[1] if record.exc_info else "")
        return "emulated connection drop" not in text and "graceful shutdown" not in text


logging.getLogger("uvicorn.error").addFilter(_ExpectedNoise())
