"""Direct application throughput: the command mix declare -> pre-review -> inspect on the
real event store, against a baseline measured in the same run (saving a trivial aggregate
event through the same library and store, no rules).

    .venv/bin/python -m bench.commands [--backend sqlite|postgres] [--n 300]

Prints a table and writes bench/results/commands.json."""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

from eventsourcing.domain import Aggregate
from rich.console import Console
from rich.table import Table

from bench.fixtures import (
    CITY_INSPECTOR,
    CITY_REVIEWER,
    DECLARING,
    INSPECTING,
    PRE_REVIEWING,
    SITE_CHECKLIST,
    SITE_CHECKS,
    build_city,
    declarer,
    five_good_campaign,
    material,
    site_scores,
)
from bench.stores import store_url, write_results
from domain.commands import Declare, Inspect, PreReview
from infra.bootstrap import bootstrap
from infra.settings import Settings


class Probe(Aggregate):
    class Started(Aggregate.Created):
        n: int

    def __init__(self, n: int) -> None:
        self.n = n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--n", type=int, default=300, help="nominations (3 commands each)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        url = stack.enter_context(store_url(args.backend, Path(tmp) / "bench.sqlite3"))
        services = bootstrap(Settings(database_url=url, log_level="WARNING"), configure_logs=True)
        app = services.app
        world = build_city(app, townships=1, villages=args.n)
        campaign_id = five_good_campaign(app)

        started = time.perf_counter()
        for i in range(args.n):
            app.save(Probe(n=i))
        baseline = args.n / (time.perf_counter() - started)

        started = time.perf_counter()
        ids = [
            app.execute(
                Declare(
                    campaign_id=campaign_id,
                    category="five_good_site",
                    declaring_unit_id="town-1",
                    nominee={"kind": "site", "unit_id": v, "name": v},
                    form={},
                    material=material(),
                ),
                declarer("town-1"),
                at=DECLARING,
            )["id"]
            for v in world.villages["town-1"]
        ]
        declare_rate = args.n / (time.perf_counter() - started)
        started = time.perf_counter()
        for nid in ids:
            app.execute(
                PreReview(nomination_id=nid, decision="admit", reasons=[], checks=SITE_CHECKS),
                CITY_REVIEWER,
                at=PRE_REVIEWING,
            )
            app.execute(
                Inspect(
                    nomination_id=nid,
                    methods=["site_visit"],
                    scores=site_scores(80),
                    checklist=SITE_CHECKLIST,
                    verdict="pass",
                ),
                CITY_INSPECTOR,
                at=INSPECTING,
            )
        review_rate = 2 * args.n / (time.perf_counter() - started)
        services.close()

    figures = {
        "backend": args.backend,
        "n": args.n,
        "baseline_saves_per_s": round(baseline, 1),
        "declare_per_s": round(declare_rate, 1),
        "pre_review_and_inspect_per_s": round(review_rate, 1),
        "declare_vs_baseline": round(declare_rate / baseline, 3),
        "review_vs_baseline": round(review_rate / baseline, 3),
    }
    table = Table("figure", "value", title=f"commands on {args.backend}")
    for key, value in figures.items():
        table.add_row(key, str(value))
    Console().print(table)
    write_results("commands", figures)


if __name__ == "__main__":
    main()
