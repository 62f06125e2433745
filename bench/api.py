"""The command mix over real HTTP, against the same commands called directly on the
application and a trivial endpoint of the same server, all measured in the same run.

    .venv/bin/python -m bench.api [--backend postgres|sqlite] [--clients 8,32] [--ops 256] [--repeats 3]

The server is a separate process, ``python -m cli api --port P`` (uvicorn, one worker
process; each command is handed to the thread pool once), so the load generator's GIL is not
the server's. Each concurrency level runs, in this order:

1. **direct**: ``clients`` threads in this process call ``services.app.declare / pre_review /
   inspect / commend`` (no HTTP, the wall clock as the command instant);
2. **http**: ``clients`` concurrent HTTP clients (one keep-alive connection and one bearer
   token each) send the same commands to the server, while one extra client probes
   ``GET /healthz`` every 20 ms (the trivial endpoint *during* the command load);
3. **trivial**: the same ``clients`` hammer ``GET /healthz`` alone, as many requests as the
   command run sent.

Steps 1 and 2 are repeated ``--repeats`` times (default 3), the order swapping each time
(direct first, then http first, …), so that a slow spell of this shared machine (±15 % between
runs) lands on both paths: the figures pool every repeat (requests over the summed wall
clock; percentiles over all samples), and each pair's own ratio is kept beside them.

Each client runs ``ops / clients`` rounds of declare -> pre-review -> inspect -> commend, on
targets of its own so no two commands race: client *i* is the declarer of township *i* and
has four campaigns of its own (organised by city-1, created through the application with
``starts_at``/``durations`` so that the declaration, pre-review, inspection and commendation
phase respectively is open now), the latter three holding nominations prepared through the
application at instants inside their past phases (declared; declared + admitted; declared +
admitted + inspected with equal scores, so commending them one by one in declaration order is
best-first). Reviewer and inspector act for city-1. Every mode gets freshly prepared
campaigns; preparation is not timed.

Prints a table and writes bench/results/api.json. PostgreSQL: a fresh schema in laurel_test
on 127.0.0.1:5432 (dropped afterwards); SQLite: a temporary file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from bench.fixtures import (
    ADMIN,
    CITY_INSPECTOR,
    CITY_REVIEWER,
    SITE_CHECKLIST,
    SITE_CHECKS,
    build_city,
    declarer,
    free_port,
    material,
    site_scores,
)
from bench.stores import store_url, write_results
from domain.commands import Commend, CreateCampaign, Declare, Inspect, PreReview
from infra.bootstrap import Services, bootstrap
from infra.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ADMIN_TOKEN = "lrl_admin_bench_" + uuid.uuid4().hex
PHASES = ("declaration", "pre_review", "inspection", "commendation")
KINDS = ("declare", "pre_review", "inspect", "commend")
CATEGORY = "five_good_site"
METHODS = ["document_review", "site_visit"]
HOUR = timedelta(hours=1)
MATERIAL = material(900)


# --- the database -------------------------------------------------------------------------


@contextmanager
def database(backend: str, tmp: Path) -> Iterator[str]:
    with store_url(backend, tmp / "bench-api.sqlite3", prefix="bench_api") as url:
        yield url


# --- the server process -------------------------------------------------------------------


@contextmanager
def server_process(
    database_url: str, port: int, log_level: str, workers: int = 1
) -> Iterator[subprocess.Popen]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAUREL_")}
    env |= {
        "LAUREL_DATABASE_URL": database_url,
        "LAUREL_ADMIN_TOKEN": ADMIN_TOKEN,
        "LAUREL_LOG_LEVEL": log_level,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "api", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
                )
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- CPU accounting -----------------------------------------------------------------------


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def system_busy() -> tuple[float, float]:
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    return (sum(parts) - idle) / os.sysconf("SC_CLK_TCK"), sum(parts) / os.sysconf("SC_CLK_TCK")


@dataclass
class Meter:
    server_pid: int | None
    wall: float = 0.0
    loadgen_cpu: float = 0.0
    server_cpu: float = 0.0
    busy_cores: float = 0.0
    postgres_cpu: float = 0.0  # every PostgreSQL backend, other agents' included
    others_cpu: float = 0.0  # every other process on the machine

    @contextmanager
    def measure(self) -> Iterator[None]:
        exclude = (self.server_pid,) if self.server_pid else ()
        p0 = ticks(exclude)
        c0, s0, (b0, t0), w0 = (
            time.process_time(),
            proc_cpu(self.server_pid) if self.server_pid else 0.0,
            system_busy(),
            time.perf_counter(),
        )
        yield
        (b1, t1), w1 = system_busy(), time.perf_counter()
        self.postgres_cpu, self.others_cpu = others_cpu(p0, ticks(exclude))
        self.wall = w1 - w0
        self.loadgen_cpu = time.process_time() - c0
        self.server_cpu = (proc_cpu(self.server_pid) - s0) if self.server_pid else 0.0
        self.busy_cores = (b1 - b0) / (t1 - t0) * (os.cpu_count() or 1) if t1 > t0 else 0.0


# --- targets ------------------------------------------------------------------------------


@dataclass
class Targets:
    """One client's own campaigns and prepared nominations."""

    town: str
    villages: list[str]
    declaring: str = ""
    pre_reviewing: list[str] = field(default_factory=list)
    inspecting: list[str] = field(default_factory=list)
    commending: str = ""
    commendable: list[str] = field(default_factory=list)


