"""What a projection writes through: keyed rows of its tables.

``BatchRows`` reads through a cache that the runner keeps across batches (it is the only writer
of its tables, which the tracking check proves each batch) and flushes every changed row with
one statement per table at the end of the batch. ``MemoryRows`` holds everything in a dict: an
as-of dashboard replays the log into it without touching the database."""

from __future__ import annotations

from typing import Any, Protocol

from projections.schema import Table
from projections.store import Sql

Row = dict[str, Any]
Key = tuple[Any, ...]
_UNCACHED = object()  # a before-image: the slot was not in the cache
# Rows of one table in one flush from which PostgreSQL gets them by COPY: a statement per row
# costs the client ~35 µs in psycopg and the server a bind and execute; fewer stay statements.
COPY_FROM = 64


class Rows(Protocol):
    def get(self, table: Table, *key: Any) -> Row | None: ...

    def put(self, table: Table, row: Row) -> None: ...

    def delete(self, table: Table, *key: Any) -> None: ...

    def append(self, table: Table, row: Row) -> None:
        """A row that is only ever inserted (never read back while projecting)."""
        ...


class MemoryRows:
    def __init__(self) -> None:
        self.tables: dict[str, dict[Key, Row]] = {}

    def get(self, table: Table, *key: Any) -> Row | None:
        row = self.tables.get(table.name, {}).get(tuple(key))
        return None if row is None else dict(row)

    def put(self, table: Table, row: Row) -> None:
        self.tables.setdefault(table.name, {})[table.key_of(row)] = row

    def delete(self, table: Table, *key: Any) -> None:
        self.tables.get(table.name, {}).pop(tuple(key), None)

    def append(self, table: Table, row: Row) -> None:
        self.put(table, row)

    def all(self, table: Table) -> list[Row]:
        return list(self.tables.get(table.name, {}).values())


class StagedRows:
    """Changes to ``base`` held back until ``commit``: an event that fails half-way through its
    handler leaves nothing behind (the in-memory counterpart of the runner's savepoint)."""

    def __init__(self, base: MemoryRows) -> None:
        self.base = base
        self.changes: dict[tuple[str, Key], tuple[Table, Row | None]] = {}

    def get(self, table: Table, *key: Any) -> Row | None:
        staged = self.changes.get((table.name, tuple(key)))
        if staged is None:
            return self.base.get(table, *key)
        return None if staged[1] is None else dict(staged[1])

    def put(self, table: Table, row: Row) -> None:
        self.changes[(table.name, table.key_of(row))] = (table, row)

    def delete(self, table: Table, *key: Any) -> None:
        self.changes[(table.name, tuple(key))] = (table, None)

    def append(self, table: Table, row: Row) -> None:
        self.put(table, row)

    def commit(self) -> None:
        for (_name, key), (table, row) in self.changes.items():
            if row is None:
                self.base.delete(table, *key)
            else:
                self.base.put(table, row)
        self.changes.clear()


class RowCache:
    """Committed rows by (table, key); ``None`` records a known absence. ``complete`` while the
    cache has held every row since the tables were emptied: a miss is then an absence, no
    SELECT needed (what makes a rebuild from zero cheap)."""

    LIMIT = 1_500_000  # rows; a rebuild of a million events keeps ~3 per nomination (≈ 600k)

    def __init__(self) -> None:
        self.rows: dict[tuple[str, Key], Row | None] = {}
        self.complete = False

    def clear(self, *, tables_empty: bool = False) -> None:
        self.rows.clear()
        self.complete = tables_empty

    def trim(self) -> None:
        if len(self.rows) > self.LIMIT:
            self.clear()


