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
        """Writes every changed row (one executemany per table and kind); returns the row count."""
        upserts: dict[str, tuple[Table, list[Row]]] = {}
        deletes: dict[str, tuple[Table, list[Key]]] = {}
        for (name, key), (table, row) in self.dirty.items():
            if row is None:
                deletes.setdefault(name, (table, []))[1].append(key)
            else:
                upserts.setdefault(name, (table, []))[1].append(row)
        written = 0
        for table, keys in deletes.values():
            sql.executemany(table.delete_statement(self.suffix, self.ns), keys)
            written += len(keys)
        for table, rows in [*upserts.values(), *self.appended.values()]:
            names = table.column_names
            sql.executemany(
                table.upsert_statement(self.suffix, self.ns), [tuple(map(r.get, names)) for r in rows]
            )
            written += len(rows)
        self.dirty.clear()
        self.appended.clear()
        return written
