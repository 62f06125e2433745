"""Rebuilding every read model from a log of N events (default 1,000,000), against two
baselines measured in the same run on the same notifications with the same batch size:
(a) reading them (``recorder.select_notifications``) and (b) reading and decoding them
(``app.mapper.to_domain_event``), i.e. everything a rebuild does except projecting.

The log is realistic and built through the domain aggregates, many aggregates per save: a
province of cities > counties > townships > villages, and for each city and year twelve
county campaigns of the five-good-sites template (sites, administrators, advanced workers
declared, pre-reviewed, inspected once or twice, commended within quota, the rest rejected,
withdrawn or lapsed) whose commended nominations are forwarded to the city's campaign, and
the yearly re-inspection of last year's titles (kept or revoked).

    .venv/bin/python -m bench.projections [--events 1000000] [--backend sqlite|postgres] [--db PATH]

``--db PATH`` (SQLite) keeps the generated store in PATH, or reuses it when it already holds
events (``bench.reads`` can then read the same store). Prints a table and writes
bench/results/projections.json.

    .venv/bin/python -m bench.projections --visible [--backend postgres] [--saves 600] [--rate 20]

measures save → visible instead: a runner following the log in a process of its own, waking
by a 0.2 s poll (the only way on SQLite, and PostgreSQL's before LISTEN/NOTIFY) or, on
PostgreSQL, on the events' NOTIFY, in alternating rounds of the same run; one client saves a
city through ``Laurel.execute`` at Poisson-spaced instants (open loop, ``--rate`` per second).
A save's latency runs from its ``execute`` returning to the runner's commit of the batch that
reaches its position (both read CLOCK_MONOTONIC, one clock for the machine). Writes
bench/results/save_to_visible.json."""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from bench.fixtures import ADMIN, SYSTEM
from bench.stores import store_url, write_results
from domain.actors import Actor
from domain.application import Laurel
from domain.campaigns import Campaign
from domain.commands import CreateCampaign, RegisterUnit
from domain.nominations import Nomination
from domain.units import Unit
from domain.values import Category, Nominee
from domain.vocabulary import Role
from infra.bootstrap import Services, bootstrap
from infra.settings import Settings, eventsourcing_env
from projections.runner import Runner
from projections.views import REBUILD_BATCH
from projections.wakeup import Listener, Poll, Wakeup

BATCH = REBUILD_BATCH  # the rebuild's batch size (Views.rebuild's default), also used by the baselines
SAVE_EVERY = 2000  # aggregates per app.save while generating
COUNTIES, TOWNSHIPS, VILLAGES = 12, 12, 25  # per city, per county, per township
FIRST_YEAR = 2012
CHECKS = {"equipment_runs_normally": True, "hardware_damaged_by_missing_protections": False}
PARAGRAPH = (
    "党支部把远程教育站点建在党员活动室，管理员持证上岗，每月十日固定为集中学习日，"
    "组织党员群众收看种植养殖技术课件，三簿一册记录真实规范，设备五防措施落实到位。"
    "站点累计培训党员干部群众一千二百余人次，带动发展核桃、中药材等致富项目十余个。"
)
METHODS = (
    ["document_review", "site_visit"],
    ["site_visit"],
    ["document_review", "site_visit", "questionnaire"],
    ["live_operation", "site_visit"],
)


