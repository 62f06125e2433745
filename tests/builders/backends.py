"""A database URL per event store: a fresh SQLite file, or a fresh schema in the PostgreSQL test
database (dropped afterwards). Without PostgreSQL a test skips locally and fails when CI=true."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

POSTGRES_URL = os.environ.get(
    "LAUREL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/laurel_test"
)

BACKENDS = pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
"""Runs a test once per event store (the ``database_url`` fixture, parametrised indirectly)."""


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {exc}"
    return None


@contextmanager
def backend_url(request: pytest.FixtureRequest, backend: str, tmp_dir: Path) -> Iterator[str]:
    """A LAUREL_DATABASE_URL for ``backend``: a fresh SQLite file in ``tmp_dir``, or a fresh
    schema in the PostgreSQL test database (dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / 'laurel.sqlite3'}"
        return
    request.getfixturevalue("postgres_available")
    with postgres_schema(POSTGRES_URL, "t") as url:
        yield f"{url}&pool_size=20&max_overflow=40"


@contextmanager
def postgres_schema(base_url: str, prefix: str) -> Iterator[str]:
    """``base_url?schema=<prefix>_<random>``: a fresh schema, dropped with everything in it after."""
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base_url}?schema={schema}"
    finally:
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
