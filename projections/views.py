"""Every read model behind one object: the API and the CLI ask it, the runner keeps it current.

Reads first project what is pending (bounded), so a client reads its own writes even when no
separate runner process is running; with one running (``laurel projections run``), the
tracking check lets both work on the same views without ever applying an event twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections.audit import AuditEntry, AuditLog, AuditReader, Verification
from projections.campaigns import CampaignBoard
from projections.dashboard import DashboardReader
from projections.parallel import groups_of, rebuild_group, rebuild_in_processes
from projections.projection import Projection
from projections.ranking import RankingReader
from projections.rollup import RollupReader
from projections.runner import Progress, Runner
from projections.store import ViewStore
from projections.titles import TitleReader, TitleRegister

PROJECTIONS: tuple[type[Projection], ...] = (AuditLog, CampaignBoard, TitleRegister)
NAMES = tuple(p.name for p in PROJECTIONS)
VERIFY_SUFFIX = "__verify"
REBUILD_BATCH = 20_000  # events per transaction in a rebuild (fewer commits; ~100 MB of rows at most)


class UnknownProjectionError(ValueError):
    pass


@dataclass(frozen=True)
class TableDifference:
    projection: str
    table: str
    live_rows: int
    rebuilt_rows: int
    first_difference: Any

    def public(self) -> dict[str, Any]:
        return dict(self.__dict__, first_difference=str(self.first_difference))


def select(names: Sequence[str] | None) -> list[type[Projection]]:
    if not names:
        return list(PROJECTIONS)
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise UnknownProjectionError(f"unknown projection(s) {', '.join(unknown)}; known: {', '.join(NAMES)} / 未知的投影")
    return [p for p in PROJECTIONS if p.name in names]


class Views:
    """``opener`` (picklable, opens another application on the same store) lets a rebuild run
    its projections in processes of their own; without it a rebuild runs in this process."""

    def __init__(self, app: Any, *, catch_up_limit: int = 50_000, batch_size: int = 1000, opener: Callable[[], Any] | None = None) -> None:
        self.app = app
        self.opener = opener
        self.store = ViewStore(app.recorder)
        self.mapper = app.mapper
        self.batch_size = batch_size
        self.catch_up_limit = catch_up_limit
        self.runner = Runner(self.store, self.mapper, [p() for p in PROJECTIONS], batch_size=batch_size)
        self.runner.setup()
        self.audit = AuditReader(self.store, self.mapper)
        self._dashboards = DashboardReader(self.store, self.mapper)
        self._rankings = RankingReader(self.store)
        self._rollups = RollupReader(self.store)
        self._titles = TitleReader(self.store)

    # --- keeping current -------------------------------------------------------------------

    def catch_up(self, max_events: int | None = None) -> int:
        return self.runner.catch_up(max_events=max_events if max_events is not None else self.catch_up_limit)

    def positions(self) -> dict[str, int]:
        return self.runner.positions()

    def lag(self) -> dict[str, int]:
        """Notifications not yet projected, per projection (re-read from the database)."""
        head = self.store.max_notification_id()
        return {name: max(0, head - position) for name, position in self.runner.committed_positions().items()}

    def follow(self, stopping: Any, on_batch: Callable[[int], None] | None = None, poll_seconds: float = 0.2) -> None:
        self.runner.follow(stopping, on_batch=on_batch, poll_seconds=poll_seconds)

    def rebuild(self, names: Sequence[str] | None = None, progress: Callable[[Progress], None] | None = None, batch_size: int = REBUILD_BATCH, processes: bool = True) -> int:
        """Empties the named read models and projects them again from position zero, the
        groups of ``parallel.GROUPS`` in processes of their own when there is more than one
        (and an ``opener``, and ``processes``); returns how many notifications were read."""
        groups = groups_of(select(names))
        try:
            if processes and self.opener is not None and len(groups) > 1 and not self.store.in_memory:  # another process would see another database
                return rebuild_in_processes(self.opener, groups, batch_size, progress)
            return rebuild_group(Runner(self.store, self.mapper, [p() for g in groups for p in g], batch_size=batch_size), progress)
        finally:
            self.runner._forget()  # noqa: SLF001 - the shared runner re-reads its positions and drops its cache

    def rebuild_and_compare(self, names: Sequence[str] | None = None, progress: Callable[[Progress], None] | None = None, batch_size: int = REBUILD_BATCH) -> list[TableDifference]:
        """Rebuilds into twin tables (``…__verify``) up to the live position and compares every
        row of every table; returns the tables that differ (none: the live views are sound)."""
        chosen = select(names)
        live = Runner(self.store, self.mapper, [p() for p in chosen], batch_size=batch_size)
        twin = Runner(self.store, self.mapper, [p() for p in chosen], suffix=VERIFY_SUFFIX, batch_size=batch_size)
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
                    return [d for p in chosen for t in p.tables if (d := self._compare(sql, p.name, t)) is not None]
            raise RuntimeError("the live views kept moving; try again when the load is lower / 实时视图持续变化，请稍后重试")
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

    def audit_entries(self, after: int = 0, limit: int = 100) -> list[AuditEntry]:
        self.catch_up()
        return self.audit.entries(after, limit)

    def positions_of(self, subject: str) -> dict[int, tuple[int, str]]:
        self.catch_up()
        return self.audit.of_subject(subject)

    def max_position(self) -> int:
        self.catch_up()
        return self.audit.last_position()

    def verify(self) -> Verification:
        self.catch_up()
        return self.audit.verify()

    def export(self) -> Iterator[dict[str, Any]]:
        self.catch_up()
        return self.audit.export()
