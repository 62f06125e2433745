"""The deadline rush (issue 20) on PostgreSQL: every township declares in the last days before
the deadline. Each figure is printed beside its target and a baseline measured in the same run.

    .venv/bin/python -m bench.rush [--quick] [--sizes 100,1000,5000,20000] [--measured 200]
        [--ops 384] [--repeats 3] [--passed 3000] [--open-seconds 30] [--build-threads 4]
        [--out rush] [--label TEXT]
    .venv/bin/python -m bench.rush --show bench/results/rush.json   # a saved run's table

1. **Per-command cost of declare** as one campaign grows to 100 / 1,000 / 5,000 / 20,000
   nominations (grown through ``app.execute(Declare)`` itself, untimed). At each size
   ``--measured`` declares are timed one at a time, each followed by a bare library create (a
   trivial ``Probe`` aggregate saved through the same application and store), so that drift of
   this shared machine lands on both. Statements are counted at psycopg's cursor in this process
   (``execute`` calls, each row of an ``executemany``) with the transaction blocks.
2. **1 / 8 / 32 concurrent declarers** (threads of one application, each the declarer of its
   own township with nominees of its own) into **one** campaign, against the same clients each
   on a campaign of its own. Conflicts are what ``execute`` re-decided (a version conflict on
   save or a stale read); a 409 is a ``ConcurrencyConflictError`` (the retries ran out), a 500
   any other exception.
3. **Laurel direct ÷ bare library** (the same threads saving ``Probe`` aggregates) at 1 / 8 /
   32 clients, and **HTTP ÷ direct**: the same declares into one campaign over real HTTP to
   ``python -m cli api`` (uvicorn, a separate process, as bench.api starts it), one keep-alive
   connection per client. Modes 2 and 3 run in each repeat, their order rotating; figures pool
   the repeats (declares over the summed wall clock, percentiles over every sample).
4. **Open-loop latency** over HTTP: Poisson arrivals at half the capacity, latency counted
   from each request's scheduled instant. The capacity is measured again just before (an HTTP
   closed loop at the level that served most in 3), since the machine's speed drifts.
5. **Commend** a category of ``--passed`` inspected, passed nominations (quota 50, best
   first) and **close the pre-review phase** of the campaign of 1, lapsing every nomination
   still waiting on pre-review; each on a fresh application (nothing cached), timed whole.
6. Save → visible latency and the 1M-event rebuild are measured by ``bench.projections``.

``--quick`` runs smaller sizes (100 / 1,000 / 2,000; 300 passed; one repeat; a 10 s open loop),
where a figure below its target's size is judged only when it already misses.
Writes bench/results/<out>.json. A fresh schema in laurel_test on 127.0.0.1:5432, dropped
afterwards."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from eventsourcing.persistence import IntegrityError
from rich.console import Console
from rich.table import Table

from bench.api import ADMIN_TOKEN, Meter, issue_tokens, load_note, pct, server_process
from bench.commands import Probe
from bench.fixtures import (
    ADMIN,
    CITY_INSPECTOR,
    CITY_REVIEWER,
    SITE_CHECKLIST,
    SITE_CHECKS,
    SYSTEM,
    build_city,
    declarer,
    free_port,
    material,
    site_scores,
)
from bench.stores import store_url, write_results
from domain.application import Laurel
from domain.commands import ClosePhase, Commend, CreateCampaign, Declare, Inspect, PreReview
from domain.errors import ConcurrencyConflictError, DomainError
from infra.bootstrap import Services, bootstrap
from infra.settings import Settings

CATEGORY = "five_good_site"
MATERIAL = material(900)
TOWNSHIPS, VILLAGES = 32, 4  # one township per client at 32 clients
TOWNS = [f"town-{t}" for t in range(1, TOWNSHIPS + 1)]
DAY = timedelta(days=1)
MODES = ("one", "separate", "bare", "http")
LEVELS = (1, 8, 32)


# --- counting what reaches PostgreSQL ----------------------------------------------------------


class Statements:
    """Statements and transaction blocks this process sends to PostgreSQL, counted at psycopg's
    cursor (``Connection.execute`` goes through it; an ``executemany`` counts its rows)."""

    def __init__(self) -> None:
        self.statements = 0
        self.transactions = 0
        self._lock = threading.Lock()

    def install(self) -> None:
        execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany
        transaction = psycopg.Connection.transaction
        counter = self

        @functools.wraps(execute)
        def counted_execute(cursor: Any, *args: Any, **kwargs: Any) -> Any:
            counter.add(statements=1)
            return execute(cursor, *args, **kwargs)

        @functools.wraps(executemany)
        def counted_executemany(
            cursor: Any, query: Any, params_seq: Iterable[Any], **kwargs: Any
        ) -> Any:
            rows = list(params_seq)
            counter.add(statements=len(rows))
            return executemany(cursor, query, rows, **kwargs)

        @functools.wraps(transaction)
        def counted_transaction(conn: Any, *args: Any, **kwargs: Any) -> Any:
            counter.add(transactions=1)
            return transaction(conn, *args, **kwargs)

        setattr(psycopg.Cursor, "execute", counted_execute)  # noqa: B010 (mypy: assigning a method)
        setattr(psycopg.Cursor, "executemany", counted_executemany)  # noqa: B010
        setattr(psycopg.Connection, "transaction", counted_transaction)  # noqa: B010

    def add(self, *, statements: int = 0, transactions: int = 0) -> None:
        with self._lock:
            self.statements += statements
            self.transactions += transactions

    def now(self) -> tuple[int, int]:
        with self._lock:
            return self.statements, self.transactions


class Conflicts:
    """Conflicts ``Laurel.execute`` re-decided: each back-off before a retry where the
    application has one (a version conflict on save or a stale read), else each version
    conflict on save, counted by wrapping the application's method."""

    def __init__(self, app: Laurel) -> None:
        self.count = 0
        self._lock = threading.Lock()
        back_off = getattr(app, "_back_off", None)
        if back_off is not None:

            def counted_back_off(*args: Any, **kwargs: Any) -> Any:
                self.add()
                return back_off(*args, **kwargs)

            setattr(app, "_back_off", counted_back_off)  # noqa: B010
            return
        save = app.save

        def counted_save(*objs: Any, **kwargs: Any) -> Any:
            try:
                return save(*objs, **kwargs)
            except IntegrityError:
                self.add()
                raise

        setattr(app, "save", counted_save)  # noqa: B010

    def add(self) -> None:
        with self._lock:
            self.count += 1