def phase_plan(current: str, now: datetime) -> tuple[datetime, dict[str, int], list[datetime]]:
    """As tests/api/test_authorization_matrix.py: ``current`` opened ten minutes ago and stays
    open a day; each earlier phase lasted an hour."""
    k = PHASES.index(current)
    starts_at = now - k * HOUR - timedelta(minutes=10)
    durations = {code: 3600 if i < k else 86400 for i, code in enumerate(PHASES)}
    return starts_at, durations, [starts_at + i * HOUR for i in range(k + 1)]


def prepare(services: Services, clients: int, rounds: int) -> list[Targets]:
    app = services.app
    now = datetime.now(UTC)

    def campaign(current: str) -> tuple[str, list[datetime]]:
        starts_at, durations, opens = phase_plan(current, now)
        result = app.execute(
            CreateCampaign(
                template="five-good-sites",
                organiser_unit_id="city-1",
                starts_at=starts_at,
                durations=durations,
                quotas={CATEGORY: None},
            ),
            ADMIN,
        )
        return str(result["id"]), opens

    def nominations(t: Targets, current: str) -> tuple[str, list[str]]:
        cid, opens = campaign(current)
        ids = []
        for k, village in enumerate(t.villages[:rounds]):
            step = timedelta(minutes=5, seconds=k)
            nid = str(
                app.execute(
                    Declare(
                        campaign_id=cid,
                        category=CATEGORY,
                        declaring_unit_id=t.town,
                        nominee={"kind": "site", "unit_id": village, "name": f"{village} 站点"},
                        form={},
                        material=MATERIAL,
                    ),
                    declarer(t.town),
                    at=opens[0] + step,
                )["id"]
            )
            if len(opens) > 2:
                app.execute(
                    PreReview(
                        nomination_id=nid,
                        decision="admit",
                        reasons=["材料翔实 / thorough"],
                        checks=SITE_CHECKS,
                    ),
                    CITY_REVIEWER,
                    at=opens[1] + step,
                )
            if len(opens) > 3:
                app.execute(
                    Inspect(
                        nomination_id=nid,
                        methods=METHODS,
                        scores=site_scores(85),
                        checklist=SITE_CHECKLIST,
                        verdict="pass",
                    ),
                    CITY_INSPECTOR,
                    at=opens[2] + step,
                )
            ids.append(nid)
        return cid, ids

    def one(i: int) -> Targets:
        town = f"town-{i + 1}"
        t = Targets(town, [f"vil-{i + 1}-{v:02d}" for v in range(1, rounds + 1)])
        t.declaring = campaign("declaration")[0]
        t.pre_reviewing = nominations(t, "pre_review")[1]
        t.inspecting = nominations(t, "inspection")[1]
        t.commending, t.commendable = nominations(t, "commendation")
        return t

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(clients)))


# --- samples ------------------------------------------------------------------------------


@dataclass
class Run:
    mode: str
    clients: int
    samples: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in (*KINDS, "healthz")})
    errors: list[str] = field(default_factory=list)
    probe: list[float] = field(default_factory=list)
    meter: Meter | None = None

    def add(self, kind: str, seconds: float) -> None:
        self.samples[kind].append(seconds)

    def all(self, kinds: tuple[str, ...] = KINDS) -> list[float]:
        return [x for k in kinds for x in self.samples[k]]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))] * 1000


