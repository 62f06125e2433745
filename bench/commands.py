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

from bench.stores import store_url, write_results
from infra.bootstrap import bootstrap
from infra.settings import Settings
from tests.integration.world import (
    CITY_INSPECTOR,
    CITY_REVIEWER,
    DECLARING,
    INSPECTING,
    PRE_REVIEWING,
    SITE_CHECKS,
    build_city,
    declarer,
    five_good_campaign,
    material,
    scores_for,
)


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
            app.declare(
                campaign_id,
                "five_good_site",
                "town-1",
                {"kind": "site", "unit_id": v, "name": v},
                {},
                material(),
                declarer("town-1"),
                at=DECLARING,
            )["id"]
            for v in world.villages["town-1"]
        ]
        declare_rate = args.n / (time.perf_counter() - started)
        started = time.perf_counter()
        for nid in ids:
            app.pre_review(nid, "admit", [], CITY_REVIEWER, checks=SITE_CHECKS, at=PRE_REVIEWING)
            app.inspect(nid, ["site_visit"], scores_for(80), "pass", CITY_INSPECTOR, at=INSPECTING)
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