@dataclass
class Meters:
    statements: Statements
    conflicts: Conflicts

    @contextmanager
    def measure(self, into: dict[str, int]) -> Iterator[None]:
        s0, t0 = self.statements.now()
        c0 = self.conflicts.count
        yield
        s1, t1 = self.statements.now()
        into["statements"] = into.get("statements", 0) + s1 - s0
        into["transactions"] = into.get("transactions", 0) + t1 - t0
        into["conflicts"] = into.get("conflicts", 0) + self.conflicts.count - c0


# --- campaigns and declarations ----------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A campaign's phase windows (back to back from ``starts``) and instants inside them."""

    starts: datetime
    declaring_days: int = 5

    def durations(self) -> dict[str, int]:
        return {
            "declaration": self.declaring_days * 86400,
            "pre_review": 86400,
            "inspection": 86400,
            "commendation": 20 * 86400,
        }

    def declaring(self, k: int) -> datetime:
        return self.starts + timedelta(hours=1, milliseconds=k)

    def pre_reviewing(self, k: int) -> datetime:
        return self.starts + self.declaring_days * DAY + timedelta(hours=1, milliseconds=k)

    def inspecting(self, k: int) -> datetime:
        return self.starts + (self.declaring_days + 1) * DAY + timedelta(hours=1, milliseconds=k)

    def commending(self) -> datetime:
        return self.starts + (self.declaring_days + 2) * DAY + timedelta(hours=1)

    def pre_review_closes(self) -> datetime:
        return self.starts + (self.declaring_days + 1) * DAY


def past_plan() -> Plan:
    """Phases in the past: declared, pre-reviewed and inspected at chosen instants (``at=``)."""
    return Plan((datetime.now(UTC) - timedelta(days=10)).replace(microsecond=0))


def open_plan() -> Plan:
    """The declaration phase open now (for commands at the wall clock, HTTP's included)."""
    return Plan((datetime.now(UTC) - timedelta(minutes=10)).replace(microsecond=0), declaring_days=3)


def create_campaign(app: Laurel, plan: Plan) -> str:
    command = CreateCampaign(
        template="five-good-sites",
        organiser_unit_id="city-1",
        starts_at=plan.starts,
        durations=plan.durations(),
    )
    return str(app.execute(command, ADMIN, at=plan.starts - timedelta(minutes=5))["id"])


def nominee(town: str, k: int, name: str) -> dict[str, str]:
    village = f"vil-{town.removeprefix('town-')}-{k % VILLAGES + 1:02d}"
    return {"kind": "site", "unit_id": village, "name": name}


def declaration(campaign_id: str, town: str, k: int, name: str) -> Declare:
    return Declare(
        campaign_id=campaign_id,
        category=CATEGORY,
        declaring_unit_id=town,
        nominee=nominee(town, k, name),
        form={},
        material=MATERIAL,
    )


def stubborn(fn: Callable[[], Any], attempts: int = 20) -> Any:
    """``fn()``, again after a conflict or an unexpected error (scaffolding only, not timed)."""
    for attempt in range(attempts):
        try:
            return fn()
        except DomainError as exc:
            if not isinstance(exc, ConcurrencyConflictError) or attempt == attempts - 1:
                raise
        except Exception:
            if attempt == attempts - 1:
                raise
        time.sleep(random.uniform(0, 0.02))
    raise AssertionError("unreachable")


