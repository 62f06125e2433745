"""A real HTTP server for API tests: uvicorn serving create_app() on a free loopback port
(in a thread of the test process), over a fresh SQLite file or PostgreSQL schema."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.app import create_app
from infra.bootstrap import Services, bootstrap
from infra.settings import Settings

ADMIN_TOKEN = "lrl_admin_test_secret"


@dataclass
class Server:
    base_url: str
    services: Services

    def client(self, token: str | None = ADMIN_TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)


def free_port() -> int:
    """A free loopback port *below* the kernel's ephemeral range. Outgoing connections take
    their local ports from that range, so a server given a port from it and restarted (laurel
    up's supervisor, the fault tests) could find the port held by, say, a Temporal connection.
    The 1,000 ports above it stay below the range too (the dev server's UI port is port + 1000)."""
    ranges = Path("/proc/sys/net/ipv4/ip_local_port_range")
    low = int(ranges.read_text().split()[0]) if ranges.exists() else 0
    for _ in range(200 if low > 11_000 else 0):
        port = random.randint(10_000, low - 1_001)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:  # no room below the range: let the kernel choose
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(database_url: str) -> Iterator[Server]:
    with running_server(database_url) as running:
        yield running


@contextmanager
def running_server(
    database_url: str, clock: Callable[[], datetime] | None = None, **settings: Any
) -> Iterator[Server]:
    """``settings``: Settings fields to set (e.g. ``token_cache_seconds=1``). Every test client
    comes from one address, and some fail authentication on purpose many times (the
    authorization matrix): the failure limit is lifted unless a test sets it."""
    settings.setdefault("auth_failure_limit", "100000/minute")
    kwargs = {"clock": clock} if clock else {}
    services = bootstrap(
        Settings(database_url=database_url, admin_token=ADMIN_TOKEN, **settings),
        configure_logs=False,
        **kwargs,
    )
    port = free_port()
    config = uvicorn.Config(
        create_app(services), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield Server(f"http://127.0.0.1:{port}", services)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        services.close()