def summary(run: Run, kinds: tuple[str, ...]) -> dict[str, Any]:
    assert run.meter is not None
    out: dict[str, Any] = {"clients": run.clients, "wall_s": round(run.meter.wall, 3)}
    total = run.all(kinds)
    out["requests"] = len(total)
    out["per_s"] = round(len(total) / run.meter.wall, 1)
    out["p50_ms"] = round(pct(total, 50), 2)
    out["p99_ms"] = round(pct(total, 99), 2)
    out["max_ms"] = round(max(total) * 1000, 2) if total else None
    if len(kinds) > 1:
        out["by_kind"] = {
            k: {
                "n": len(run.samples[k]),
                "p50_ms": round(pct(run.samples[k], 50), 2),
                "p99_ms": round(pct(run.samples[k], 99), 2),
            }
            for k in kinds
        }
    out["errors"] = len(run.errors)
    out["error_samples"] = run.errors[:10]
    out["loadgen_cpu_s"] = round(run.meter.loadgen_cpu, 2)
    out["server_cpu_s"] = round(run.meter.server_cpu, 2)
    out["busy_cores"] = round(run.meter.busy_cores, 2)
    out["postgres_cpu_s"] = round(run.meter.postgres_cpu, 2)
    out["others_cpu_s"] = round(run.meter.others_cpu, 2)
    if run.probe:
        out["healthz_probe_during_load"] = {
            "n": len(run.probe),
            "p50_ms": round(pct(run.probe, 50), 2),
            "p99_ms": round(pct(run.probe, 99), 2),
        }
    return out


def pooled(runs: list[Run]) -> Run:
    """The repeats of one mode as one run: every sample, the summed wall clock and CPU."""
    out = Run(runs[0].mode, runs[0].clients)
    meters = [r.meter for r in runs if r.meter is not None]
    out.meter = Meter(meters[0].server_pid)
    for r in runs:
        for kind, values in r.samples.items():
            out.samples[kind].extend(values)
        out.errors.extend(r.errors)
        out.probe.extend(r.probe)
    for name in ("wall", "loadgen_cpu", "server_cpu", "postgres_cpu", "others_cpu"):
        setattr(out.meter, name, sum(getattr(m, name) for m in meters))
    out.meter.busy_cores = (
        sum(m.busy_cores * m.wall for m in meters) / out.meter.wall if out.meter.wall else 0.0
    )
    return out


# --- direct -------------------------------------------------------------------------------


def run_direct(services: Services, targets: list[Targets], rounds: int) -> Run:
    app = services.app
    run = Run("direct", len(targets))
    barrier = threading.Barrier(len(targets) + 1)

    def timed(kind: str, call: Callable[[], Any]) -> None:
        started = time.perf_counter()
        try:
            call()
        except Exception as exc:
            run.errors.append(f"{kind}: {type(exc).__name__}: {exc}"[:300])
        run.add(kind, time.perf_counter() - started)

    def client(t: Targets) -> None:
        actor = declarer(t.town)
        barrier.wait()
        for k in range(rounds):
            village = t.villages[k]
            # timed() calls each at once: the loop variables are bound for that call
            timed(
                "declare",
                lambda: app.execute(
                    Declare(
                        campaign_id=t.declaring,
                        category=CATEGORY,
                        declaring_unit_id=t.town,
                        nominee={"kind": "site", "unit_id": village, "name": f"{village} 站点"},
                        form={},
                        material=MATERIAL,
                    ),
                    actor,
                ),
            )
            timed(
                "pre_review",
                lambda: app.execute(
                    PreReview(
                        nomination_id=t.pre_reviewing[k],
                        decision="admit",
                        reasons=["材料翔实 / thorough"],
                        checks=SITE_CHECKS,
                    ),
                    CITY_REVIEWER,
                ),
            )
            timed(
                "inspect",
                lambda: app.execute(
                    Inspect(
                        nomination_id=t.inspecting[k],
                        methods=METHODS,
                        scores=site_scores(85),
                        checklist=SITE_CHECKLIST,
                        verdict="pass",
                    ),
                    CITY_INSPECTOR,
                ),
            )
            timed(
                "commend",
                lambda: app.execute(
                    Commend(
                        campaign_id=t.commending, category=CATEGORY, nomination_ids=[t.commendable[k]]
                    ),
                    CITY_REVIEWER,
                ),
            )

    threads = [threading.Thread(target=client, args=(t,)) for t in targets]
    for th in threads:
        th.start()
    run.meter = Meter(None)
    barrier.wait()
    with run.meter.measure():
        for th in threads:
            th.join()
    return run