def declare_many(
    app: Laurel, campaign_id: str, plan: Plan, first: int, count: int, threads: int
) -> list[str]:
    """``count`` declarations into the campaign through ``app.execute`` (nominees ``first``…),
    spread over the townships; their ids in order."""

    def one(k: int) -> str:
        town = TOWNS[k % TOWNSHIPS]
        command = declaration(campaign_id, town, k // TOWNSHIPS, f"grown-{k:06d} 站点")
        return str(stubborn(lambda: app.execute(command, declarer(town), at=plan.declaring(k)))["id"])

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(first, first + count)))


# --- 1. per-command cost as the campaign grows -------------------------------------------------


def per_command_cost(
    app: Laurel, meters: Meters, sizes: list[int], measured: int, threads: int, console: Console
) -> tuple[dict[str, Any], str, Plan, list[str]]:
    plan = past_plan()
    campaign_id = create_campaign(app, plan)
    ids: list[str] = []
    out: dict[str, Any] = {"measured_per_size": measured, "sizes": {}}
    for size in sizes:
        started = time.perf_counter()
        ids += declare_many(app, campaign_id, plan, len(ids), size - len(ids), threads)
        grown = time.perf_counter() - started
        declares: list[float] = []
        creates: list[float] = []
        counts: dict[str, int] = {}
        probe_counts: dict[str, int] = {}
        for j in range(measured):
            k = len(ids)
            town = TOWNS[k % TOWNSHIPS]
            command = declaration(campaign_id, town, k // TOWNSHIPS, f"measured-{k:06d} 站点")
            with meters.measure(counts):
                t0 = time.perf_counter()
                ids.append(str(app.execute(command, declarer(town), at=plan.declaring(k))["id"]))
                declares.append(time.perf_counter() - t0)
            with meters.measure(probe_counts):
                t0 = time.perf_counter()
                app.save(Probe(n=j))
                creates.append(time.perf_counter() - t0)
        row = {
            "nominations_before": size,
            "declare_median_ms": ms(statistics.median(declares)),
            "declare_mean_ms": ms(statistics.fmean(declares)),
            "declare_p90_ms": round(pct(declares, 90), 2),
            "declare_max_ms": ms(max(declares)),
            "bare_create_median_ms": ms(statistics.median(creates)),
            "declare_vs_bare_create": round(statistics.median(declares) / statistics.median(creates), 2),
            "statements_per_declare": round(counts["statements"] / measured, 2),
            "transactions_per_declare": round(counts["transactions"] / measured, 2),
            "conflicts": counts["conflicts"],
            "statements_per_bare_create": round(probe_counts["statements"] / measured, 2),
            "grown_in_s": round(grown, 1),
        }
        out["sizes"][str(size)] = row
        console.print(
            f"declare at {size:,}: median {row['declare_median_ms']} ms, "
            f"{row['statements_per_declare']} statements (grown in {grown:.1f} s)"
        )
    first, last = out["sizes"][str(sizes[0])], out["sizes"][str(sizes[-1])]
    out["ratio_largest_vs_smallest"] = round(last["declare_median_ms"] / first["declare_median_ms"], 3)
    out["ratio_normalised_by_bare_create"] = round(
        last["declare_vs_bare_create"] / first["declare_vs_bare_create"], 3
    )
    return out, campaign_id, plan, ids


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# --- 2 and 3. closed loops: one campaign, separate campaigns, bare library, HTTP ---------------


@dataclass
class Run:
    mode: str
    clients: int
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    conflicts: int = 0  # re-decided inside execute (direct modes only)
    conflict_409: int = 0
    error_500: int = 0
    refused: int = 0  # any other refusal (none expected)
    samples: list[str] = field(default_factory=list)
    statements: int = 0
    meter: Meter | None = None  # CPU of this process, the server, PostgreSQL and the rest

    def failed(self, kind: str, text: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.samples) < 5:
            self.samples.append(text[:300])


def direct_run(
    app: Laurel, meters: Meters, mode: str, clients: int, per_client: int, campaigns: list[str], tag: str
) -> Run:
    run = Run(mode, clients)
    barrier = threading.Barrier(clients + 1)
    lock = threading.Lock()

    def client(i: int) -> None:
        town = TOWNS[i % TOWNSHIPS]
        actor = declarer(town)
        campaign_id = campaigns[0] if mode == "one" else campaigns[i % len(campaigns)]
        mine: list[float] = []
        barrier.wait()
        for k in range(per_client):
            started = time.perf_counter()
            try:
                if mode == "bare":
                    app.save(Probe(n=k))
                else:
                    app.execute(declaration(campaign_id, town, k, f"{tag}-{i}-{k} 站点"), actor)
            except ConcurrencyConflictError as exc:
                with lock:
                    run.failed("conflict_409", f"{type(exc).__name__}: {exc}")
            except DomainError as exc:
                with lock:
                    run.failed("refused", f"{type(exc).__name__}: {exc}")
            except Exception as exc:
                with lock:
                    run.failed("error_500", f"{type(exc).__name__}: {exc}")
            mine.append(time.perf_counter() - started)
        with lock:
            run.latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for th in threads:
        th.start()
    counts: dict[str, int] = {}
    run.meter = Meter(None)
    with meters.measure(counts), run.meter.measure():
        barrier.wait()
        started = time.perf_counter()
        for th in threads:
            th.join()
        run.wall = time.perf_counter() - started
    run.conflicts, run.statements = counts["conflicts"], counts["statements"]
    return run


def declare_body(town: str, k: int, name: str) -> dict[str, Any]:
    return {
        "category": CATEGORY,
        "declaring_unit_id": town,
        "nominee": nominee(town, k, name),
        "material": MATERIAL,
    }


def classify(run: Run, response: httpx.Response | None, error: Exception | None) -> None:
    if error is not None:
        run.failed("error_500", f"{type(error).__name__}: {error}")
    elif response is not None and response.status_code != 201:
        kind = (
            "conflict_409"
            if response.status_code == 409
            else "error_500"
            if response.status_code >= 500
            else "refused"
        )
        run.failed(kind, f"HTTP {response.status_code}: {response.text}")


async def http_closed(
    base_url: str,
    declarers: dict[str, str],
    clients: int,
    per_client: int,
    campaign_id: str,
    tag: str,
    server_pid: int | None = None,
) -> Run:
    run = Run("http", clients)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    sessions = [httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120) for _ in range(clients)]
    start = asyncio.Event()

    async def client(i: int, session: httpx.AsyncClient) -> None:
        town = TOWNS[i % TOWNSHIPS]
        headers = {"Authorization": f"Bearer {declarers[town]}"}
        await session.get("/healthz")  # the connection opens before the clock starts
        await start.wait()
        for k in range(per_client):
            started = time.perf_counter()
            response, error = None, None
            try:
                response = await session.post(
                    f"/v1/campaigns/{campaign_id}/nominations",
                    json=declare_body(town, k, f"{tag}-{i}-{k} 站点"),
                    headers=headers,
                )
            except httpx.HTTPError as exc:
                error = exc
            run.latencies.append(time.perf_counter() - started)
            classify(run, response, error)

    tasks = [asyncio.create_task(client(i, s)) for i, s in enumerate(sessions)]
    await asyncio.sleep(0.3)
    run.meter = Meter(server_pid)
    with run.meter.measure():
        started = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        run.wall = time.perf_counter() - started
    for s in sessions:
        await s.aclose()
    return run


