"""The roster (``domain/roster.py``) in each event store, written inside the transaction that
records the nominations' events.

Each recorder here is the library's application recorder with one more step in its insert:
the entries ``Laurel.save`` passes (keyword ``roster``) are upserted before the events, on the
same connection and transaction, so an entry and its events commit or fail together. The
unique partial index on claimed nominees makes a second declaration of one nominee fail that
transaction: the library raises its ``IntegrityError`` and the command re-decides (and then
finds the claimant). An upsert never replaces a newer entry (``version``), which lets the
backfill of a store written before the roster existed race live commands safely.

The notices of the events saved (keyword ``outbox``, ``domain/notifications/notices.py``) are
inserted into ``notification_outbox`` the same way, so a notice exists exactly when its event
does (a conflict leaves neither); the sender pages through it by ``id``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime
from itertools import islice
from typing import Any, Protocol, runtime_checkable

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from psycopg.sql import SQL

from domain.notifications.notices import OUTBOX_KWARG, Notice
from domain.roster import ROSTER_KWARG, RosterEntry, RosterPage
from domain.vocabulary import NominationState

TABLE = "nomination_roster"
COLUMNS = (
    "nomination_id",
    "campaign_id",
    "category",
    "nominee_key",
    "claims_nominee",
    "state",
    "declaring_unit_id",
    "nominee_unit_id",
    "nominee_name",
    "admitted",
    "inspected",
    "passed",
    "score",
    "lowest_score",
    "title_active",
    "declared_at",
    "version",
)
IN_CHUNK = 500  # units per IN (...) list


def storable(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL; the log can (written before text was checked), and a
    roster entry is derived data, so it keeps a replacement character instead."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def row_of(entry: RosterEntry) -> tuple[Any, ...]:
    return tuple(map(storable, _row(entry)))


def _row(entry: RosterEntry) -> tuple[Any, ...]:
    return (
        entry.nomination_id,
        entry.campaign_id,
        entry.category,
        entry.nominee_key,
        entry.claims_nominee,
        str(entry.state),
        entry.declaring_unit_id,
        entry.nominee_unit_id,
        entry.nominee_name,
        entry.admitted,
        entry.inspected,
        entry.passed,
        entry.score,
        entry.lowest_score,
        entry.title_active,
        entry.declared_at.isoformat(),
        entry.version,
    )


def entry_of(row: Any) -> RosterEntry:
    """An entry from a row read by name (``sqlite3.Row`` or psycopg's dict row)."""
    passed = row["passed"]
    return RosterEntry(
        nomination_id=row["nomination_id"],
        campaign_id=row["campaign_id"],
        category=row["category"],
        nominee_key=row["nominee_key"],
        claims_nominee=bool(row["claims_nominee"]),
        state=NominationState(row["state"]),
        declaring_unit_id=row["declaring_unit_id"],
        nominee_unit_id=row["nominee_unit_id"],
        nominee_name=row["nominee_name"],
        admitted=bool(row["admitted"]),
        inspected=bool(row["inspected"]),
        passed=None if passed is None else bool(passed),
        score=row["score"],
        lowest_score=row["lowest_score"],
        title_active=bool(row["title_active"]),
        declared_at=datetime.fromisoformat(row["declared_at"]),
        version=row["version"],
        position=row["position"],
    )


def require_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise ValueError(f"a page holds at least one entry (limit {limit})")


def chunks(values: Collection[str], size: int = IN_CHUNK) -> Iterator[list[str]]:
    it = iter(values)
    while chunk := list(islice(it, size)):
        yield chunk


class SqlRoster:
    """The roster's statements, in the dialect of one store (``p``: its placeholder)."""

    def __init__(
        self,
        table: str,
        p: str,
        position_column: str,
        reading: Callable[[], AbstractContextManager[Any]],
        writing: Callable[[], AbstractContextManager[Any]],
    ) -> None:
        self.table, self.p = table, p
        self.reading, self.writing = reading, writing
        names = ", ".join(COLUMNS)
        values = ", ".join([p] * len(COLUMNS))
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
        self.upsert = (
            f"INSERT INTO {table} AS r ({names}) VALUES ({values}) "
            f"ON CONFLICT (nomination_id) DO UPDATE SET {updates} WHERE r.version < excluded.version"
        )
        bare = table.rsplit(".", 1)[-1]
        self.create_statements = [
            f"CREATE TABLE IF NOT EXISTS {table} ({position_column}, "
            "nomination_id TEXT NOT NULL UNIQUE, campaign_id TEXT NOT NULL, category TEXT NOT NULL, "
            "nominee_key TEXT NOT NULL, claims_nominee BOOLEAN NOT NULL, state TEXT NOT NULL, "
            "declaring_unit_id TEXT NOT NULL, nominee_unit_id TEXT NOT NULL, "
            "nominee_name TEXT NOT NULL, admitted BOOLEAN NOT NULL, inspected BOOLEAN NOT NULL, "
            "passed BOOLEAN, score DOUBLE PRECISION, lowest_score DOUBLE PRECISION, "
            "title_active BOOLEAN NOT NULL, declared_at TEXT NOT NULL, version INTEGER NOT NULL)",
            # One claim per nominee and category at a time: the set-based uniqueness.
            f"CREATE UNIQUE INDEX IF NOT EXISTS {bare}_claims ON {table} (campaign_id, nominee_key) "
            "WHERE claims_nominee",
            f"CREATE INDEX IF NOT EXISTS {bare}_campaign ON {table} (campaign_id, position)",
            f"CREATE INDEX IF NOT EXISTS {bare}_declaring ON {table} (declaring_unit_id)",
            f"CREATE INDEX IF NOT EXISTS {bare}_nominee ON {table} (nominee_unit_id)",
            f"CREATE TABLE IF NOT EXISTS {table}_backfill (done BOOLEAN NOT NULL)",
        ]

    # --- writing, inside the recorder's transaction ----------------------------------------------

    def write(self, cursor: Any, entries: Sequence[RosterEntry]) -> None:
        if entries:
            cursor.executemany(self.upsert, [row_of(e) for e in entries])

    # --- Roster ----------------------------------------------------------------------------------

    def _select(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self.reading() as cursor:
            cursor.execute(sql, tuple(map(storable, params)))  # looked up as it was stored
            return list(cursor.fetchall())

    def _in(self, values: Sequence[Any]) -> str:
        return "(" + ", ".join([self.p] * len(values)) + ")"

    def entries(
        self,
        campaign_id: str,
        *,
        category: str | None = None,
        states: Sequence[str] | None = None,
        after: int = 0,
        limit: int | None = None,
    ) -> RosterPage:
        require_limit(limit)
        p = self.p
        sql = f"SELECT * FROM {self.table} WHERE campaign_id = {p} AND position > {p}"
        params: list[Any] = [campaign_id, after]
        if category is not None:
            sql += f" AND category = {p}"
            params.append(category)
        if states is not None:
            if not states:
                return RosterPage([], None)
            sql += f" AND state IN {self._in(states)}"
            params += [str(s) for s in states]
        sql += " ORDER BY position"
        if limit is not None:
            sql += f" LIMIT {p}"
            params.append(limit + 1)
        rows = self._select(sql, params)
        more = limit is not None and len(rows) > limit
        rows = rows[:limit] if limit is not None else rows
        return RosterPage([entry_of(r) for r in rows], rows[-1]["position"] if more else None)

    def claimant(self, campaign_id: str, key: str) -> str | None:
        p = self.p
        rows = self._select(
            f"SELECT nomination_id FROM {self.table} "
            f"WHERE campaign_id = {p} AND nominee_key = {p} AND claims_nominee",
            [campaign_id, key],
        )
        return str(rows[0]["nomination_id"]) if rows else None

    def counts(self, campaign_id: str) -> dict[str, int]:
        rows = self._select(
            f"SELECT category, COUNT(*) AS n FROM {self.table} WHERE campaign_id = {self.p} "
            "GROUP BY category",
            [campaign_id],
        )
        return {r["category"]: int(r["n"]) for r in rows}

    def units(self, campaign_id: str, *, nominees: bool = True) -> set[str]:
        rows = self._select(
            f"SELECT DISTINCT declaring_unit_id, nominee_unit_id FROM {self.table} "
            f"WHERE campaign_id = {self.p}",
            [campaign_id],
        )
        columns = ("declaring_unit_id", "nominee_unit_id") if nominees else ("declaring_unit_id",)
        return {r[c] for r in rows for c in columns}

    def touching(self, units: Collection[str], states: Sequence[str]) -> list[RosterEntry]:
        found: dict[str, RosterEntry] = {}
        for chunk in chunks(units):
            where = self._in(chunk)
            rows = self._select(
                f"SELECT * FROM {self.table} WHERE state IN {self._in(states)} "
                f"AND (declaring_unit_id IN {where} OR nominee_unit_id IN {where}) ORDER BY position",
                [*map(str, states), *chunk, *chunk],
            )
            found.update((r["nomination_id"], entry_of(r)) for r in rows)
        return list(found.values())

    def holders(
        self, units: Collection[str], category: str | None = None, *, in_force: bool = True
    ) -> list[RosterEntry]:
        held = "title_active" if in_force else f"(title_active OR state = {self.p})"
        found: list[RosterEntry] = []
        for chunk in chunks(units):
            params: list[Any] = [*chunk] + ([] if in_force else [NominationState.REVOKED.value])
            of_category = ""
            if category is not None:
                of_category = f" AND category = {self.p}"
                params.append(category)
            rows = self._select(
                f"SELECT * FROM {self.table} WHERE nominee_unit_id IN {self._in(chunk)} "
                f"AND {held}{of_category} ORDER BY position",
                params,
            )
            found += map(entry_of, rows)
        return found

    def complete(self) -> bool:
        return bool(self._select(f"SELECT done FROM {self.table}_backfill", []))

    def backfill(self, entries: Sequence[RosterEntry], *, done: bool = False) -> None:
        with self.writing() as cursor:
            self.write(cursor, entries)
            if done:
                cursor.execute(f"DELETE FROM {self.table}_backfill")
                cursor.execute(f"INSERT INTO {self.table}_backfill (done) VALUES (TRUE)")


def entries_in(kwargs: dict[str, Any]) -> Sequence[RosterEntry]:
    entries: Sequence[RosterEntry] = kwargs.get(ROSTER_KWARG) or ()
    return entries


OUTBOX_TABLE = "notification_outbox"
OUTBOX_COLUMNS = ("notice_key", "kind", "subject_id", "campaign_id", "occurred_at", "body")


@runtime_checkable
class OutboxKeeping(Protocol):
    """A recorder that keeps the notification outbox (the three recorders here do)."""

    def select_outbox(self, after_id: int, limit: int) -> list[tuple[int, Notice]]: ...


def outbox_of(recorder: Any) -> OutboxKeeping:
    """The recorder as the outbox's reader (the sender's way in); refused for a recorder that
    keeps none (PERSISTENCE_MODULE naming a library factory)."""
    if not isinstance(recorder, OutboxKeeping):
        raise TypeError(f"the event store's recorder {type(recorder).__name__} keeps no outbox")
    return recorder


def outbox_in(kwargs: dict[str, Any]) -> Sequence[Notice]:
    notices: Sequence[Notice] = kwargs.get(OUTBOX_KWARG) or ()
    return notices


def outbox_row(notice: Notice) -> tuple[Any, ...]:
    return tuple(
        map(
            storable,
            (
                notice.key,
                str(notice.kind),
                notice.subject_id,
                notice.campaign_id,
                notice.occurred_at.timestamp(),
                notice.body(),
            ),
        )
    )


def notice_of(row: Any) -> tuple[int, Notice]:
    return int(row["id"]), Notice.from_row(
        row["notice_key"],
        row["kind"],
        row["subject_id"],
        row["campaign_id"],
        datetime.fromtimestamp(float(row["occurred_at"]), UTC),
        row["body"],
    )


class SqlOutbox:
    """The outbox's statements in one store's dialect: rows inserted in the events'
    transaction, read by the sender in ``id`` order."""

    def __init__(
        self, table: str, p: str, id_column: str, reading: Callable[[], AbstractContextManager[Any]]
    ) -> None:
        self.table, self.p, self.reading = table, p, reading
        self.insert = (
            f"INSERT INTO {table} ({', '.join(OUTBOX_COLUMNS)}) "
            f"VALUES ({', '.join([p] * len(OUTBOX_COLUMNS))})"
        )
        self.create_statements = [
            f"CREATE TABLE IF NOT EXISTS {table} ({id_column}, notice_key TEXT NOT NULL UNIQUE, "
            "kind TEXT NOT NULL, subject_id TEXT NOT NULL, campaign_id TEXT, "
            "occurred_at DOUBLE PRECISION NOT NULL, body TEXT NOT NULL)"
        ]

    def write(self, cursor: Any, notices: Sequence[Notice]) -> None:
        if notices:
            cursor.executemany(self.insert, [outbox_row(n) for n in notices])

    def select(self, after_id: int, limit: int) -> list[tuple[int, Notice]]:
        require_limit(limit)
        with self.reading() as cursor:
            cursor.execute(
                f"SELECT * FROM {self.table} WHERE id > {self.p} ORDER BY id LIMIT {self.p}",
                (after_id, limit),
            )
            return [notice_of(r) for r in cursor.fetchall()]


class MemoryOutbox:
    """The outbox of the in-memory store (tests), kept under the recorder's lock."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.rows: list[tuple[int, Notice]] = []
        self.keys: set[str] = set()

    def check(self, notices: Sequence[Notice]) -> None:
        keys = [n.key for n in notices]
        if len(set(keys)) < len(keys) or self.keys.intersection(keys):
            raise IntegrityError(f"notice already in the outbox: {sorted(self.keys & set(keys))}")

    def write(self, notices: Sequence[Notice]) -> None:
        for n in notices:
            self.rows.append((len(self.rows) + 1, n))
            self.keys.add(n.key)

    def select(self, after_id: int, limit: int) -> list[tuple[int, Notice]]:
        require_limit(limit)
        with self.lock:
            return [row for row in self.rows if row[0] > after_id][:limit]


class SQLiteRosterRecorder(SQLiteApplicationRecorder):
    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events") -> None:
        # Before the library's constructor, which asks for the create statements.
        self.roster = SqlRoster(
            TABLE,
            "?",
            "position INTEGER PRIMARY KEY",
            lambda: datastore.transaction(commit=False),
            lambda: datastore.transaction(commit=True),
        )
        self.outbox = SqlOutbox(
            OUTBOX_TABLE, "?", "id INTEGER PRIMARY KEY", lambda: datastore.transaction(commit=False)
        )
        super().__init__(datastore, events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            *self.roster.create_statements,
            *self.outbox.create_statements,
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        self.roster.write(c, entries_in(kwargs))
        self.outbox.write(c, outbox_in(kwargs))
        return super()._insert_events(c, stored_events, **kwargs)

    def select_outbox(self, after_id: int, limit: int) -> list[tuple[int, Notice]]:
        """The outbox's notices after ``after_id``, oldest first, at most ``limit``."""
        return self.outbox.select(after_id, limit)


class PostgresRosterRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, events_table_name: str = "stored_events") -> None:
        if datastore.enable_db_functions:  # its insert bypasses ``_insert_events``: no roster
            raise ValueError("the roster needs POSTGRES_ENABLE_DB_FUNCTIONS unset")
        super().__init__(datastore, events_table_name=events_table_name)
        # Reads on the pool's autocommit connection, as the library reads events: a read
        # transaction would end in ROLLBACK, which makes psycopg drop every prepared statement.
        self.roster = SqlRoster(
            f'"{datastore.schema}".{TABLE}',
            "%s",
            "position BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            datastore.cursor,
            lambda: datastore.transaction(commit=True),
        )
        self.sql_create_statements.extend(SQL(s).format() for s in self.roster.create_statements)
        self.outbox = SqlOutbox(
            f'"{datastore.schema}".{OUTBOX_TABLE}',
            "%s",
            "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            datastore.cursor,
        )
        self.sql_create_statements.extend(SQL(s).format() for s in self.outbox.create_statements)

    def select_outbox(self, after_id: int, limit: int) -> list[tuple[int, Notice]]:
        """The outbox's notices after ``after_id``, oldest first, at most ``limit``."""
        return self.outbox.select(after_id, limit)

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """The library's insert (lock the events table, notify, insert), with the roster
        written once the lock is held: positions are then handed out in commit order (a
        reader paging by position never passes over one committed later), and no writer
        holds the lock while it waits on another's uncommitted claim. Pipelined: a violated
        claim surfaces at the recorder's sync. The outbox likewise, so its ids too are handed
        out in commit order (the sender pages by id)."""
        self._lock_table(curs)
        self.roster.write(curs, entries_in(kwargs))
        self.outbox.write(curs, outbox_in(kwargs))
        self._notify_channel(curs)
        PostgresAggregateRecorder._insert_stored_events(self, curs, stored_events, **kwargs)


class MemoryRoster:
    """The roster of the in-memory store (tests), kept under the recorder's lock."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.rows: dict[str, tuple[int, RosterEntry]] = {}
        self.claims: dict[tuple[str, str], str] = {}
        self.last = 0
        self.done = False

    def check(self, entries: Sequence[RosterEntry]) -> None:
        for e in entries:
            holder = self.claims.get((e.campaign_id, e.nominee_key))
            if e.claims_nominee and holder not in (None, e.nomination_id):
                raise IntegrityError(f"nominee {e.nominee_key} already claimed by {holder}")

    def write(self, entries: Sequence[RosterEntry]) -> None:
        for e in entries:
            position, old = self.rows.get(e.nomination_id, (0, None))
            if old is not None and old.version >= e.version:
                continue
            if not position:
                self.last += 1
                position = self.last
            self.rows[e.nomination_id] = (position, e)
            key = (e.campaign_id, e.nominee_key)
            if e.claims_nominee:
                self.claims[key] = e.nomination_id
            elif self.claims.get(key) == e.nomination_id:
                del self.claims[key]

    def _all(self) -> list[tuple[int, RosterEntry]]:
        with self.lock:
            rows = sorted(self.rows.values(), key=lambda row: row[0])
        return [(position, replace(e, position=position)) for position, e in rows]

    def entries(
        self,
        campaign_id: str,
        *,
        category: str | None = None,
        states: Sequence[str] | None = None,
        after: int = 0,
        limit: int | None = None,
    ) -> RosterPage:
        require_limit(limit)
        wanted = None if states is None else {str(s) for s in states}
        rows = [
            (position, e)
            for position, e in self._all()
            if e.campaign_id == campaign_id
            and position > after
            and (category is None or e.category == category)
            and (wanted is None or e.state in wanted)
        ]
        if limit is not None and len(rows) > limit:
            return RosterPage([e for _, e in rows[:limit]], rows[limit - 1][0])
        return RosterPage([e for _, e in rows], None)

    def claimant(self, campaign_id: str, key: str) -> str | None:
        with self.lock:
            return self.claims.get((campaign_id, key))

    def counts(self, campaign_id: str) -> dict[str, int]:
        counted: dict[str, int] = {}
        for _, e in self._all():
            if e.campaign_id == campaign_id:
                counted[e.category] = counted.get(e.category, 0) + 1
        return counted

    def units(self, campaign_id: str, *, nominees: bool = True) -> set[str]:
        return {
            u
            for _, e in self._all()
            if e.campaign_id == campaign_id
            for u in (e.declaring_unit_id, *([e.nominee_unit_id] if nominees else []))
        }

    def touching(self, units: Collection[str], states: Sequence[str]) -> list[RosterEntry]:
        wanted, moved = {str(s) for s in states}, set(units)
        return [
            e
            for _, e in self._all()
            if e.state in wanted and (e.declaring_unit_id in moved or e.nominee_unit_id in moved)
        ]

    def holders(
        self, units: Collection[str], category: str | None = None, *, in_force: bool = True
    ) -> list[RosterEntry]:
        wanted = set(units)
        return [
            e
            for _, e in self._all()
            if category in (None, e.category)
            and e.nominee_unit_id in wanted
            and (e.title_active or (not in_force and e.state == NominationState.REVOKED))
        ]

    def complete(self) -> bool:
        return True  # nothing is stored before an in-memory store exists

    def backfill(self, entries: Sequence[RosterEntry], *, done: bool = False) -> None:
        with self.lock:
            self.write(entries)


class POPORosterRecorder(POPOApplicationRecorder):
    def __init__(self) -> None:
        super().__init__()
        self.roster = MemoryRoster(self._database_lock)
        self.outbox = MemoryOutbox(self._database_lock)

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        entries, notices = entries_in(kwargs), outbox_in(kwargs)
        with self._database_lock:
            self.roster.check(entries)
            self.outbox.check(notices)
            notification_ids = super()._insert_events(stored_events, **kwargs)
            self.roster.write(entries)
            self.outbox.write(notices)
            return notification_ids

    def select_outbox(self, after_id: int, limit: int) -> list[tuple[int, Notice]]:
        """The outbox's notices after ``after_id``, oldest first, at most ``limit``."""
        return self.outbox.select(after_id, limit)
