"""The SQL the read models run, on the event store's own database (SQLite file or PostgreSQL).

Views live beside the events so that one transaction can hold a batch of view writes and the
projection's tracking position (exactly-once effect), and so that audit reads can join the
view to the stored events. Statements are written with ``?`` placeholders; on PostgreSQL they
become ``%s``."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

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
            self._cursor.executemany(self._sql(statement), [tuple(r) for r in rows])

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        self._cursor.execute(self._sql(statement), tuple(params))
        return [dict(r) for r in self._cursor.fetchall()]

    def scalar(self, statement: str, params: Sequence[Any] = ()) -> Any:
        self._cursor.execute(self._sql(statement), tuple(params))
        row = self._cursor.fetchone()
        return None if row is None else next(iter(dict(row).values()))


class ViewStore:
    """Transactions on the application's datastore, and the names of its tables."""

    def __init__(self, recorder: Any) -> None:
        self.recorder = recorder
        self.datastore = recorder.datastore
        self.postgres = type(recorder).__module__.startswith("eventsourcing.postgres")
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
            except Exception:  # noqa: BLE001 - a catalogue race surfaces as several error types
                if attempt == 2:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def drop(self, tables: Sequence[Table], suffix: str = "") -> None:
        with self.transaction() as sql:
            for table in tables:
                sql.execute(f"DROP TABLE IF EXISTS {self.table(table, suffix)}")

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
                f"SELECT {self.notification_column} AS notification_id, originator_id, originator_version, topic, state FROM {self.events_table} "
                f"WHERE {self.notification_column} IN ({', '.join('?' for _ in chunk)}) ORDER BY {self.notification_column}",
                chunk,
            )
            found.extend(
                Notification(id=r["notification_id"], originator_id=convert(r["originator_id"]), originator_version=r["originator_version"], topic=r["topic"], state=bytes(r["state"]))
                for r in rows
            )
        return found