def material(rng: random.Random, where: str) -> str:
    """A typical material of 820-1,200 characters (seed 002 style), naming its village."""
    chars = rng.randint(820, 1200)
    text = where + (PARAGRAPH * (chars // len(PARAGRAPH) + 1))
    return text[:chars]


# --- the store ----------------------------------------------------------------------------


@contextmanager
def database(backend: str, db: str | None) -> Iterator[str]:
    """A LAUREL_DATABASE_URL: SQLite (``db`` or a temporary file) or a fresh PostgreSQL schema."""
    if db or backend != "sqlite":
        with store_url(backend, Path(db or "unused.sqlite3")) as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as tmp, store_url(backend, Path(tmp) / "bench.sqlite3") as url:
        yield url


def open_services(url: str) -> Services:
    return bootstrap(Settings(database_url=url, log_level="WARNING"), configure_logs=True)


def stored_events(url: str) -> int:
    app = Laurel(env=eventsourcing_env(Settings(database_url=url)))
    try:
        return int(app.recorder.max_notification_id() or 0)
    finally:
        app.close()


# --- generating the log --------------------------------------------------------------------


@dataclass
class Place:
    city: str
    counties: dict[str, dict[str, list[str]]] = field(
        default_factory=dict
    )  # county -> township -> villages


@dataclass
class Generated:
    events: int = 0
    units: int = 0
    campaigns: int = 0
    nominations: int = 0
    titles: int = 0
    seconds: float = 0.0
    years: list[int] = field(default_factory=list)


class Builder:
    """Builds the log through the aggregates; counts what the store holds as it goes."""

    def __init__(
        self, app: Laurel, target: int, seed: int = 7, tick: Callable[[int], None] | None = None
    ) -> None:
        self.app, self.target, self.rng = app, target, random.Random(seed)
        self.tick = tick or (lambda _n: None)
        self.out = Generated()
        self.pending: list[Any] = []
        self.titles: list[
            tuple[Nomination, Category, datetime]
        ] = []  # last year's five-good-site titles

    # saving ---------------------------------------------------------------------------------

    def stage(self, *aggregates: Any) -> None:
        self.pending.extend(aggregates)
        if len(self.pending) >= SAVE_EVERY:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        unique = list({id(a): a for a in self.pending}.values())
        recordings = self.app.save(*unique)
        self.pending.clear()
        self.out.events += len(recordings)
        self.tick(len(recordings))

    # units ----------------------------------------------------------------------------------

    def units(self, cities: int, at: datetime) -> list[Place]:
        places: list[Place] = []
        who = ADMIN
        for c in range(1, cities + 1):
            city = Unit.register(f"city-{c}", f"City {c}", f"示范市{c}", "city", None, who, at)
            place = Place(city.code)
            staged: list[Any] = [city]
            for k in range(1, COUNTIES + 1):
                county = Unit.register(
                    f"county-{c}-{k}", f"County {c}-{k}", f"宜君县{c}-{k}", "county", city, who, at
                )
                place.counties[county.code] = {}
                staged.append(county)
                for t in range(1, TOWNSHIPS + 1):
                    town = Unit.register(
                        f"town-{c}-{k}-{t}",
                        f"Township {c}-{k}-{t}",
                        f"彭镇{c}-{k}-{t}",
                        "township",
                        county,
                        who,
                        at,
                    )
                    staged.append(town)
                    villages = []
                    for v in range(1, VILLAGES + 1):
                        village = Unit.register(
                            f"vil-{c}-{k}-{t}-{v:02d}",
                            f"Village {c}-{k}-{t}-{v}",
                            f"前双村{c}-{k}-{t}-{v}",
                            "village",
                            town,
                            who,
                            at,
                        )
                        staged.append(village)
                        villages.append(village.code)
                    place.counties[county.code][town.code] = villages
            self.out.units += len(staged)
            self.stage(*staged)
            places.append(place)
        self.flush()
        return places

    # one campaign's pipeline ------------------------------------------------------------------

    def scores(self, category: Category, high: bool) -> dict[str, float]:
        base = self.rng.uniform(62, 97) if high else self.rng.uniform(40, 75)
        return {
            c.code: round(min(100.0, max(0.0, base + self.rng.uniform(-6, 6))), 1)
            for c in category.criteria
        }

    def run_campaign(
        self, campaign: Campaign, declared: list[Nomination], registered_by: Actor, year: int
    ) -> list[Nomination]:
        """Walks declared nominations through pre-review, inspection and commendation inside the
        campaign's phase windows; returns the commended ones."""
        rng = self.rng
        reviewer = Actor(
            f"bench-reviewer-{campaign.organiser_unit_id}", Role.REVIEWER, campaign.organiser_unit_id
        )
        inspector = Actor(
            f"bench-inspector-{campaign.organiser_unit_id}", Role.INSPECTOR, campaign.organiser_unit_id
        )
        system = SYSTEM

        def inside(code: str, start: float = 0.05, end: float = 0.9) -> datetime:
            phase = campaign.phase(code)
            span = (phase.closes_at - phase.opens_at).total_seconds()
            return phase.opens_at + timedelta(seconds=span * rng.uniform(start, end))

        # declaration (the declarations themselves were staged by the caller)
        decl = campaign.phase("declaration")
        campaign.close_phase("declaration", "deadline reached / 截止时间已到", system, decl.closes_at)
        campaign.open_phase("pre_review", system, campaign.phase("pre_review").opens_at)
        admitted: list[Nomination] = []
        waiting: list[Nomination] = []
        for nom in declared:
            roll = rng.random()
            if roll < 0.03:
                nom.withdraw(
                    "the village withdrew its declaration / 村党支部撤回申报",
                    registered_by,
                    inside("pre_review", 0.0, 0.5),
                )
            elif roll < 0.08:
                waiting.append(nom)  # lapses when pre-review closes
                continue
            elif roll < 0.15:
                nom.pre_review(
                    campaign.category(nom.category),
                    "reject",
                    ["材料不实 / material not substantiated"],
                    {},
                    reviewer,
                    inside("pre_review"),
                )
            else:
                nom.pre_review(
                    campaign.category(nom.category),
                    "admit",
                    [],
                    CHECKS if nom.category == "five_good_site" else {},
                    reviewer,
                    inside("pre_review"),
                )
                admitted.append(nom)
            self.stage(nom)
        pre = campaign.phase("pre_review")
        for nom in waiting:
            nom.lapse(
                "pre_review",
                "pre_review",
                "pre-review closed before a decision / 初审截止仍未处理",
                system,
                pre.closes_at,
            )
            self.stage(nom)
        campaign.close_phase("pre_review", "deadline reached / 截止时间已到", system, pre.closes_at)
        campaign.open_phase("inspection", system, campaign.phase("inspection").opens_at)
        self.stage(campaign)

        inspected: list[Nomination] = []
        for nom in admitted:
            if rng.random() < 0.05:
                nom.lapse(
                    "inspection",
                    "inspection",
                    "not inspected before the deadline / 考核截止仍未考核",
                    system,
                    campaign.phase("inspection").closes_at,
                )
            else:
                category = campaign.category(nom.category)
                for _ in range(2 if rng.random() < 0.12 else 1):
                    scores = self.scores(category, high=rng.random() < 0.85)
                    weighted = sum(scores[c.code] * c.weight for c in category.criteria) / sum(
                        c.weight for c in category.criteria
                    )
                    verdict = "pass" if weighted >= category.pass_mark else "fail"
                    nom.inspect(
                        category,
                        rng.choice(METHODS),
                        scores,
                        verdict,
                        "",
                        inspector,
                        inside("inspection"),
                    )
                inspected.append(nom)
            self.stage(nom)
        insp = campaign.phase("inspection")
        campaign.close_phase("inspection", "deadline reached / 截止时间已到", system, insp.closes_at)
        comm = campaign.phase("commendation")
        campaign.open_phase("commendation", system, comm.opens_at)

        commended: list[Nomination] = []
        at = comm.opens_at + timedelta(days=3)
        anniversary = campaign.title_anniversary()
        for category in campaign.categories:
            passed = [n for n in inspected if n.category == category.code and n.passed]
            passed.sort(
                key=lambda n: (-(n.score or 0.0), -(n.lowest_score or 0.0), n.declared_at, str(n.id))
            )
            chosen = passed[: category.quota] if category.quota is not None else passed
            if not chosen:
                continue
            campaign.award(category.code, [str(n.id) for n in chosen], reviewer, at)
            for rank, nom in enumerate(chosen, start=1):
                nom.commend(rank, category, reviewer, at, anniversary)
                self.stage(nom)
                if category.yearly_reinspection:
                    self.titles.append((nom, category, anniversary))
            commended.extend(chosen)
        campaign.close_phase("commendation", "deadline reached / 截止时间已到", system, comm.closes_at)
        self.stage(campaign)
        self.out.titles += len(commended)
        return commended

    def declare(
        self,
        campaign: Campaign,
        category: str,
        declaring: str,
        nominee: Nominee,
        actor: Actor,
        at: datetime,
        *,
        forwarded_from: dict[str, Any] | None = None,
        source: Nomination | None = None,
    ) -> Nomination:
        nom = Nomination.declare(
            campaign.id,
            category,
            declaring,
            nominee,
            {},
            source.material if source else material(self.rng, nominee.name),
            actor,
            at,
            forwarded_from=forwarded_from,
        )
        self.out.nominations += 1
        self.stage(nom, campaign)
        return nom

    def county_campaign(
        self, county: str, towns: dict[str, list[str]], year: int, parent: Campaign
    ) -> list[Nomination]:
        cid = self.app.execute(
            CreateCampaign(
                template="five-good-sites",
                organiser_unit_id=county,
                year=year,
                parent_campaign_id=parent.id,
            ),
            ADMIN,
            at=datetime(year, 10, 1, tzinfo=UTC),
        )["id"]
        self.out.events += 2  # campaign.created + the directory's listing (saved by the command)
        campaign = self.app.get_campaign(cid, for_update=True)
        system = SYSTEM
        decl = campaign.phase("declaration")
        campaign.open_phase("declaration", system, decl.opens_at)
        declared: list[Nomination] = []

        def when() -> datetime:
            return decl.opens_at + timedelta(
                seconds=(decl.closes_at - decl.opens_at).total_seconds() * self.rng.uniform(0.02, 0.98)
            )

        for town, villages in towns.items():
            declarer = Actor(f"bench-declarer-{town}", Role.DECLARER, town)
            for v in villages:
                if self.rng.random() < 0.6:
                    declared.append(
                        self.declare(
                            campaign,
                            "five_good_site",
                            town,
                            Nominee("site", v, f"{v} 站点", level="village"),
                            declarer,
                            when(),
                        )
                    )
                if self.rng.random() < 0.4:
                    declared.append(
                        self.declare(
                            campaign,
                            "outstanding_administrator",
                            town,
                            Nominee("person", v, f"管理员{v}", person_id=f"p-adm-{v}", level="village"),
                            declarer,
                            when(),
                        )
                    )
                if self.rng.random() < 0.1:
                    declared.append(
                        self.declare(
                            campaign,
                            "advanced_worker",
                            town,
                            Nominee("person", v, f"工作者{v}", person_id=f"p-wrk-{v}", level="village"),
                            declarer,
                            when(),
                        )
                    )
            if self.rng.random() < 0.5:
                declared.append(
                    self.declare(
                        campaign,
                        "advanced_worker",
                        town,
                        Nominee(
                            "person", town, f"工作者{town}", person_id=f"p-wrk-{town}", level="township"
                        ),
                        declarer,
                        when(),
                    )
                )
        self.out.campaigns += 1
        return self.run_campaign(
            campaign, declared, Actor("bench-declarer", Role.DECLARER, county), year
        )

    def city_year(self, place: Place, year: int) -> None:
        # The city's campaign runs in December, after its counties' campaigns; it receives their
        # commended nominations by forwarding.
        start = datetime(year, 12, 1, tzinfo=UTC)
        durations = {
            "declaration": 14 * 86400,
            "pre_review": 7 * 86400,
            "inspection": 14 * 86400,
            "commendation": 20 * 86400,
        }
        cid = self.app.execute(
            CreateCampaign(
                template="five-good-sites",
                organiser_unit_id=place.city,
                starts_at=start,
                durations=durations,
            ),
            ADMIN,
            at=start - timedelta(days=60),
        )["id"]
        self.out.events += 2
        city_campaign = self.app.get_campaign(cid, for_update=True)
        self.out.campaigns += 1
        system = SYSTEM
        forwards: list[tuple[Nomination, str]] = []
        for county, towns in place.counties.items():
            if self.out.events >= self.target:
                break
            forwards.extend(
                (n, county) for n in self.county_campaign(county, towns, year, city_campaign)
            )
        city_campaign.open_phase("declaration", system, start)
        declared: list[Nomination] = []
        for source, county in forwards:
            reviewer = Actor(f"bench-reviewer-{county}", Role.REVIEWER, county)
            at = start + timedelta(days=1, minutes=self.rng.randint(0, 2000))
            provenance = {
                "campaign_id": str(source.campaign_id),
                "nomination_id": str(source.id),
                "score": source.score,
                "organiser_unit_id": county,
            }
            target = self.declare(
                city_campaign,
                source.category,
                county,
                source.nominee,
                reviewer,
                at,
                forwarded_from=provenance,
                source=source,
            )
            source.forward(city_campaign.id, target.id, reviewer, at)
            self.stage(source)
            declared.append(target)
        self.run_campaign(
            city_campaign, declared, Actor("bench-declarer", Role.DECLARER, place.city), year
        )

    def reinspect_titles(self, year: int) -> None:
        """Last year's five-good-site titles fall due 60 days before their anniversary; 90 %
        pass their re-inspection, the rest are revoked."""
        inspector = Actor("bench-inspector-reinspection", Role.INSPECTOR, None)
        system = SYSTEM
        keep: list[tuple[Nomination, Category, datetime]] = []
        for nom, category, anniversary in self.titles:
            if anniversary.year != year or not nom.title_active:
                continue
            nom.mark_reinspection_due(anniversary, system, anniversary - timedelta(days=60))
            passed = self.rng.random() < 0.9
            scores = self.scores(category, high=passed)
            weighted = sum(scores[c.code] * c.weight for c in category.criteria) / sum(
                c.weight for c in category.criteria
            )
            verdict = "pass" if passed and weighted >= category.pass_mark else "fail"
            nom.reinspect(
                category,
                ["site_visit"],
                scores,
                verdict,
                "" if verdict == "pass" else "设备损坏未修复",
                inspector,
                anniversary - timedelta(days=self.rng.randint(5, 50)),
            )
            self.stage(nom)
            if nom.title_active:
                keep.append((nom, category, nom.held_title().anniversary))
        self.titles = [t for t in self.titles if t[2].year > year] + keep

    def build(self) -> Generated:
        started = time.perf_counter()
        cities = max(1, round(self.target / 200_000))
        places = self.units(cities, datetime(FIRST_YEAR - 1, 6, 1, tzinfo=UTC))
        year = FIRST_YEAR
        while self.out.events < self.target:
            self.reinspect_titles(year)
            for place in places:
                if self.out.events >= self.target:
                    break
                self.city_year(place, year)
            self.flush()
            self.out.years.append(year)
            year += 1
        self.flush()
        self.out.seconds = time.perf_counter() - started
        return self.out


def generate(url: str, events: int, console: Console) -> Generated:
    app = Laurel(env=eventsourcing_env(Settings(database_url=url)))
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]} events/s"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("generating the log / 生成事件", total=events, rate="-")
            started = time.perf_counter()

            def tick(n: int) -> None:
                done = progress.tasks[0].completed + n
                progress.update(
                    task, advance=n, rate=f"{done / max(time.perf_counter() - started, 1e-9):,.0f}"
                )

            out = Builder(app, events, tick=tick).build()
        out.events = int(app.recorder.max_notification_id() or 0)
        return out
    finally:
        app.close()


