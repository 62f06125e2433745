"""The HTTP API for API tests, over a fresh SQLite file or PostgreSQL schema: ``server`` runs it
in the test process; ``real_server`` serves it on a loopback port (uvicorn in a thread) for the
tests that need a socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.builders.http import Server, serve_in_process, serve_on_port


@pytest.fixture
def server(database_url: str) -> Iterator[Server]:
    with serve_in_process(database_url) as running:
        yield running


@pytest.fixture
def real_server(database_url: str) -> Iterator[Server]:
    with serve_on_port(database_url) as running:
        yield running
