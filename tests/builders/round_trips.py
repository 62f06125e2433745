"""Round trips to PostgreSQL counted from libpq's own protocol trace: an application whose pool
holds exactly one connection is traced on it, and every message that makes the client wait
for the server (``Sync``, a simple ``Query``) is one round trip."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from domain.application import Laurel

WAITS = ("Sync", "Query")
ONE_CONNECTION = "&pool_size=1&max_overflow=0"  # appended to a postgresql:// URL with a query


@dataclass
class Trips:
    count: int = 0
    statements: list[str] = field(default_factory=list)


@contextmanager
def round_trips(app: Laurel) -> Iterator[Trips]:
    """Counts the round trips ``app`` makes inside the block (its pool: one connection)."""
    trips = Trips()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trace"
        with path.open("w") as trace:
            with app.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
                conn.pgconn.trace(trace.fileno())
                conn.pgconn.set_trace_flags(1 | 2)  # no timestamps; regress mode
            try:
                yield trips
            finally:
                with app.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
                    conn.pgconn.untrace()
        for line in path.read_text(errors="replace").splitlines():
            parts = line.split("\t")
            if len(parts) > 2 and parts[0] == "F":
                message = parts[2].split(" ")[0]
                if message in WAITS:
                    trips.count += 1
                if message in ("Parse", "Query") and len(parts) > 3:
                    trips.statements.append(parts[3][:120])