def prepare(url: str, events: int, console: Console) -> Generated | None:
    """Generates the log unless the store already holds at least one event (a reused --db)."""
    held = stored_events(url)
    if held:
        console.print(f"reusing the store: {held:,} events already there / 复用已有事件库")
        return None
    out = generate(url, events, console)
    years = (
        f"{out.years[0]}-{out.years[-1]}" if out.years else "none"
    )  # a small log may end inside its first year
    console.print(
        f"generated {out.events:,} events in {out.seconds:,.1f} s "
        f"({out.events / out.seconds:,.0f} events/s): {out.units:,} units, "
        f"{out.campaigns:,} campaigns, {out.nominations:,} nominations, "
        f"{out.titles:,} commended, years {years}"
    )
    return out


# --- measuring -----------------------------------------------------------------------------


def read_all(app: Laurel, decode: bool, batch: int = BATCH) -> tuple[int, float]:
    """Reads every notification in batches as the runner does (optionally decoding each)."""
    recorder, mapper = app.recorder, app.mapper
    head = int(recorder.max_notification_id() or 0)
    started = time.perf_counter()
    position, count = 0, 0
    while position < head:
        notifications = recorder.select_notifications(position + 1, batch)
        if not notifications:
            break
        if decode:
            for n in notifications:
                mapper.to_domain_event(n)
        count += len(notifications)
        position = notifications[-1].id
    return count, time.perf_counter() - started


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rebuild(services: Services, console: Console) -> tuple[int, float, float]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} events/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        total = services.views.store.max_notification_id()
        task = progress.add_task("rebuilding / 重建投影", total=total, rate="-")
        started, cpu = time.perf_counter(), time.process_time() + children_cpu()

        def report(p: Any) -> None:
            progress.update(
                task,
                completed=p.processed,
                rate=f"{p.processed / max(time.perf_counter() - started, 1e-9):,.0f}",
            )

        done = services.views.rebuild(progress=report, batch_size=BATCH)
        seconds = time.perf_counter() - started
        cpu = time.process_time() + children_cpu() - cpu
        console.print(
            f"rebuild: {done:,} events in {seconds:.1f} s wall, {cpu:.1f} s CPU "
            "(this process and the rebuild processes)"
        )
        return done, seconds, cpu


