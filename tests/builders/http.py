"""The HTTP API for tests, over a fresh store: in the test process (``TestClient``, no socket)
for what a request does, or served by uvicorn on a loopback port for what needs a real server
(streamed uploads, slow clients, other processes calling in)."""

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
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from infra.bootstrap import Services
from tests.builders.services import running_services

ADMIN_TOKEN = "lrl_admin_test_secret"
IN_PROCESS_URL = "http://testserver"
PROBLEM = "application/problem+json"


@dataclass
class Server:
    """The API over ``services``; ``asgi`` is set when it runs in the test process."""

    base_url: str
    services: Services
    asgi: FastAPI | None = None

    def client(self, token: str | None = ADMIN_TOKEN, **options: Any) -> httpx.Client:
        """A client sending ``token`` as its bearer (none: anonymous, like a browser);
        ``options``: more of ``httpx.Client``'s (headers, cookies, follow_redirects). In
        process it behaves like a client of a real server: no redirect followed unless asked,
        a server error is a 500 answer."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(options.pop("headers", {}))
        if self.asgi is None:
            return httpx.Client(base_url=self.base_url, headers=headers, timeout=30, **options)
        options.setdefault("follow_redirects", False)
        return TestClient(
            self.asgi,
            base_url=self.base_url,
            headers=headers,
            raise_server_exceptions=False,
            client=("127.0.0.1", 50000),
            **options,
        )


def problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The problem+json body of ``response``, its status checked, and its type when ``code``
    (the part after ``urn:laurel:problem:``) is given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status, body
    if code is not None:
        assert body["type"] == f"urn:laurel:problem:{code}", body
    return body


@contextmanager
def api_services(
    database_url: str, clock: Callable[[], datetime] | None = None, **settings: Any
) -> Iterator[Services]:
    """The services an API test serves. Every test client comes from one address and some fail
    authentication on purpose many times (the authorization matrix): the failure limit is
    lifted unless a test sets it."""
    settings.setdefault("auth_failure_limit", "100000/minute")
    settings.setdefault("admin_token", ADMIN_TOKEN)
    with running_services(database_url, clock, **settings) as services:
        yield services


def in_process(services: Services) -> Server:
    return Server(IN_PROCESS_URL, services, create_app(services))


@contextmanager
def on_port(services: Services) -> Iterator[Server]:
    """The API over ``services`` served on a free loopback port."""
    with serving(create_app(services)) as base_url:
        yield Server(base_url, services)


@contextmanager
def serving(asgi: Any) -> Iterator[str]:
    """uvicorn serving ``asgi`` on a free loopback port, in a thread of the test process;
    yields its base URL."""
    port = free_port()
    config = uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve_in_process(
    database_url: str, clock: Callable[[], datetime] | None = None, **settings: Any
) -> Iterator[Server]:
    """``settings``: Settings fields to set (e.g. ``token_cache_seconds=1``)."""
    with api_services(database_url, clock, **settings) as services:
        yield in_process(services)


@contextmanager
def serve_on_port(
    database_url: str, clock: Callable[[], datetime] | None = None, **settings: Any
) -> Iterator[Server]:
    with api_services(database_url, clock, **settings) as services, on_port(services) as server:
        yield server


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
        return int(sock.getsockname()[1])
