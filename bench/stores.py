"""Where a benchmark keeps its events: a SQLite file, or a fresh schema in the PostgreSQL test
database (dropped afterwards, so repeated runs leave nothing behind)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import postgres_schema

POSTGRES = "postgresql://postgres@127.0.0.1:5432/laurel_test"


@contextmanager
def store_url(backend: str, sqlite_file: Path, *, postgres_url: str = POSTGRES, prefix: str = "bench") -> Iterator[str]:
    """A LAUREL_DATABASE_URL for ``backend``: ``sqlite_file``, or a new schema ``<prefix>_…``."""
    if backend == "sqlite":
        sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{sqlite_file.resolve()}"
        return
    with postgres_schema(postgres_url, prefix) as url:
        yield url
