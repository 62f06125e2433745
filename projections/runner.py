"""Runs projections over the notification log in batches.

Each batch is one transaction: the projections' tracking positions move first, conditionally on
still being where this runner last left them (``UPDATE … WHERE position = old``), then the
view rows are written. A crash anywhere loses the whole batch and nothing else, so a restart
neither skips nor double-counts; two runners on the same views never both apply an event (the
loser of the tracking update rolls back and re-reads). The library's own ``ProjectionRunner``
commits once per event (about 1,000 events/s here); batching is what makes a rebuild of a
million events take seconds, not minutes.

A batch that fails for a reason of its own (not the database's: see ``failures.blameless``) is
projected again in one transaction, each event's rows for each read model inside a savepoint:
an event a read model cannot store is rolled back to its savepoint, recorded in
``v_projection_failures`` and passed over by that read model alone. The others, the audit
chain among them, and the later events of the same read model are projected and committed
with the same tracking check. A projection that must not move past an event
(``ProjectionHaltedError``) stays where it stands and is left out of this runner's batches
until it is reset; the others go on. The batched path stays the normal one."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from projections import failures
from projections.failures import FAILURES, blameless
from projections.projection import Projection, ProjectionHaltedError
from projections.rows import BatchRows, RowCache
from projections.schema import TRACKING
from projections.store import Sql, ViewStore
from projections.wakeup import Wakeup, for_store

# At most this many events projected inside a write transaction (SQLite's lock is held meanwhile).
LOCKED_BATCH = 5000


class StaleRunnerError(Exception):
    """Another runner moved a tracking position first; re-read and go on."""


@dataclass(frozen=True)
class Progress:
    processed: int
    position: int
    target: int


class Runner:
    def __init__(
        self,
        store: ViewStore,
        mapper: Any,
        projections: Sequence[Projection],
        *,
        suffix: str = "",
        batch_size: int = 1000,
    ) -> None:
        self.store, self.mapper, self.projections = store, mapper, list(projections)
        self.suffix, self.batch_size = suffix, batch_size
        self.cache = RowCache()
        self._positions: dict[str, int] | None = None
        self.halted: dict[str, str] = {}  # projection -> why it stopped (until reset)
        self.lock = threading.Lock()

    def tracking_name(self, projection: Projection) -> str:
        return f"{projection.name}{self.suffix}"

    def setup(self) -> None:
        self.store.create([TRACKING, FAILURES])
        for p in self.projections:
            if self.store.reshaped(
                p.tables, self.suffix
            ):  # an upgrade changed its columns: rebuilt from zero
                with self.store.transaction() as sql:
                    for table in p.tables:
                        sql.execute(f"DROP TABLE IF EXISTS {self.store.table(table, self.suffix)}")
                    sql.execute(
                        f"UPDATE {self.store.table(TRACKING)} SET position = 0 WHERE projection = ?",
                        (self.tracking_name(p),),
                    )
                    failures.forget(sql, self.store.ns, self.tracking_name(p))
                failures.log.warning(
                    "a read model's tables changed shape; it is projected again from position zero",
                    projection=p.name,
                )
        self.store.create([t for p in self.projections for t in p.tables], self.suffix)
        with self.store.transaction() as sql:
            sql.executemany(
                TRACKING.insert_missing_statement(ns=self.store.ns),
                [[self.tracking_name(p), 0] for p in self.projections],
            )

    def committed_positions(self) -> dict[str, int]:
        """The tracking rows as committed now (read-only: this runner's state is untouched)."""
        rows = self.store.rows(f"SELECT projection, position FROM {self.store.table(TRACKING)}")
        found = {r["projection"]: int(r["position"]) for r in rows}
        return {p.name: found.get(self.tracking_name(p), 0) for p in self.projections}

    def positions(self) -> dict[str, int]:
        """Where this runner stands. Re-read from the database only together with forgetting the
        row cache: cached rows are valid only at the positions this runner itself committed."""
        if self._positions is None:
            self.cache.clear()
            self._positions = self.committed_positions()
            for p in self.projections:
                p.prepare()
        return dict(self._positions)

    def position(self) -> int:
        return min(self.positions().values(), default=0)

    def _forget(self) -> None:
        self.cache.clear()
        self._positions = None

    def resume(self) -> None:
        """Forgets what this runner knew, halts included: after a rebuild by another runner."""
        self.halted.clear()
        self._forget()

    def run_batch(self, *, stop: int | None = None, limit: int | None = None) -> int:
        """Projects the next batch (up to ``stop`` when given); returns how many notifications it read.

        With a complete cache (a rebuild from empty tables) the batch is projected before the
        write transaction opens, which then only checks the tracking rows and writes: on SQLite
        another process's rebuild can project meanwhile instead of waiting for the write lock."""
        positions = self.positions()
        active = [p for p in self.projections if p.name not in self.halted]
        if not active:
            return 0
        start = min(positions[p.name] for p in active)
        if stop is not None and start >= stop:
            return 0
        size = limit or (self.batch_size if self.cache.complete else min(self.batch_size, LOCKED_BATCH))
        notifications = self.store.log(start + 1, size, stop=stop)
        if not notifications:
            return 0
        try:
            try:
                moved = self._batched(notifications, positions, active)
            except StaleRunnerError:
                raise
            except Exception as exc:
                if blameless(exc):
                    raise
                failures.log.warning(
                    "a batch failed; projecting it again event by event",
                    error=type(exc).__name__,
                    first=notifications[0].id,
                    last=notifications[-1].id,
                )
                moved = self._isolated(notifications, positions, active)
        except StaleRunnerError:
            self._forget()  # another runner moved first; re-read (and re-create a missing tracking row)
            with self.store.transaction() as sql:
                sql.executemany(
                    TRACKING.insert_missing_statement(ns=self.store.ns),
                    [[self.tracking_name(p), 0] for p in self.projections],
                )
            return len(notifications)
        except BaseException:
            self._forget()
            raise
        self._positions = {**positions, **moved}
        self.cache.trim()
        return len(notifications)

    def _batched(
        self, notifications: Sequence[Any], positions: dict[str, int], active: list[Projection]
    ) -> dict[str, int]:
        """The normal path: the whole batch in one transaction, one write per table."""
        last = notifications[-1].id
        if self.cache.complete:
            rows = BatchRows(None, self.cache, self.suffix, self.store.ns)
            try:
                self._project(rows, notifications, positions, active)
                with self.store.transaction() as sql:
                    self._move_tracking(sql, positions, active, last)
                    rows.flush(sql)
            except BaseException:
                rows.discard()
                raise
        else:
            with self.store.transaction() as sql:
                self._move_tracking(sql, positions, active, last)
                rows = BatchRows(sql, self.cache, self.suffix, self.store.ns)
                try:
                    self._project(rows, notifications, positions, active)
                    rows.flush(sql)
                except BaseException:
                    rows.discard()
                    raise
        return {
            p.name: max(positions[p.name], last) for p in active
        }  # one already past the batch stays there

    def _isolated(
        self, notifications: Sequence[Any], positions: dict[str, int], active: list[Projection]
    ) -> dict[str, int]:
        """The batch again, each (event, projection) in a savepoint of its own: what fails is
        rolled back to its savepoint and recorded, everything else commits together."""
        last = notifications[-1].id
        moved = {p.name: max(positions[p.name], last) for p in active}
        halted: dict[str, str] = {}
        recorded: list[dict[str, Any]] = []
        decode = self.mapper.to_domain_event
        with self.store.transaction() as sql:
            self._move_tracking(sql, positions, active, last)
            for notification in notifications:
                event = None
                for p in active:
                    if (
                        p.name in halted
                        or notification.id <= positions[p.name]
                        or not p.wants(notification.topic)
                    ):
                        continue
                    rows = BatchRows(sql, self.cache, self.suffix, self.store.ns)
                    sql.execute("SAVEPOINT laurel_event")
                    try:
                        if event is None and p.decodes(notification):
                            event = decode(notification)
                        p.apply(rows, event, notification)
                        rows.flush(sql)
                    except Exception as exc:
                        if blameless(exc):
                            raise
                        sql.execute("ROLLBACK TO SAVEPOINT laurel_event")
                        rows.discard()
                        recorded.append(
                            failures.record(sql, self.store.ns, self.tracking_name(p), notification, exc)
                        )
                        if isinstance(exc, ProjectionHaltedError):
                            halted[p.name], moved[p.name] = str(exc), notification.id - 1
                    sql.execute("RELEASE SAVEPOINT laurel_event")
            for p in active:
                if p.name in halted:  # it stays before the event that halted it
                    sql.execute(
                        f"UPDATE {self.store.table(TRACKING)} SET position = ? WHERE projection = ?",
                        (moved[p.name], self.tracking_name(p)),
                    )
        failures.report(recorded)
        self.halted.update(halted)
        return moved

    def _move_tracking(
        self, sql: Sql, positions: dict[str, int], active: list[Projection], last: int
    ) -> None:
        for p in active:
            old = positions[p.name]
            if (
                old < last
                and sql.execute(
                    f"UPDATE {self.store.table(TRACKING)} SET position = ?"
                    " WHERE projection = ? AND position = ?",
                    (last, self.tracking_name(p), old),
                )
                != 1
            ):
                raise StaleRunnerError(p.name)

    def _project(
        self,
        rows: BatchRows,
        notifications: Sequence[Any],
        positions: dict[str, int],
        active: list[Projection],
    ) -> None:
        """Each notification to each projection past it that wants its topic, decoding it once
        and only when one needs the event."""
        decode = self.mapper.to_domain_event
        for notification in notifications:
            event = None
            for p in active:
                if notification.id > positions[p.name] and p.wants(notification.topic):
                    if event is None and p.decodes(notification):
                        event = decode(notification)
                    p.apply(rows, event, notification)

    def catch_up(
        self,
        *,
        stop: int | None = None,
        max_events: int | None = None,
        progress: Callable[[Progress], None] | None = None,
    ) -> int:
        """Projects until nothing is pending (or ``stop``/``max_events`` is reached)."""
        target = 0  # only a progress report needs it: a read's catch-up skips the query
        if progress is not None:
            target = stop if stop is not None else self.store.max_notification_id()
        done = 0
        with self.lock:
            while max_events is None or done < max_events:
                read = self.run_batch(stop=stop)
                if not read:
                    break
                done += read
                if progress is not None:
                    progress(Progress(done, self.position(), max(target, self.position())))
        return done

    def follow(
        self,
        stopping: threading.Event,
        *,
        poll_seconds: float = 0.2,
        wake: Wakeup | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        """Follows the log live until ``stopping`` is set: projects in batches until nothing is
        pending, then waits on ``wake`` (by default the store's own, ``wakeup.for_store``;
        one passed in stays open)."""
        waiter = wake or for_store(self.store, poll_seconds=poll_seconds)
        try:
            while not stopping.is_set():
                done = self.catch_up(max_events=self.batch_size * 10)
                if on_batch is not None:
                    on_batch(done)
                if not done:
                    waiter.wait(stopping)
        finally:
            if wake is None:
                waiter.close()

    def reset(self) -> None:
        """Empties this runner's tables and puts its tracking back to zero, in one transaction."""
        with self.lock:
            with self.store.transaction() as sql:
                for p in self.projections:
                    for table in p.tables:
                        sql.execute(f"DELETE FROM {self.store.table(table, self.suffix)}")
                    sql.execute(
                        f"UPDATE {self.store.table(TRACKING)} SET position = 0 WHERE projection = ?",
                        (self.tracking_name(p),),
                    )
                    failures.forget(sql, self.store.ns, self.tracking_name(p))
            self.resume()
            self.cache.clear(tables_empty=True)
            self._positions = {
                p.name: 0 for p in self.projections
            }  # as committed here: a runner that moved since fails the tracking check
            for p in self.projections:
                p.prepare()

    def without_secondary_indexes(self) -> None:
        """Drops the secondary indexes (a rebuild from zero writes faster without them);
        ``with_secondary_indexes`` puts them back, and so does ``setup`` after a crash."""
        with self.store.transaction() as sql:
            for table in (t for p in self.projections for t in p.tables):
                for statement in table.drop_index_statements(self.suffix, self.store.ns):
                    sql.execute(statement)

    def with_secondary_indexes(self) -> None:
        with self.store.transaction() as sql:
            for table in (t for p in self.projections for t in p.tables):
                for statement in table.index_statements(self.suffix, self.store.ns):
                    sql.execute(statement)

    def drop(self) -> None:
        with self.lock:
            self.store.drop([t for p in self.projections for t in p.tables], self.suffix)
            with self.store.transaction() as sql:
                for p in self.projections:
                    sql.execute(
                        f"DELETE FROM {self.store.table(TRACKING)} WHERE projection = ?",
                        (self.tracking_name(p),),
                    )
                    failures.forget(sql, self.store.ns, self.tracking_name(p))
            self.resume()
            self.cache.clear(tables_empty=True)  # setup() creates them empty
            self._positions = {
                p.name: 0 for p in self.projections
            }  # as committed here: a runner that moved since fails the tracking check