def summarise(runs: list[Run]) -> dict[str, Any]:
    latencies = [x for r in runs for x in r.latencies]
    wall = sum(r.wall for r in runs)
    out: dict[str, Any] = {
        "clients": runs[0].clients,
        "requests": len(latencies),
        "wall_s": round(wall, 2),
        "per_s": round(len(latencies) / wall, 1) if wall else 0.0,
        "p50_ms": round(pct(latencies, 50), 1),
        "p99_ms": round(pct(latencies, 99), 1),
        "conflict_409": sum(r.conflict_409 for r in runs),
        "error_500": sum(r.error_500 for r in runs),
        "refused": sum(r.refused for r in runs),
        "error_samples": [s for r in runs for s in r.samples][:5],
    }
    meters = [r.meter for r in runs if r.meter is not None]
    if meters and latencies:
        # CPU milliseconds per request: "app" is this process (the direct modes' application
        # and the HTTP load generator), "server" the API process
        out["cpu_ms_per_op"] = {
            name: round(sum(getattr(m, attr) for m in meters) * 1000 / len(latencies), 2)
            for name, attr in (
                ("app", "loadgen_cpu"),
                ("server", "server_cpu"),
                ("postgres", "postgres_cpu"),
                ("others", "others_cpu"),
            )
        }
        out["busy_cores"] = round(
            sum(m.busy_cores * m.wall for m in meters) / sum(m.wall for m in meters), 2
        )
    if runs[0].mode != "http":
        out["conflicts_per_declare"] = round(sum(r.conflicts for r in runs) / max(1, len(latencies)), 3)
        out["statements_per_op"] = round(sum(r.statements for r in runs) / max(1, len(latencies)), 2)
    return out


