"""Read-model tables, declared once and created the same way on SQLite and PostgreSQL.

A projection names its tables logically (``nomination``); the store gives each a physical name
(``v_nomination``, or ``v_nomination__verify`` for a rebuild that is compared with the live one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import Any

TYPES = {
    "sqlite": {"text": "TEXT", "int": "INTEGER", "real": "REAL"},
    "postgres": {"text": "TEXT", "int": "BIGINT", "real": "DOUBLE PRECISION"},
}


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, text|int|real)
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)

    def physical(self, suffix: str = "", ns: str = "") -> str:
        """``ns`` qualifies the name (a PostgreSQL schema, ``"s".``); ``suffix`` picks a twin set."""
        return f"{ns}v_{self.name}{suffix}"

    def create_statements(self, dialect: str, suffix: str = "", ns: str = "") -> list[str]:
        table = self.physical(suffix, ns)
        cols = ", ".join(f"{c} {TYPES[dialect][t]}" for c, t in self.columns)
        return [
            f"CREATE TABLE IF NOT EXISTS {table} ({cols}, PRIMARY KEY ({', '.join(self.key)}))",
            *self.index_statements(suffix, ns),
        ]

    def index_statements(self, suffix: str = "", ns: str = "") -> list[str]:
        table = self.physical(suffix, ns)
        return [
            f"CREATE INDEX IF NOT EXISTS {self.physical(suffix)}_i{i} ON {table} ({', '.join(columns)})"
            for i, columns in enumerate(self.indexes)
        ]

    def drop_index_statements(self, suffix: str = "", ns: str = "") -> list[str]:
        return [
            f"DROP INDEX IF EXISTS {ns}{self.physical(suffix)}_i{i}" for i in range(len(self.indexes))
        ]

    def upsert_statement(self, suffix: str = "", ns: str = "") -> str:
        """INSERT … ON CONFLICT DO UPDATE: the same text on SQLite (≥ 3.24) and PostgreSQL."""
        return f"{self._insert(suffix, ns)} {self._on_conflict()}"

    def _on_conflict(self) -> str:
        updates = [c for c in self.column_names if c not in self.key]
        return f"ON CONFLICT ({', '.join(self.key)}) " + (
            f"DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in updates)}"
            if updates
            else "DO NOTHING"
        )

    def stage(self, suffix: str = "") -> str:
        """A session's temporary twin of the table (PostgreSQL): a batch's rows are copied
        into it and upserted from it in one statement; emptied at every commit."""
        return f"pg_temp.laurel_stage_{self.physical(suffix)}"

    def stage_statement(self, suffix: str = "") -> str:
        cols = ", ".join(f"{c} {TYPES['postgres'][t]}" for c, t in self.columns)
        return f"CREATE TEMP TABLE IF NOT EXISTS {self.stage(suffix)} ({cols}) ON COMMIT DELETE ROWS"

    def upsert_from_stage_statement(self, suffix: str = "", ns: str = "") -> str:
        """The upsert of ``upsert_statement``, every staged row at once."""
        names = ", ".join(self.column_names)
        return (
            f"INSERT INTO {self.physical(suffix, ns)} ({names}) SELECT {names} FROM {self.stage(suffix)}"
            f" {self._on_conflict()}"
        )

    def insert_missing_statement(self, suffix: str = "", ns: str = "") -> str:
        return f"{self._insert(suffix, ns)} ON CONFLICT ({', '.join(self.key)}) DO NOTHING"

    def _insert(self, suffix: str, ns: str) -> str:
        names = self.column_names
        marks = ", ".join("?" for _ in names)
        return f"INSERT INTO {self.physical(suffix, ns)} ({', '.join(names)}) VALUES ({marks})"

    def delete_statement(self, suffix: str = "", ns: str = "") -> str:
        return (
            f"DELETE FROM {self.physical(suffix, ns)} WHERE {' AND '.join(f'{k} = ?' for k in self.key)}"
        )

    def select_statement(self, suffix: str = "", ns: str = "") -> str:
        keys = " AND ".join(f"{k} = ?" for k in self.key)
        return f"SELECT {', '.join(self.column_names)} FROM {self.physical(suffix, ns)} WHERE {keys}"

    @cached_property
    def _compound_key(self) -> Any:
        return itemgetter(*self.key) if len(self.key) > 1 else None

    def key_of(self, row: dict[str, object]) -> tuple[object, ...]:
        getter = self._compound_key
        return (row[self.key[0]],) if getter is None else getter(row)  # runs for every row written


TRACKING = Table("projection_tracking", (("projection", "text"), ("position", "int")), ("projection",))
