"""Where a benchmark keeps its events — a SQLite file, or a fresh schema in the PostgreSQL test
database (dropped afterwards, so repeated runs leave nothing behind) — and its figures
(``bench/results/NAME.json``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.fixtures import postgres_schema

POSTGRES = "postgresql://postgres@127.0.0.1:5432/laurel_test"


@contextmanager
def store_url(
    backend: str, sqlite_file: Path, *, postgres_url: str = POSTGRES, prefix: str = "bench"
) -> Iterator[str]:
    """A LAUREL_DATABASE_URL for ``backend``: ``sqlite_file``, or a new schema ``<prefix>_…``."""
    if backend == "sqlite":
        sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{sqlite_file.resolve()}"
        return
    with postgres_schema(postgres_url, prefix) as url:
        yield url


def write_results(name: str, figures: dict[str, Any], *, per_backend: str | None = None) -> Path:
    """Writes ``bench/results/NAME.json``; with ``per_backend`` the file keeps the latest run of
    each backend side by side (``{"sqlite": …, "postgres": …}``)."""
    out = Path(__file__).parent / "results" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    if per_backend is not None:
        kept = json.loads(out.read_text()) if out.exists() else {}
        kept = kept if isinstance(kept, dict) and "backend" not in kept else {}
        figures = {**kept, per_backend: figures}
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return out