def closed_loops(
    app: Laurel,
    meters: Meters,
    base_url: str,
    declarers: dict[str, str],
    ops: int,
    repeats: int,
    server_pid: int,
    console: Console,
) -> dict[str, Any]:
    levels: dict[str, Any] = {}
    for clients in LEVELS:
        per_client = max(3, ops // clients)
        runs: dict[str, list[Run]] = {m: [] for m in MODES}
        pairs: list[float] = []
        notes: list[str] = []
        for r in range(repeats):
            note = load_note()
            notes.append(note)
            plan = open_plan()
            one = [create_campaign(app, plan)]
            separate = [create_campaign(app, plan) for _ in range(clients)]
            http_campaign = create_campaign(app, plan)
            order = MODES[r % len(MODES) :] + MODES[: r % len(MODES)]
            done: dict[str, Run] = {}
            for mode in order:
                tag = f"{mode}-{clients}-{r}-{uuid.uuid4().hex[:6]}"
                if mode == "http":
                    done[mode] = asyncio.run(
                        http_closed(
                            base_url, declarers, clients, per_client, http_campaign, tag, server_pid
                        )
                    )
                else:
                    targets = separate if mode == "separate" else one
                    done[mode] = direct_run(app, meters, mode, clients, per_client, targets, tag)
            for mode, run in done.items():
                runs[mode].append(run)
            rate = {m: len(x.latencies) / x.wall for m, x in done.items()}
            pairs.append(round(rate["one"] / rate["separate"], 3))
            console.print(
                f"{clients} clients, repeat {r + 1}/{repeats} ({', '.join(order)}): "
                + ", ".join(f"{m} {v:.1f}/s" for m, v in rate.items())
                + f"; {note}"
            )
        level: dict[str, Any] = {m: summarise(runs[m]) for m in MODES}
        level["one_vs_separate"] = round(level["one"]["per_s"] / level["separate"]["per_s"], 3)
        level["one_vs_separate_per_repeat"] = pairs
        level["load_before_each_repeat"] = notes
        level["one_vs_bare"] = round(level["one"]["per_s"] / level["bare"]["per_s"], 3)
        level["separate_vs_bare"] = round(level["separate"]["per_s"] / level["bare"]["per_s"], 3)
        level["http_vs_one"] = round(level["http"]["per_s"] / level["one"]["per_s"], 3)
        levels[str(clients)] = level
    for mode in MODES:
        levels[f"{mode}_32_vs_8"] = round(levels["32"][mode]["per_s"] / levels["8"][mode]["per_s"], 3)
    return levels


# --- 4. open loop -----------------------------------------------------------------------------


async def http_open(
    base_url: str, declarers: dict[str, str], rate: float, seconds: float, campaign_id: str
) -> dict[str, Any]:
    """Poisson arrivals at ``rate``; each latency runs from the request's scheduled instant, so
    a slow server shows as latency, not as a lower offered load."""
    run = Run("open", 0)
    limits = httpx.Limits(max_connections=128, max_keepalive_connections=128)
    rng = random.Random(20)
    tag = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120) as session:
        await asyncio.gather(*(session.get("/healthz") for _ in range(16)))  # warm connections

        async def send(k: int, due: float) -> None:
            town = TOWNS[k % TOWNSHIPS]
            response, error = None, None
            try:
                response = await session.post(
                    f"/v1/campaigns/{campaign_id}/nominations",
                    json=declare_body(town, k // TOWNSHIPS, f"open-{tag}-{k} 站点"),
                    headers={"Authorization": f"Bearer {declarers[town]}"},
                )
            except httpx.HTTPError as exc:
                error = exc
            run.latencies.append(time.perf_counter() - due)
            classify(run, response, error)

        tasks = []
        start = time.perf_counter()
        due = start
        k = 0
        while True:
            due += rng.expovariate(rate)
            if due - start > seconds:
                break
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(send(k, due)))
            k += 1
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
    return {
        "offered_per_s": round(rate, 1),
        "seconds": seconds,
        "sent": len(run.latencies),
        "completed_per_s": round(len(run.latencies) / wall, 1),
        "p50_ms": round(pct(run.latencies, 50), 1),
        "p99_ms": round(pct(run.latencies, 99), 1),
        "max_ms": ms(max(run.latencies)) if run.latencies else None,
        "conflict_409": run.conflict_409,
        "error_500": run.error_500,
        "refused": run.refused,
        "error_samples": run.samples,
    }


def open_loop(
    app: Laurel,
    base_url: str,
    declarers: dict[str, str],
    loops: dict[str, Any],
    ops: int,
    seconds: float,
    server_pid: int,
) -> dict[str, Any]:
    """The capacity measured again just before the open loop (an HTTP closed loop at the level
    that served most in 3: this machine's speed drifts), then the open loop at half of it, with
    the CPU each process used meanwhile (what saturates)."""
    clients = max(LEVELS, key=lambda c: loops[str(c)]["http"]["per_s"])
    again = asyncio.run(
        http_closed(
            base_url,
            declarers,
            clients,
            max(3, ops // clients),
            create_campaign(app, open_plan()),
            "cap",
        )
    )
    capacity = round(len(again.latencies) / again.wall, 1)
    meter = Meter(server_pid)
    campaign_id = create_campaign(app, open_plan())
    with meter.measure():
        figures = asyncio.run(http_open(base_url, declarers, capacity / 2, seconds, campaign_id))
    figures["cpu_s"] = {
        "server": round(meter.server_cpu, 1),
        "loadgen": round(meter.loadgen_cpu, 1),
        "postgres": round(meter.postgres_cpu, 1),
        "others": round(meter.others_cpu, 1),
        "busy_cores": round(meter.busy_cores, 2),
    }
    return {
        "capacity_per_s": capacity,
        "capacity_clients": clients,
        "capacity_in_closed_loops_per_s": loops[str(clients)]["http"]["per_s"],
        "open_loop": figures,
    }


# --- 5. commend and close a phase --------------------------------------------------------------


def passed_nominations(app: Laurel, passed: int, threads: int) -> tuple[str, Plan]:
    """A campaign with ``passed`` nominations declared, admitted and passed (scores 61-99)."""
    plan = past_plan()
    campaign_id = create_campaign(app, plan)
    ids = declare_many(app, campaign_id, plan, 0, passed, threads)

    def review(k: int) -> None:
        nid = ids[k]
        admit = PreReview(nomination_id=nid, decision="admit", reasons=[], checks=SITE_CHECKS)
        stubborn(lambda: app.execute(admit, CITY_REVIEWER, at=plan.pre_reviewing(k)))
        score = 61 + (k * 7919) % 39
        inspect = Inspect(
            nomination_id=nid,
            methods=["site_visit"],
            scores=site_scores(score),
            checklist=SITE_CHECKLIST,
            verdict="pass",
        )
        stubborn(lambda: app.execute(inspect, CITY_INSPECTOR, at=plan.inspecting(k)))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(review, range(passed)))
    return campaign_id, plan