# --- HTTP ---------------------------------------------------------------------------------


@dataclass
class Tokens:
    declarers: dict[str, str]
    reviewer: str
    inspector: str


def issue_tokens(base_url: str, towns: list[str]) -> Tokens:
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
    ) as root:

        def token(role: str, unit: str) -> str:
            r = root.post(
                "/v1/tokens", json={"role": role, "unit_id": unit, "label": f"bench {role} {unit}"}
            )
            r.raise_for_status()
            return r.json()["token"]

        return Tokens(
            {t: token("declarer", t) for t in towns},
            token("reviewer", "city-1"),
            token("inspector", "city-1"),
        )


def requests_for(t: Targets, k: int, tokens: Tokens) -> list[tuple[str, str, dict[str, Any], str, int]]:
    """(kind, path, body, token, expected status) of client ``t``'s round ``k``."""
    village = t.villages[k]
    return [
        (
            "declare",
            f"/v1/campaigns/{t.declaring}/nominations",
            {
                "category": CATEGORY,
                "declaring_unit_id": t.town,
                "nominee": {"kind": "site", "unit_id": village, "name": f"{village} 站点"},
                "material": MATERIAL,
            },
            tokens.declarers[t.town],
            201,
        ),
        (
            "pre_review",
            f"/v1/nominations/{t.pre_reviewing[k]}/pre-review",
            {"decision": "admit", "reasons": ["材料翔实 / thorough"], "checks": SITE_CHECKS},
            tokens.reviewer,
            200,
        ),
        (
            "inspect",
            f"/v1/nominations/{t.inspecting[k]}/inspections",
            {
                "methods": METHODS,
                "scores": site_scores(85),
                "checklist": SITE_CHECKLIST,
                "verdict": "pass",
            },
            tokens.inspector,
            200,
        ),
        (
            "commend",
            f"/v1/campaigns/{t.commending}/commendations",
            {"category": CATEGORY, "nomination_ids": [t.commendable[k]]},
            tokens.reviewer,
            200,
        ),
    ]


def check(run: Run, kind: str, response: httpx.Response, expected: int | tuple[int, ...]) -> None:
    if response.status_code not in ((expected,) if isinstance(expected, int) else expected):
        run.errors.append(f"{kind}: HTTP {response.status_code}: {response.text[:240]}")


async def http_async(
    base_url: str,
    targets: list[Targets],
    rounds: int,
    tokens: Tokens | None,
    server_pid: int,
    probe: bool,
) -> Run:
    """``tokens`` None: the trivial run (GET /healthz, 4 x rounds per client)."""
    run = Run("http" if tokens else "trivial", len(targets))
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) for _ in targets]
    done = asyncio.Event()
    start = asyncio.Event()

    async def client(c: httpx.AsyncClient, t: Targets) -> None:
        await c.get("/healthz")  # open the connection before the clock starts
        await start.wait()
        for k in range(rounds):
            if tokens is None:
                for _ in KINDS:
                    started = time.perf_counter()
                    try:
                        check(run, "healthz", await c.get("/healthz"), 200)
                    except httpx.HTTPError as exc:
                        run.errors.append(f"healthz: {type(exc).__name__}: {exc}")
                    run.add("healthz", time.perf_counter() - started)
                continue
            for kind, path, body, token, expected in requests_for(t, k, tokens):
                started = time.perf_counter()
                try:
                    check(
                        run,
                        kind,
                        await c.post(path, json=body, headers={"Authorization": f"Bearer {token}"}),
                        expected,
                    )
                except httpx.HTTPError as exc:
                    run.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                run.add(kind, time.perf_counter() - started)

    async def prober() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as c:
            await c.get("/healthz")
            await start.wait()
            while not done.is_set():
                started = time.perf_counter()
                await c.get("/healthz")
                run.probe.append(time.perf_counter() - started)
                await asyncio.sleep(0.02)

    tasks = [asyncio.create_task(client(c, t)) for c, t in zip(clients, targets, strict=True)]
    probe_task = asyncio.create_task(prober()) if probe else None
    await asyncio.sleep(0.2)
    run.meter = Meter(server_pid)
    with run.meter.measure():
        start.set()
        await asyncio.gather(*tasks)
    done.set()
    if probe_task:
        await probe_task
    for c in clients:
        await c.aclose()
    return run


