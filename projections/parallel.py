"""A rebuild spread over processes: one per group of projections, each with its own runner,
tracking rows and row cache, reading the same log. Python projects one event at a time on one
core; the audit chain and the campaign board share nothing, so two cores rebuild them side by
side (on SQLite each process projects outside its write transaction: see ``Runner.run_batch``).

The parent only waits and reports: every child opens its own application through ``opener``
(a picklable callable, e.g. ``functools.partial(Laurel, env=…)``), because connections must
not cross a process boundary. A child that fails stops the others; whatever batches were
committed stay consistent (each batch moves its tracking row with it), and the next runner
carries on from there."""

from __future__ import annotations

import multiprocessing
import queue
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from projections.catalog import instances, select
from projections.checkpoints import CheckpointBook
from projections.projection import Projection
from projections.runner import Progress, Runner
from projections.store import ViewStore

# The audit chain alone; the campaign board with the title register (both decode the same
# nomination events, which a shared process decodes once).
GROUPS: tuple[tuple[str, ...], ...] = (("audit",), ("campaigns", "titles"))


def groups_of(chosen: Sequence[type[Projection]]) -> list[list[type[Projection]]]:
    """The chosen projections by ``GROUPS``; one ungrouped projection is a group of its own."""
    names = {p.name: p for p in chosen}
    found = [[names[n] for n in group if n in names] for group in GROUPS]
    grouped = {p.name for g in found for p in g}
    return [g for g in found if g] + [[p] for p in chosen if p.name not in grouped]


class RebuildFailedError(RuntimeError):
    pass


def rebuild_group(runner: Runner, progress: Callable[[Progress], None] | None = None) -> int:
    """Empties the runner's read models and projects them again from position zero; the
    secondary indexes are built once at the end (a crash leaves them to ``setup``). A read
    model that halted (the audit chain meeting a checkpoint it contradicts) fails the rebuild:
    it stays committed up to the event before."""
    runner.setup()
    runner.reset()
    runner.without_secondary_indexes()
    try:
        done = runner.catch_up(progress=progress)
    finally:
        runner.with_secondary_indexes()
    if runner.halted:
        raise RebuildFailedError(
            "; ".join(f"{name} stopped: {why}" for name, why in runner.halted.items())
        )
    return done


def _child(
    opener: Callable[[], Any],
    names: list[str],
    batch_size: int,
    index: int,
    reports: Any,
    trusted: tuple[str, ...] | None,
) -> None:
    parent = multiprocessing.parent_process()

    def report(progress: Progress) -> None:
        if parent is not None and not parent.is_alive():  # the parent was killed: no orphan rebuilds on
            raise SystemExit(1)
        reports.put(("progress", index, progress))

    app = None
    try:
        app = opener()
        store = ViewStore(app.recorder)
        store.tune_for_rebuild()  # this process writes nothing but views, on its one connection
        runner = Runner(
            store,
            app.mapper,
            instances(select(names), CheckpointBook(store, app.mapper, trusted)),
            batch_size=batch_size,
        )
        done = rebuild_group(runner, report)
        reports.put(("done", index, done))
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the parent reports it
        reports.put(("failed", index, "interrupted / 已中断"))
    except BaseException:
        reports.put(("failed", index, traceback.format_exc()))
        raise
    finally:
        if app is not None:
            app.close()


SILENT_DEATH_SECONDS = 2.0  # a child dead this long without a last report died hard (SIGKILL, OOM)


def rebuild_in_processes(
    opener: Callable[[], Any],
    groups: list[list[type[Projection]]],
    batch_size: int,
    progress: Callable[[Progress], None] | None = None,
    trusted: tuple[str, ...] | None = None,
) -> int:
    """Rebuilds each group in a process of its own; returns the notifications each read.
    ``trusted``: the public keys whose checkpoints hold the audit chain (None: any valid one)."""
    context = multiprocessing.get_context("spawn")  # no inherited connections or threads
    reports = context.Queue()
    children = [
        context.Process(
            target=_child,
            args=(opener, [p.name for p in group], batch_size, i, reports, trusted),
            name=f"rebuild-{'+'.join(p.name for p in group)}",
            daemon=True,
        )
        for i, group in enumerate(groups)
    ]
    latest: dict[int, Progress] = {}
    done: dict[int, int] = {}
    dead_since: dict[int, float] = {}
    try:
        for child in children:
            child.start()
        while len(done) < len(children):
            try:
                kind, index, value = reports.get(timeout=0.5)
            except queue.Empty:
                kind = None
            if kind == "failed":
                raise RebuildFailedError(f"{children[index].name} failed / 重建失败:\n{value}")
            if kind == "done":
                done[index] = value
            elif kind == "progress" and progress is not None:
                latest[index] = value
                slowest = min(
                    (latest.get(i, Progress(0, 0, value.target)) for i in range(len(children))),
                    key=lambda p: p.position,
                )
                progress(
                    Progress(slowest.processed, slowest.position, max(p.target for p in latest.values()))
                )
            now = time.monotonic()
            for i, child in enumerate(children):
                if (
                    i not in done
                    and not child.is_alive()
                    and now - dead_since.setdefault(i, now) > SILENT_DEATH_SECONDS
                ):
                    raise RebuildFailedError(
                        f"{child.name} exited with {child.exitcode} / 重建进程异常退出"
                    )
    finally:
        for child in children:
            if child.is_alive() and len(done) < len(children):
                child.terminate()
        for child in children:
            if child.pid is not None:
                child.join()
    return max(done.values(), default=0)