@contextmanager
def fresh_app(settings: Settings) -> Iterator[Services]:
    """A second application on the same store, its cache empty (as after a restart)."""
    services = bootstrap(settings, configure_logs=False)
    try:
        yield services
    finally:
        services.close()


def timed_command(
    settings: Settings, meters: Meters, command: Any, actor: Any, at: datetime
) -> tuple[float, dict[str, Any], dict[str, int]]:
    with fresh_app(settings) as services:
        app = services.app
        s0, t0 = meters.statements.now()
        started = time.perf_counter()
        result = app.execute(command, actor, at=at)
        seconds = time.perf_counter() - started
        s1, t1 = meters.statements.now()
        counts = {"statements": s1 - s0, "transactions": t1 - t0}
    return seconds, result, counts


def states_of(app: Laurel, ids: list[str], sample: int = 50) -> dict[str, int]:
    """The states of a random sample of nominations (checks what a command did)."""
    states: dict[str, int] = {}
    for nid in random.Random(5).sample(ids, min(sample, len(ids))):
        state = str(app.get_nomination(nid).state)
        states[state] = states.get(state, 0) + 1
    return states


# --- the table ---------------------------------------------------------------------------------


@dataclass
class Figures:
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self, section: str, figure: str, value: str, target: str = "", met: bool | None = None
    ) -> None:
        self.rows.append(
            {"section": section, "figure": figure, "value": value, "target": target, "met": met}
        )

    def table(self, title: str) -> Table:
        table = Table("section", "figure", "value", "target", "met?", title=title)
        for row in self.rows:
            met = (
                ""
                if row["met"] is None
                else "[green]met[/green]"
                if row["met"]
                else "[red]not met[/red]"
            )
            table.add_row(row["section"], row["figure"], row["value"], row["target"], met)
        return table


def describe(s: dict[str, Any]) -> str:
    text = f"{s['per_s']}/s, p50/p99 {s['p50_ms']}/{s['p99_ms']} ms"
    if "conflicts_per_declare" in s:
        text += f", {s['conflicts_per_declare']} conflicts/op"
    return (
        text
        + f", 409 {s['conflict_409']}, 500 {s['error_500']}"
        + (f", refused {s['refused']}" if s["refused"] else "")
    )


def judged(met: bool, at_target_size: bool) -> bool | None:
    """Met or not; below the target's size only a miss counts (the cost grows with size)."""
    return met if at_target_size or not met else None


def linearly(seconds: float, n: int, target_n: int) -> str:
    """What ``seconds`` for ``n`` would be at ``target_n`` if it grew linearly."""
    return (
        ""
        if n >= target_n or n == 0
        else f" (≈ {seconds * target_n / n:.1f} s at {target_n:,} if linear)"
    )