class BatchRows:
    """``reader`` serves cache misses; ``None`` when the cache is ``complete`` (a rebuild from
    empty tables), so that a batch can be projected before its write transaction opens.

    The first change to a cached row keeps its before-image: ``discard`` puts the cache back
    as it was when the batch failed to commit, so that a rebuild's complete cache stays
    complete while the runner projects the batch again event by event."""

    def __init__(self, reader: Sql | None, cache: RowCache, suffix: str, ns: str) -> None:
        self.reader, self.cache, self.suffix, self.ns = reader, cache, suffix, ns
        self.dirty: dict[tuple[str, Key], tuple[Table, Row | None]] = {}
        self.appended: dict[str, tuple[Table, list[Row]]] = {}
        self.before: dict[tuple[str, Key], Any] = {}

    def get(self, table: Table, *key: Any) -> Row | None:
        slot = (table.name, tuple(key))
        if slot not in self.cache.rows:
            if self.cache.complete:
                found = []
            else:
                assert self.reader is not None, (
                    "a cache miss needs a reader unless the cache is complete"
                )
                found = self.reader.rows(table.select_statement(self.suffix, self.ns), key)
            self.cache.rows[slot] = found[0] if found else None
        row = self.cache.rows[slot]
        return None if row is None else dict(row)

    def put(self, table: Table, row: Row) -> None:
        slot = (table.name, table.key_of(row))
        if slot not in self.before:
            self.before[slot] = self.cache.rows.get(slot, _UNCACHED)
        self.cache.rows[slot] = row
        self.dirty[slot] = (table, row)

    def delete(self, table: Table, *key: Any) -> None:
        slot = (table.name, tuple(key))
        if slot not in self.before:
            self.before[slot] = self.cache.rows.get(slot, _UNCACHED)
        self.cache.rows[slot] = None
        self.dirty[slot] = (table, None)

    def discard(self) -> None:
        """Forgets every change of this batch, in the cache too (nothing of it was committed)."""
        for slot, row in self.before.items():
            if row is _UNCACHED:
                self.cache.rows.pop(slot, None)
            else:
                self.cache.rows[slot] = row
        self.before.clear()
        self.dirty.clear()
        self.appended.clear()

    def append(self, table: Table, row: Row) -> None:
        self.appended.setdefault(table.name, (table, []))[1].append(row)

    def flush(self, sql: Sql) -> int:
        """Writes every changed row (one executemany per table and kind, or on PostgreSQL a
        COPY for many rows); returns the row count."""
        upserts: dict[str, tuple[Table, list[Row]]] = {}
        fresh: dict[str, tuple[Table, list[Row]]] = {}  # rows known not to be stored yet
        deletes: dict[str, tuple[Table, list[Key]]] = {}
        complete = self.cache.complete
        for slot, (table, row) in self.dirty.items():
            if row is None:
                deletes.setdefault(slot[0], (table, []))[1].append(slot[1])
                continue
            before = self.before.get(slot, _UNCACHED)
            absent = before is None or (before is _UNCACHED and complete)
            (fresh if absent else upserts).setdefault(slot[0], (table, []))[1].append(row)
        # Appended rows are new unless the cache lacks rows the tables hold (then upserted, as ever).
        for name, (table, appended) in self.appended.items():
            (fresh if complete else upserts).setdefault(name, (table, []))[1].extend(appended)
        written = 0
        for table, keys in deletes.values():
            sql.executemany(table.delete_statement(self.suffix, self.ns), keys)
            written += len(keys)
        for tables, new in ((upserts, False), (fresh, True)):
            for table, rows in tables.values():
                self._write(sql, table, rows, new)
                written += len(rows)
        self.dirty.clear()
        self.appended.clear()
        return written

    def _write(self, sql: Sql, table: Table, rows: list[Row], new: bool) -> None:
        names = table.column_names
        values = [tuple(map(r.get, names)) for r in rows]
        if not sql.postgres or len(values) < COPY_FROM:
            sql.executemany(table.upsert_statement(self.suffix, self.ns), values)
        elif new:  # the cache proves no stored row has these keys: straight in
            sql.copy(table.physical(self.suffix, self.ns), names, values)
        else:
            sql.execute(table.stage_statement(self.suffix))
            sql.copy(table.stage(self.suffix), names, values)
            sql.execute(table.upsert_from_stage_statement(self.suffix, self.ns))
            sql.execute(f"TRUNCATE {table.stage(self.suffix)}")  # a second flush in this transaction