def view_counts(services: Services) -> dict[str, int]:
    from projections.audit import LOG
    from projections.campaigns import CAMPAIGN, NOMINATION
    from projections.titles import TITLE

    store = services.views.store
    return {
        t.name: int(store.scalar(f"SELECT COUNT(*) FROM {store.table(t)}") or 0)
        for t in (LOG, CAMPAIGN, NOMINATION, TITLE)
    }


# --- save → visible ---------------------------------------------------------------------

POLL_SECONDS = 0.2  # the runner's poll (``laurel projections run --poll``)


class StampedRunner(Runner):
    """The runner, noting when each batch committed and the position it reached."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stamps: list[tuple[float, int]] = []

    def run_batch(self, *, stop: int | None = None, limit: int | None = None) -> int:
        read = super().run_batch(stop=stop, limit=limit)
        if read:
            self.stamps.append((time.monotonic(), self.position()))
        return read


def follow_and_stamp(url: str, wake_by: str, pipe: Any) -> None:
    """A follower process: says "ready" once it waits on its wake-up with nothing pending,
    follows until told to stop, then sends back its stamps."""
    services = bootstrap(Settings(database_url=url, log_level="WARNING"), configure_logs=True)
    views = services.views
    runner = StampedRunner(views.store, views.mapper, views.runner.projections)
    wake: Wakeup = Listener(views.store) if wake_by == "notify" else Poll(POLL_SECONDS)
    stopping, idle = threading.Event(), threading.Semaphore(0)

    def on_batch(done: int) -> None:
        if not done:
            idle.release()

    thread = threading.Thread(
        target=runner.follow, args=(stopping,), kwargs={"wake": wake, "on_batch": on_batch}
    )
    thread.start()
    try:
        for _ in range(2):  # the second empty catch-up began after the LISTEN
            idle.acquire()
        pipe.send("ready")
        pipe.recv()
    finally:
        stopping.set()
        thread.join()
        wake.close()
        services.close()
    pipe.send(runner.stamps)


def visible_round(
    services: Services, url: str, wake_by: str, saves: int, rate: float, rng: random.Random, first: int
) -> list[float]:
    """One round of ``saves`` saves against a fresh follower; their latencies in ms."""
    context = multiprocessing.get_context("spawn")
    pipe, child_pipe = context.Pipe()
    follower = context.Process(target=follow_and_stamp, args=(url, wake_by, child_pipe))
    follower.start()
    if pipe.recv() != "ready":
        raise RuntimeError("the follower did not start")
    saved: list[tuple[float, int]] = []
    due = time.monotonic()
    for n in range(first, first + saves):
        due += rng.expovariate(rate)
        time.sleep(max(0.0, due - time.monotonic()))
        services.app.execute(
            RegisterUnit(
                code=f"visible-{n}-shi", name=f"Visible {n}", name_zh=f"可见{n}市", level="city"
            ),
            ADMIN,
        )
        returned = time.monotonic()
        saved.append((returned, services.views.store.max_notification_id()))
    deadline = time.monotonic() + 60
    while min(services.views.runner.committed_positions().values()) < saved[-1][1]:
        if time.monotonic() > deadline:
            raise RuntimeError("the follower fell a minute behind")
        time.sleep(0.05)
    pipe.send("stop")
    stamps: list[tuple[float, int]] = pipe.recv()
    follower.join()
    latencies = []
    for returned, position in saved:
        committed = next(at for at, reached in stamps if reached >= position)
        latencies.append(max(0.0, committed - returned) * 1000)
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def save_to_visible(backend: str, saves: int, rate: float, rounds: int, console: Console) -> None:
    wakes = ("poll", "notify") if backend == "postgres" else ("poll",)
    latencies: dict[str, list[float]] = {w: [] for w in wakes}
    rng, first = random.Random(20), 0
    with database(backend, None) as url:
        services = open_services(url)
        try:
            for r in range(rounds):
                for wake_by in wakes:  # alternating, so that a noisy spell falls on both
                    got = visible_round(services, url, wake_by, saves, rate, rng, first)
                    first += saves
                    latencies[wake_by] += got
                    console.print(
                        f"round {r + 1} {wake_by}: p50 {percentile(got, 0.5):.1f} ms,"
                        f" p99 {percentile(got, 0.99):.1f} ms"
                    )
        finally:
            services.close()
    figures: dict[str, Any] = {
        "backend": backend,
        "saves_per_round": saves,
        "rate_per_s": rate,
        "rounds": rounds,
    }
    table = Table(
        "wakes by",
        "saves",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        title=f"save → visible on {backend} / 保存到可见",
    )
    for wake_by, got in latencies.items():
        row = {
            "saves": len(got),
            "p50_ms": round(percentile(got, 0.5), 1),
            "p90_ms": round(percentile(got, 0.9), 1),
            "p99_ms": round(percentile(got, 0.99), 1),
            "max_ms": round(max(got), 1),
        }
        figures[wake_by] = row
        table.add_row(wake_by, *(f"{v:,}" for v in row.values()))
    if "notify" in figures:
        figures["p99_notify_over_poll"] = round(
            figures["notify"]["p99_ms"] / figures["poll"]["p99_ms"], 3
        )
        figures["target_met_p99_under_100ms"] = figures["notify"]["p99_ms"] < 100
    console.print(table)
    write_results("save_to_visible", figures, per_backend=backend)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--db", help="SQLite file to keep (or reuse) the generated store in")
    parser.add_argument("--profile", help="write a cProfile of the rebuild to this file")
    parser.add_argument("--visible", action="store_true", help="measure save → visible instead")
    parser.add_argument("--saves", type=int, default=600, help="--visible: saves per round and wake-up")
    parser.add_argument("--rate", type=float, default=20.0, help="--visible: saves per second")
    parser.add_argument("--rounds", type=int, default=2, help="--visible: rounds of each wake-up")
    args = parser.parse_args()
    console = Console()
    if args.visible:
        save_to_visible(args.backend, args.saves, args.rate, args.rounds, console)
        return
    with database(args.backend, args.db) as url:
        generated = prepare(url, args.events, console)
        services = open_services(url)
        try:
            app = services.app
            raw_n, raw_s = read_all(app, decode=False)
            console.print(f"baseline read: {raw_n:,} notifications in {raw_s:.1f} s")
            dec_n, dec_s = read_all(app, decode=True)
            console.print(f"baseline read + decode: {dec_n:,} in {dec_s:.1f} s")
            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
                done, seconds, cpu = rebuild(services, console)
                profiler.disable()
                profiler.dump_stats(args.profile)
            else:
                done, seconds, cpu = rebuild(services, console)
            counts = view_counts(services)
        finally:
            services.close()
    rate, raw_rate, dec_rate = done / seconds, raw_n / raw_s, dec_n / dec_s
    figures: dict[str, Any] = {
        "backend": args.backend,
        "events": done,
        "batch_size": BATCH,
        "generation_seconds": round(generated.seconds, 1) if generated else None,
        "generated": {k: v for k, v in generated.__dict__.items() if k not in ("seconds",)}
        if generated
        else None,
        "rebuild_seconds": round(seconds, 1),
        "rebuild_events_per_s": round(rate),
        "rebuild_cpu_seconds": round(cpu, 1),
        "baseline_read_seconds": round(raw_s, 1),
        "baseline_read_events_per_s": round(raw_rate),
        "baseline_read_decode_seconds": round(dec_s, 1),
        "baseline_read_decode_events_per_s": round(dec_rate),
        "rebuild_vs_read": round(rate / raw_rate, 3),
        "rebuild_vs_read_decode": round(rate / dec_rate, 3),
        "target_met_under_60s_per_million": seconds * 1_000_000 / max(done, 1) < 60,
        "views": counts,
    }
    table = Table("figure", "value", title=f"projections rebuild on {args.backend} / 投影重建")
    for key, value in figures.items():
        table.add_row(
            key, f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
        )
    console.print(table)
    write_results("projections", figures, per_backend=args.backend)  # the latest run on each backend


if __name__ == "__main__":
    main()
