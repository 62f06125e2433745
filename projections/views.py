"""Every read model behind one object: the API and the CLI ask it, the runner keeps it current.

Reads first project what is pending (bounded), so a client reads its own writes even when no
separate runner process is running; with one running (``laurel projections run``), the
tracking check lets both work on the same views without ever applying an event twice. An
event a read model cannot store is set aside by the runner (``failures``), never raised into a
read. After each catch-up the audit chain is checkpointed when due (``audit_anchor``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.actors import Actor
from domain.audit_checkpoints import AUDIT_ID, NothingToCheckpointError
from projections.audit import AuditEntry, AuditLog
from projections.audit_anchor import AuditAnchor
from projections.audit_reader import AuditReader, Verification
from projections.catalog import NAMES, PROJECTIONS, instances, select
from projections.checkpoints import Checkpoint, Signer, key_id, public_key_pem
from projections.dashboard import DashboardReader
from projections.failures import FailureReader
from projections.parallel import groups_of, rebuild_group, rebuild_in_processes
from projections.ranking import RankingReader
from projections.rollup import RollupReader
from projections.runner import Progress, Runner
from projections.store import ViewStore
from projections.titles import TitleReader

VERIFY_SUFFIX = "__verify"
# Events per transaction in a rebuild (fewer commits; ~100 MB of rows at most).
REBUILD_BATCH = 20_000


@dataclass(frozen=True)
class TableDifference:
    projection: str
    table: str
    live_rows: int
    rebuilt_rows: int
    first_difference: Any

    def public(self) -> dict[str, Any]:
        return dict(self.__dict__, first_difference=str(self.first_difference))


class Views:
    """``opener`` (picklable, opens another application on the same store) lets a rebuild run
    its projections in processes of their own; without it a rebuild runs in this process.
    ``signer`` signs the audit chain's checkpoints, every ``checkpoint_every`` positions."""

    def __init__(
        self,
        app: Any,
        *,
        catch_up_limit: int = 50_000,
        batch_size: int = 1000,
        opener: Callable[[], Any] | None = None,
        signer: Signer | None = None,
        checkpoint_every: int = 1000,
    ) -> None:
        self.app = app
        self.opener = opener
        self.store = ViewStore(app.recorder)
        self.mapper = app.mapper
        self.batch_size = batch_size
        self.catch_up_limit = catch_up_limit
        self.audit = AuditReader(self.store, self.mapper)
        self.anchor = AuditAnchor(app, self.store, self.audit, signer, checkpoint_every)
        self.runner = Runner(
            self.store, self.mapper, instances(PROJECTIONS, self.anchor.book), batch_size=batch_size
        )
        self.runner.setup()
        self._failures = FailureReader(self.store)
        self._dashboards = DashboardReader(self.store, self.mapper)
        self._rankings = RankingReader(self.store)
        self._rollups = RollupReader(self.store)
        self._titles = TitleReader(self.store)

    # --- keeping current -------------------------------------------------------------------

    def catch_up(self, max_events: int | None = None) -> int:
        done = self.runner.catch_up(
            max_events=max_events if max_events is not None else self.catch_up_limit
        )
        if done:  # a read recomputes no more than it would project
            self.anchor.sign_when_due(budget=self.catch_up_limit)
        return done

    def positions(self) -> dict[str, int]:
        return self.runner.positions()

    def lag(self) -> dict[str, int]:
        """Notifications not yet projected, per projection (re-read from the database)."""
        head = self.store.max_notification_id()
        return {
            name: max(0, head - position) for name, position in self.runner.committed_positions().items()
        }

    def follow(
        self, stopping: Any, on_batch: Callable[[int], None] | None = None, poll_seconds: float = 0.2
    ) -> None:
        def after_batch(done: int) -> None:
            if done:
                self.anchor.sign_when_due()
            if on_batch is not None:
                on_batch(done)

        self.runner.follow(stopping, on_batch=after_batch, poll_seconds=poll_seconds)

    def failures(self) -> list[dict[str, Any]]:
        """The events a read model could not store and moved past, oldest first."""
        return self._failures.failures(NAMES)

    def failure_counts(self) -> dict[str, int]:
        """Per read model, how many events it set aside (for ``/metrics``; read at scrape time)."""
        return self._failures.counts(NAMES)

    def halted(self) -> dict[str, str]:
        """Read models this process's runner stopped before an event they must not pass."""
        return dict(self.runner.halted)

    def rebuild(
        self,
        names: Sequence[str] | None = None,
        progress: Callable[[Progress], None] | None = None,
        batch_size: int = REBUILD_BATCH,
        processes: bool = True,
    ) -> int:
        """Empties the named read models and projects them again from position zero, the
        groups of ``parallel.GROUPS`` in processes of their own when there is more than one
        (and an ``opener``, and ``processes``); returns how many notifications were read.

        The audit chain is rebuilt only from a log that still reproduces every signed
        checkpoint: otherwise ``CheckpointContradictedError`` is raised before any table is
        touched (the live audit log stays as it was)."""
        groups = groups_of(select(names))
        if any(AuditLog in g for g in groups):
            self.anchor.preflight()
        try:
            # In memory, another process would see another database.
            if processes and self.opener is not None and len(groups) > 1 and not self.store.in_memory:
                trusted = self.anchor.trusted() if self.anchor.book.checkpoints() else None
                return rebuild_in_processes(
                    self.opener, groups, batch_size, progress, tuple(trusted) if trusted else None
                )
            return rebuild_group(
                Runner(
                    self.store,
                    self.mapper,
                    instances([p for g in groups for p in g], self.anchor.book),
                    batch_size=batch_size,
                ),
                progress,
            )
        finally:
            self.runner.resume()  # the shared runner re-reads its positions and drops its cache

    def rebuild_and_compare(
        self,
        names: Sequence[str] | None = None,
        progress: Callable[[Progress], None] | None = None,
        batch_size: int = REBUILD_BATCH,
    ) -> list[TableDifference]:
        """Rebuilds into twin tables (``…__verify``) up to the live position and compares every
        row of every table; returns the tables that differ (none: the live views are sound)."""
        chosen = select(names)
        live = Runner(
            self.store, self.mapper, instances(chosen, self.anchor.book), batch_size=batch_size
        )
        twin = Runner(
            self.store,
            self.mapper,
            instances(chosen, self.anchor.book),
            suffix=VERIFY_SUFFIX,
            batch_size=batch_size,
        )
        twin.drop()
        twin.setup()
        twin.without_secondary_indexes()  # the twin is read once, in key order
        try:
            for _attempt in range(5):
                live.catch_up()
                target = live.position()
                twin.catch_up(stop=target, progress=progress)
                with self.store.transaction(commit=False) as sql:
                    if min(live.committed_positions().values()) != target:  # moved on meanwhile
                        continue
                    return [
                        d
                        for p in chosen
                        for t in p.tables
                        if (d := self._compare(sql, p.name, t)) is not None
                    ]
            raise RuntimeError(
                "the live views kept moving; try again when the load is lower"
                " / 实时视图持续变化，请稍后重试"
            )
        finally:
            twin.drop()

    def _compare(self, sql: Any, projection: str, table: Any) -> TableDifference | None:
        order = ", ".join(table.key)
        live = sql.rows(f"SELECT * FROM {self.store.table(table)} ORDER BY {order}")
        rebuilt = sql.rows(f"SELECT * FROM {self.store.table(table, VERIFY_SUFFIX)} ORDER BY {order}")
        if live == rebuilt:
            return None
        first = next((table.key_of(a) for a, b in zip(live, rebuilt, strict=False) if a != b), None)
        if first is None:
            longer = live if len(live) > len(rebuilt) else rebuilt
            first = table.key_of(longer[min(len(live), len(rebuilt))])
        return TableDifference(projection, table.name, len(live), len(rebuilt), first)

    # --- reads -----------------------------------------------------------------------------

    def dashboard(self, campaign_id: str, as_of: datetime | None = None) -> dict[str, Any] | None:
        self.catch_up()
        if as_of is not None:
            return self._dashboards.as_of(campaign_id, as_of)
        return self._dashboards.current(campaign_id, self.app.clock(), self.audit.last_position())

    def ranking(self, campaign_id: str, category: str) -> dict[str, Any] | None:
        self.catch_up()
        return self._rankings.ranking(campaign_id, category)

    def rollup(self, unit_id: str, campaign_id: str | None = None) -> dict[str, Any] | None:
        self.catch_up()
        return self._rollups.rollup(unit_id, campaign_id)

    def titles(self, **filters: Any) -> list[dict[str, Any]]:
        self.catch_up()
        return self._titles.titles(**filters)

    def title_ids(self, campaign_id: str, category: str, **filters: Any) -> list[str]:
        self.catch_up()
        return self._titles.ids(campaign_id, category, **filters)

    def audit_entries(
        self, after: int = 0, limit: int = 100, within: str | None = None
    ) -> list[AuditEntry]:
        """The log in its global order, or (``within`` a unit) the entries of that unit's subtree."""
        self.catch_up()
        if within is None:
            return self.audit.entries(after, limit)
        scope = self.audit.scope_of(within)
        return self.audit.entries(after, limit, scope) if scope else []

    def positions_of(self, subject: str) -> dict[int, tuple[int, str]]:
        self.catch_up()
        return self.audit.of_subject(subject)

    def max_position(self) -> int:
        self.catch_up()
        return self.audit.last_position()

    def verify(
        self, checkpoints: Sequence[Checkpoint] = (), public_keys: Sequence[str] = ()
    ) -> Verification:
        """The chain against the stored events, every stored checkpoint and the auditor's
        (``checkpoints``, trusted with this instance's key and ``public_keys``)."""
        self.catch_up()
        return self.audit.verify(self.anchor.anchoring(checkpoints, public_keys))

    def export(self) -> Iterator[dict[str, Any]]:
        self.catch_up()
        return self.audit.export()

    # --- checkpoints -----------------------------------------------------------------------

    def checkpoint(self, actor: Actor) -> tuple[Checkpoint, bool]:
        """Signs the chain's head now (``False``: it was signed already)."""
        self.catch_up()
        return self.anchor.sign(actor)

    def checkpoints(self) -> list[dict[str, Any]]:
        """Every stored checkpoint, with the position its own event holds in the log."""
        self.catch_up()
        logged = self.audit.of_subject(str(AUDIT_ID))
        return [
            dict(c.public(), logged_position=logged.get(version, (None,))[0])
            for version, c in self.anchor.book.entries()
        ]

    def public_key(self) -> dict[str, str]:
        """The key checkpoints are signed with (its PEM, its id)."""
        if self.anchor.signer is None:
            raise NothingToCheckpointError("no signing key is configured", "未配置签名密钥")
        raw = self.anchor.signer.public_key()
        return {"key_id": key_id(raw), "public_key": public_key_pem(raw)}