def tabulate(result: dict[str, Any]) -> Figures:
    f = Figures()
    cost = result["per_command_cost"]
    sizes = list(cost["sizes"])
    for size, row in cost["sizes"].items():
        f.add(
            "1 declare cost",
            f"declare at {int(size):,} nominations",
            f"median {row['declare_median_ms']} ms (mean {row['declare_mean_ms']}, p90 "
            f"{row['declare_p90_ms']}); {row['statements_per_declare']} statements, "
            f"{row['transactions_per_declare']} transactions; "
            f"bare create {row['bare_create_median_ms']} ms, "
            f"{row['statements_per_bare_create']} statements",
        )
    ratio = cost["ratio_largest_vs_smallest"]
    f.add(
        "1 declare cost",
        f"declare@{int(sizes[-1]):,} ÷ declare@{int(sizes[0]):,} (median)",
        f"{ratio} (÷ bare create at each size: {cost['ratio_normalised_by_bare_create']})",
        "≤ 1.2 (at 20,000 ÷ 100)",
        judged(ratio <= 1.2, int(sizes[-1]) >= 20_000),
    )
    loops = result["closed_loops"]
    for clients in (str(c) for c in LEVELS):
        level = loops[clients]
        f.add("2 concurrent declarers", f"{clients} into one campaign", describe(level["one"]))
        f.add("2 concurrent declarers", f"{clients} on separate campaigns", describe(level["separate"]))
        target = clients != "1"
        f.add(
            "2 concurrent declarers",
            f"one ÷ separate at {clients}",
            f"{level['one_vs_separate']} (repeats {level['one_vs_separate_per_repeat']})",
            "≥ 0.8" if target else "",
            level["one_vs_separate"] >= 0.8 if target else None,
        )
    at32 = loops["32"]["one"]
    f.add(
        "2 concurrent declarers",
        "409s and 500s, 32 into one campaign",
        f"409 {at32['conflict_409']}, 500 {at32['error_500']}",
        "0 and 0",
        at32["conflict_409"] == 0 and at32["error_500"] == 0,
    )
    for mode in MODES:
        value = loops[f"{mode}_32_vs_8"]
        f.add("2 concurrent declarers", f"throughput 32 ÷ 8, {mode}", str(value), "≥ 1.0", value >= 1.0)
    for clients in (str(c) for c in LEVELS):
        level = loops[clients]
        f.add("3 overheads", f"bare library at {clients}", describe(level["bare"]))
        target = clients in ("1", "8")
        f.add(
            "3 overheads",
            f"Laurel direct (one campaign) ÷ bare at {clients}",
            f"{level['one_vs_bare']} (separate campaigns ÷ bare {level['separate_vs_bare']})",
            "≥ 0.7" if target else "",
            level["one_vs_bare"] >= 0.7 if target else None,
        )
    for clients in (str(c) for c in LEVELS):
        level = loops[clients]
        f.add("3 overheads", f"HTTP at {clients}", describe(level["http"]))
        f.add(
            "3 overheads",
            f"HTTP ÷ direct at {clients}",
            str(level["http_vs_one"]),
            "≥ 0.8" if clients == "8" else "",
            level["http_vs_one"] >= 0.8 if clients == "8" else None,
        )
    o = result["open_loop"]
    cpu = o.get("cpu_s")
    used = (
        f"; CPU s server/loadgen/postgres/others {cpu['server']}/{cpu['loadgen']}/{cpu['postgres']}"
        f"/{cpu['others']}, {cpu['busy_cores']} cores busy"
        if cpu
        else ""
    )
    if "capacity_clients" in result:
        f.add(
            "4 open loop",
            f"capacity: HTTP closed loop at {result['capacity_clients']} clients, just before",
            f"{result['capacity_per_s']}/s (in 3: {result['capacity_in_closed_loops_per_s']}/s)",
        )
    else:  # files from before the capacity was measured again
        f.add("4 open loop", "capacity: best HTTP closed loop of 3", f"{result['capacity_per_s']}/s")
    f.add(
        "4 open loop",
        f"p99 at {o['offered_per_s']}/s offered (half capacity), {o['seconds']} s",
        f"{o['p99_ms']} ms (p50 {o['p50_ms']}, max {o['max_ms']}); completed {o['completed_per_s']}/s; "
        f"409 {o['conflict_409']}, 500 {o['error_500']}{used}",
        "< 100 ms",
        o["p99_ms"] < 100,
    )
    c = result["commend"]
    f.add(
        "5 set-based",
        f"commend, {c['passed']:,} passed nominations",
        f"{c['seconds']} s, {c['commended']} commended; {c['statements']} statements",
        "< 1 s (3,000 passed)",
        judged(c["seconds"] < 1, c["passed"] >= 3000),
    )
    p = result["close_phase"]
    f.add(
        "5 set-based",
        f"close pre-review, {p['waiting']:,} waiting",
        f"{p['seconds']} s, {p['lapsed']:,} lapsed (sample states {p['sample_states']}); "
        f"{p['statements']} statements" + linearly(p["seconds"], p["waiting"], 20_000),
        "< 30 s (20,000 lapsed)",
        judged(p["seconds"] < 30, p["lapsed"] >= 20_000),
    )
    f.add(
        "6 read side", "save → visible; 1M-event rebuild", "see bench.projections (docs/benchmarks.md)"
    )
    return f


