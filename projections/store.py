"""The SQL the read models run, on the event store's own database (SQLite file or PostgreSQL).

Views live beside the events so that one transaction can hold a batch of view writes and the
projection's tracking position (exactly-once effect), and so that audit reads can join the
view to the stored events. Statements are written with ``?`` placeholders; on PostgreSQL they
become ``%s``."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.rows import tuple_row

from projections.schema import Table


class Sql:
    """A cursor inside one transaction, speaking the ``?`` dialect on both stores."""

    def __init__(self, cursor: Any, postgres: bool) -> None:
        self._cursor = cursor
        self._postgres = postgres

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self._postgres else statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        self._cursor.execute(self._sql(statement), tuple(params))
        return int(getattr(self._cursor, "sqlite_cursor", self._cursor).rowcount)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._cursor.executemany(
                self._sql(statement), rows if isinstance(rows[0], tuple) else [tuple(r) for r in rows]
            )

    @property
    def postgres(self) -> bool:
        return self._postgres

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """``COPY table (columns) FROM STDIN`` (PostgreSQL only): psycopg formats each row in C
        and the server inserts without a statement per row (executemany costs ~35 µs a row)."""
        with self._cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self._cursor.execute(self._sql(statement), tuple(params))
        return [dict(r) for r in self._cursor.fetchall()]

    def scalar(self, statement: str, params: Sequence[Any] = ()) -> Any:
        self._cursor.execute(self._sql(statement), tuple(params))
        row = self._cursor.fetchone()
        return None if row is None else next(iter(dict(row).values()))


class Stored(NamedTuple):
    """A notification as the runner reads it: a plain tuple (the library's own
    ``Notification`` costs a dataclass and a ``UUID`` per event, and on PostgreSQL a dict
    per row; the mapper converts the text id where it decodes)."""

    id: int
    originator_id: Any
    originator_version: int
    topic: str
    state: bytes


def uuid_text(stored: str) -> str:
    """The stored hex of a UUID as ``str(UUID(…))`` writes it (the slices cost a fifth)."""
    if len(stored) == 32:
        h = stored.lower()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return str(UUID(stored))


class ViewStore:
    """Transactions on the application's datastore, and the names of its tables."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder
        self.datastore = recorder.datastore
        self.postgres = isinstance(recorder, PostgresApplicationRecorder)
        self.dialect = "postgres" if self.postgres else "sqlite"
        schema = getattr(self.datastore, "schema", "")
        self.ns = f'"{schema}".' if self.postgres and schema else ""
        self.events_table = f"{self.ns}{recorder.events_table_name}"
        self.notification_column = "notification_id" if self.postgres else "rowid"

    @contextmanager
    def transaction(self, *, commit: bool = True) -> Iterator[Sql]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield Sql(cursor, self.postgres)

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.transaction(commit=False) as sql:
            return sql.rows(statement, params)

    def scalar(self, statement: str, params: Sequence[Any] = ()) -> Any:
        with self.transaction(commit=False) as sql:
            return sql.scalar(statement, params)

    def table(self, table: Table, suffix: str = "") -> str:
        return table.physical(suffix, self.ns)

    def create(self, tables: Sequence[Table], suffix: str = "") -> None:
        """CREATE … IF NOT EXISTS. Two processes starting together (API workers) can still
        collide in PostgreSQL's catalogue; the loser finds the tables there on its second try."""
        for attempt in range(3):
            try:
                with self.transaction() as sql:
                    for table in tables:
                        for statement in table.create_statements(self.dialect, suffix, self.ns):
                            sql.execute(statement)
                return
            except Exception:
                if attempt == 2:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def columns(self, tables: Sequence[Table], suffix: str = "") -> dict[str, list[str]]:
        """The columns each table has in the database, in order (one query; none when absent)."""
        names = [t.physical(suffix) for t in tables]
        marks = ", ".join("?" for _ in names)
        if self.postgres:
            rows = self.rows(
                "SELECT table_name AS tbl, column_name AS name FROM information_schema.columns "
                "WHERE table_schema = COALESCE(NULLIF(?, ''), current_schema()) "
                f"AND table_name IN ({marks}) ORDER BY table_name, ordinal_position",
                [getattr(self.datastore, "schema", "") or "", *names],
            )
        else:
            rows = self.rows(
                "SELECT m.name AS tbl, p.name AS name FROM sqlite_master m "
                "JOIN pragma_table_info(m.name) p "
                f"WHERE m.type = 'table' AND m.name IN ({marks}) ORDER BY m.name, p.cid",
                names,
            )
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row["tbl"], []).append(row["name"])
        return found

    def reshaped(self, tables: Sequence[Table], suffix: str = "") -> bool:
        """Whether one of the tables exists with other columns than it declares now."""
        found = self.columns(tables, suffix)
        return any(
            t.physical(suffix) in found and found[t.physical(suffix)] != list(t.column_names)
            for t in tables
        )

    def drop(self, tables: Sequence[Table], suffix: str = "") -> None:
        with self.transaction() as sql:
            for table in tables:
                sql.execute(f"DROP TABLE IF EXISTS {self.table(table, suffix)}")

    def log(self, start: int, limit: int, stop: int | None = None) -> Sequence[Any]:
        """Up to ``limit`` notifications from ``start`` (inclusive) to ``stop``, in order."""
        if self.postgres:
            with self.datastore.transaction(commit=False) as cursor:
                cursor.row_factory = tuple_row  # this cursor only; the id as str(UUID) writes it
                # No upper bound unless asked: a range's default selectivity (no statistics yet,
                # e.g. right after a bulk load) plans a sort of every later event per batch.
                upto = "" if stop is None else " AND notification_id <= %s"
                cursor.execute(
                    "SELECT notification_id, originator_id::text, originator_version, topic, state "
                    f"FROM {self.events_table} WHERE notification_id >= %s{upto} "
                    "ORDER BY notification_id LIMIT %s",
                    (start, limit) if stop is None else (start, stop, limit),
                    prepare=True,
                    binary=True,  # bytea as it is, not hex text to decode
                )
                return list(map(Stored._make, cursor.fetchall()))
        with self.datastore.transaction(commit=False) as cursor:
            raw = cursor.sqlite_cursor
            raw.row_factory = None  # tuples, not sqlite3.Row
            raw.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {self.events_table} WHERE rowid >= ? AND rowid <= ? ORDER BY rowid LIMIT ?",
                (start, stop if stop is not None else 2**62, limit),
            )
            found = raw.fetchall()
        if self.datastore.originator_id_type != "uuid":
            return list(map(Stored._make, found))
        return [
            Stored(n, uuid_text(originator), version, topic, state)
            for n, originator, version, topic, state in found
        ]

    @property
    def in_memory(self) -> bool:
        """An in-memory SQLite store: no other process can open it."""
        return bool(getattr(getattr(self.datastore, "pool", None), "is_sqlite_memory_mode", False))

    def tune_for_rebuild(self) -> None:
        """For a process that only rebuilds views (``parallel``): on SQLite a 64 MB page cache
        instead of 2 MB (rows are upserted by random keys) and commits without an fsync each
        (``synchronous=NORMAL``: WAL mode stays safe from corruption; a power cut can lose the
        last batches, which the next runner projects again). Not for a connection that also
        appends events."""
        if not self.postgres:
            with (
                self.datastore.get_connection(commit=True) as connection,
                connection.cursor() as cursor,
            ):  # outside a transaction; the cursor closed on leaving
                cursor.execute("PRAGMA cache_size = -65536")
                cursor.execute("PRAGMA synchronous = NORMAL")

    def max_notification_id(self) -> int:
        return int(self.recorder.max_notification_id() or 0)

    def notifications(self, ids: Sequence[int]) -> list[Any]:
        """The stored events with these notification ids, in notification order."""
        from eventsourcing.persistence import Notification

        convert = getattr(self.recorder, "convert_originator_id", lambda value: value)
        found: list[Any] = []
        ordered = sorted(set(ids))
        for i in range(0, len(ordered), 500):
            chunk = ordered[i : i + 500]
            rows = self.rows(
                f"SELECT {self.notification_column} AS notification_id, originator_id, "
                f"originator_version, topic, state FROM {self.events_table} "
                f"WHERE {self.notification_column} IN ({', '.join('?' for _ in chunk)}) "
                f"ORDER BY {self.notification_column}",
                chunk,
            )
            found.extend(
                Notification(
                    id=r["notification_id"],
                    originator_id=convert(r["originator_id"]),
                    originator_version=r["originator_version"],
                    topic=r["topic"],
                    state=bytes(r["state"]),
                )
                for r in rows
            )
        return found