def run_http(
    base_url: str,
    targets: list[Targets],
    rounds: int,
    tokens: Tokens | None,
    server_pid: int,
    probe: bool = False,
) -> Run:
    """The load: httpx.AsyncClient tasks on one asyncio loop (a thread-per-client generator
    measured the same and cost more CPU, so it was dropped)."""
    return asyncio.run(http_async(base_url, targets, rounds, tokens, server_pid, probe))


# --- main ---------------------------------------------------------------------------------


def ticks(exclude: tuple[int, ...] = ()) -> dict[int, tuple[float, str]]:
    """CPU seconds and command line of every process but this one and ``exclude``."""
    out = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) not in (os.getpid(), *exclude):
            with contextlib.suppress(OSError, ValueError, IndexError):  # the process ended
                out[int(d.name)] = (
                    proc_cpu(int(d.name)),
                    (d / "cmdline")
                    .read_bytes()
                    .replace(b"\0", b" ")
                    .decode(errors="replace")
                    .strip()[:90],
                )
    return out


def others_cpu(
    before: dict[int, tuple[float, str]], after: dict[int, tuple[float, str]]
) -> tuple[float, float]:
    """(PostgreSQL backends, everything else) CPU seconds between two ``ticks``."""
    pg = other = 0.0
    for pid, (cpu, cmd) in after.items():
        delta = cpu - before[pid][0] if pid in before else cpu
        if cmd.startswith("postgres"):
            pg += delta
        else:
            other += delta
    return pg, other