def code_version() -> str | None:
    """The checkout's commit, and how many files differ from it (None outside a checkout)."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{head} with {len(changed)} files changed" if changed else head


# --- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--sizes", help="campaign sizes, comma-separated (default 100,1000,5000,20000)")
    parser.add_argument("--measured", type=int, help="declares timed at each size (default 200)")
    parser.add_argument(
        "--ops", type=int, help="declares per mode and repeat at each level (default 384)"
    )
    parser.add_argument("--repeats", type=int, help="rounds of the four modes per level (default 3)")
    parser.add_argument("--passed", type=int, help="passed nominations to commend (default 3000)")
    parser.add_argument("--open-seconds", type=float, help="length of the open loop (default 30)")
    parser.add_argument("--build-threads", type=int, default=4, help="threads building state (untimed)")
    parser.add_argument("--out", default="rush", help="bench/results/<out>.json")
    parser.add_argument("--label", default="", help="what code this run measured (kept in the json)")
    parser.add_argument("--show", type=Path, help="print the table of a results file (and refresh it)")
    args = parser.parse_args()
    if args.show:
        shown = json.loads(args.show.read_text())
        figures = tabulate(shown)
        shown["table"] = figures.rows
        args.show.write_text(json.dumps(shown, indent=2, ensure_ascii=False))
        label = shown.get("label") or shown.get("code") or ""
        Console(width=200).print(
            figures.table(f"deadline rush on PostgreSQL, {shown['measured_at']} {label}")
        )
        return
    # a terminated run still drops its schema and stops its server (the finally blocks run)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    quick = args.quick
    sizes = [
        int(x) for x in (args.sizes or ("100,1000,2000" if quick else "100,1000,5000,20000")).split(",")
    ]
    measured = args.measured or (100 if quick else 200)
    ops = args.ops or (128 if quick else 384)
    repeats = args.repeats or (1 if quick else 3)
    passed = args.passed or (300 if quick else 3000)
    open_seconds = args.open_seconds or (10.0 if quick else 30.0)
    console = Console(width=200)
    run_started = time.perf_counter()
    result: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "backend": "postgres",
        "quick": quick,
        "label": args.label,
        "code": code_version(),
        "load_before": load_note(),
    }
    statements = Statements()
    statements.install()
    with (
        tempfile.TemporaryDirectory() as tmp,
        store_url("postgres", Path(tmp) / "x", prefix="bench_rush") as url,
    ):
        settings = Settings(database_url=url, admin_token=ADMIN_TOKEN, log_level="WARNING")
        services = bootstrap(settings, configure_logs=True)
        app = services.app
        meters = Meters(statements, Conflicts(app))
        try:
            build_city(app, townships=TOWNSHIPS, villages=VILLAGES)
            # warm-up: the units and the library's statements, not recorded
            warm = create_campaign(app, open_plan())
            direct_run(app, meters, "one", 4, 3, [warm], "warm")
            direct_run(app, meters, "bare", 4, 3, [warm], "warm")

            console.rule("1. declare cost as one campaign grows")
            cost, grown_campaign, grown_plan, grown_ids = per_command_cost(
                app, meters, sizes, measured, args.build_threads, console
            )
            result["per_command_cost"] = cost

            console.rule("5b. close the pre-review phase of that campaign")
            seconds, closed, counts = timed_command(
                settings,
                meters,
                ClosePhase(campaign_id=grown_campaign, phase="pre_review"),
                SYSTEM,
                grown_plan.pre_review_closes(),
            )
            result["close_phase"] = {
                "waiting": len(grown_ids),
                "seconds": round(seconds, 2),
                "lapsed": len(closed.get("lapsed", [])),
                "sample_states": states_of(app, grown_ids),
                **counts,
            }
            console.print(result["close_phase"])

            console.rule("2-4. concurrent declarers, overheads, open loop")
            port = free_port()
            with server_process(url, port, "WARNING") as server:
                base_url = f"http://127.0.0.1:{port}"
                declarers = issue_tokens(base_url, TOWNS).declarers
                warm_http = create_campaign(app, open_plan())
                asyncio.run(http_closed(base_url, declarers, 4, 3, warm_http, "warm"))
                result["closed_loops"] = closed_loops(
                    app, meters, base_url, declarers, ops, repeats, server.pid, console
                )
                result.update(
                    open_loop(
                        app, base_url, declarers, result["closed_loops"], ops, open_seconds, server.pid
                    )
                )
                result["server_pid"] = server.pid
            console.print(result["open_loop"])

            console.rule(f"5a. commend {passed:,} passed nominations")
            started = time.perf_counter()
            commend_campaign, commend_plan = passed_nominations(app, passed, args.build_threads)
            built = time.perf_counter() - started
            seconds, commended, counts = timed_command(
                settings,
                meters,
                Commend(campaign_id=commend_campaign, category=CATEGORY),
                CITY_REVIEWER,
                commend_plan.commending(),
            )
            result["commend"] = {
                "passed": passed,
                "built_in_s": round(built, 1),
                "seconds": round(seconds, 3),
                "commended": len(commended.get("commended", [])),
                **counts,
            }
            console.print(result["commend"])
        finally:
            services.close()
    result["run_seconds"] = round(time.perf_counter() - run_started, 1)
    figures = tabulate(result)
    result["table"] = figures.rows
    console.print(figures.table(f"deadline rush on PostgreSQL{' (quick)' if quick else ''}"))
    console.print(f"run took {result['run_seconds']} s; written to {write_results(args.out, result)}")


if __name__ == "__main__":
    main()