def load_note(exclude: tuple[int, ...] = ()) -> str:
    """The load average and the processes that used >= 10 % of a core over the last second."""
    before = ticks(exclude)
    time.sleep(1.0)
    after = ticks(exclude)
    busy = sorted(
        ((after[p][0] - before[p][0], after[p][1]) for p in after if p in before), reverse=True
    )
    load = os.getloadavg()
    others = [f"{cpu * 100:.0f}% {cmd}" for cpu, cmd in busy if cpu >= 0.10]
    return f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; others busy: " + (
        " | ".join(others) or "none"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--clients", default="8,32", help="concurrency levels, comma-separated")
    parser.add_argument(
        "--ops", type=int, default=256, help="commands of each kind per run (split between the clients)"
    )
    parser.add_argument(
        "--server-log-level",
        default="WARNING",
        help="LAUREL_LOG_LEVEL of the server (INFO logs every request)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes of the server (server CPU then counts the master only)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="direct/http pairs per level, their order swapping each time",
    )
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    levels = [int(x) for x in args.clients.split(",")]
    rounds_at = {c: max(1, args.ops // c) for c in levels}
    console = Console(width=220)

    with tempfile.TemporaryDirectory() as tmp, database(args.backend, Path(tmp)) as url:
        settings = Settings(database_url=url, admin_token=ADMIN_TOKEN, log_level="WARNING")
        services = bootstrap(settings, configure_logs=True)  # builds the city and prepares the targets
        # The direct runs go through a second application whose aggregate cache, like the
        # server's, holds only what its own commands loaded (not the prepared aggregates).
        direct_services = bootstrap(settings, configure_logs=False)
        try:
            started = time.perf_counter()
            build_city(services.app, townships=max(levels), villages=max(rounds_at.values()))
            console.print(f"city built in {time.perf_counter() - started:.1f} s")
            port = free_port()
            with server_process(url, port, args.server_log_level, args.workers) as server:
                base_url = f"http://127.0.0.1:{port}"
                tokens = issue_tokens(base_url, [f"town-{i + 1}" for i in range(max(levels))])
                # warm-up (not recorded): both paths, every endpoint, a few clients
                few = min(4, max(levels))  # as many towns as the largest level has
                run_direct(direct_services, prepare(services, few, 2), 2)
                run_http(base_url, prepare(services, few, 2), 2, tokens, server.pid)
                run_http(base_url, prepare(services, few, 2), 2, None, server.pid)

                results: dict[str, Any] = {}
                for clients in levels:
                    rounds = rounds_at[clients]
                    directs: list[Run] = []
                    https: list[Run] = []
                    pairs: list[dict[str, Any]] = []
                    for repeat in range(args.repeats):
                        note = load_note((server.pid,))  # a second of sampling: once per pair
                        started = time.perf_counter()
                        direct_targets, http_targets = (
                            prepare(services, clients, rounds),
                            prepare(services, clients, rounds),
                        )
                        console.print(
                            f"{clients} clients, pair {repeat + 1}/{args.repeats}: prepared "
                            f"{2 * clients * rounds * 6} commands of state in "
                            f"{time.perf_counter() - started:.1f} s; {note}"
                        )
                        if repeat % 2 == 0:
                            direct = run_direct(direct_services, direct_targets, rounds)
                            http = run_http(
                                base_url, http_targets, rounds, tokens, server.pid, probe=True
                            )
                        else:
                            http = run_http(
                                base_url, http_targets, rounds, tokens, server.pid, probe=True
                            )
                            direct = run_direct(direct_services, direct_targets, rounds)
                        directs.append(direct)
                        https.append(http)
                        d, h = summary(direct, KINDS)["per_s"], summary(http, KINDS)["per_s"]
                        pairs.append(
                            {
                                "order": "direct, http" if repeat % 2 == 0 else "http, direct",
                                "direct_per_s": d,
                                "http_per_s": h,
                                "ratio": round(h / d, 3),
                                "load_before": note,
                            }
                        )
                    trivial = run_http(base_url, http_targets, rounds, None, server.pid)
                    ratios = sorted(p["ratio"] for p in pairs)
                    level = {
                        "rounds_per_client": rounds,
                        "load_before": pairs[0]["load_before"],
                        "load_after": load_note((server.pid,)),
                        "direct": summary(pooled(directs), KINDS),
                        "http": summary(pooled(https), KINDS),
                        "trivial_healthz": summary(trivial, ("healthz",)),
                        "pairs": pairs,
                        "pair_ratio_median": ratios[len(ratios) // 2],
                        "pair_ratio_range": [ratios[0], ratios[-1]],
                    }
                    level["http_vs_direct_throughput"] = round(
                        level["http"]["per_s"] / level["direct"]["per_s"], 3
                    )
                    level["http_p99_vs_healthz_p99"] = round(
                        level["http"]["p99_ms"] / level["trivial_healthz"]["p99_ms"], 1
                    )
                    level["targets"] = {
                        "throughput_at_least_70pct_of_direct": level["http_vs_direct_throughput"]
                        >= 0.70,
                        "p99_below_50ms": level["http"]["p99_ms"] < 50,
                    }
                    results[str(clients)] = level
        finally:
            direct_services.close()
            services.close()

    figures = {
        "backend": args.backend,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}",
        "server": f"python -m cli api --workers {args.workers} (uvicorn), separate process; "
        "server log level " + args.server_log_level,
        "loadgen": "asyncio",
        "ops_per_kind": args.ops,
        "repeats": args.repeats,
        "levels": results,
    }
    print_tables(console, figures)
    write_results("api", figures)


def print_tables(console: Console, figures: dict[str, Any]) -> None:
    table = Table(
        "clients",
        "mode",
        "per s",
        "p50 ms",
        "p99 ms",
        "declare p50/p99",
        "pre-review p50/p99",
        "inspect p50/p99",
        "commend p50/p99",
        "errors",
        "CPU s loadgen/server/pg/others",
        "busy cores",
        title=f"api on {figures['backend']} ({figures['loadgen']} load generator)",
    )
    for clients, level in figures["levels"].items():
        for mode in ("direct", "http", "trivial_healthz"):
            s = level[mode]
            kinds = (
                [f"{s['by_kind'][k]['p50_ms']}/{s['by_kind'][k]['p99_ms']}" for k in KINDS]
                if "by_kind" in s
                else ["", "", "", ""]
            )
            table.add_row(
                clients,
                mode,
                str(s["per_s"]),
                str(s["p50_ms"]),
                str(s["p99_ms"]),
                *kinds,
                str(s["errors"]),
                f"{s['loadgen_cpu_s']}/{s['server_cpu_s']}/{s['postgres_cpu_s']}/{s['others_cpu_s']}",
                str(s["busy_cores"]),
            )
        probe = level["http"].get("healthz_probe_during_load", {})
        table.add_row(
            clients,
            "ratios",
            f"http/direct {level['http_vs_direct_throughput']}",
            f"pairs {' '.join(str(p['ratio']) for p in level['pairs'])}",
            f"http/healthz {level['http_p99_vs_healthz_p99']}",
            f"healthz during load p50/p99 {probe.get('p50_ms')}/{probe.get('p99_ms')}",
            "",
            "",
            "",
            "",
            "",
            "",
        )
    console.print(table)
    for clients, level in figures["levels"].items():
        for mode in ("direct", "http", "trivial_healthz"):
            for sample in level[mode]["error_samples"]:
                console.print(f"[red]{clients} {mode}[/red] {sample}")


if __name__ == "__main__":
    main()
