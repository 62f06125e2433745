"""Reads at N events (default 1,000,000): the campaign dashboard now and as of a past instant,
the ranking of a category, and a nomination as of a past instant — p50/p99 over random
campaigns and nominations, each with a baseline measured in the same run on the same store
(a primary-key read of the same view row, and loading the nomination's current state).

    .venv/bin/python -m bench.reads [--events 1000000] [--backend sqlite|postgres] [--db PATH] [--n 300]

The store is generated as in ``bench.projections`` (the same realistic log); ``--db PATH``
reuses a SQLite store that ``bench.projections --db PATH`` left behind. The read models are
brought up to date (rebuilt) before measuring. Prints a table and writes
bench/results/reads.json."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.projections import database, open_services, prepare
from bench.stores import write_results
from projections.audit import LOG
from projections.campaigns import CAMPAIGN, NOMINATION, phases_of
from projections.projection import from_instant


def timed(
    calls: Sequence[Callable[[], Any]], check: Callable[[Any], bool] = lambda r: r is not None
) -> dict[str, float]:
    """Milliseconds per call: p50, p99, mean, max (after a short warm-up on other calls)."""
    for call in calls[:3]:
        call()
    spent: list[float] = []
    for call in calls:
        started = time.perf_counter()
        result = call()
        spent.append((time.perf_counter() - started) * 1000)
        assert check(result), "a read returned nothing"
    spent.sort()
    return {
        "n": len(spent),
        "p50_ms": round(statistics.median(spent), 2),
        "p99_ms": round(spent[min(len(spent) - 1, int(len(spent) * 0.99))], 2),
        "mean_ms": round(statistics.fmean(spent), 2),
        "max_ms": round(spent[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--db", help="SQLite file to keep (or reuse) the generated store in")
    parser.add_argument("--n", type=int, default=300, help="reads of each kind")
    args = parser.parse_args()
    console = Console()
    rng = random.Random(11)
    with database(args.backend, args.db) as url:
        prepare(url, args.events, console)
        services = open_services(url)
        try:
            views, app, store = services.views, services.app, services.views.store
            lag = max(views.lag().values(), default=0)
            if lag:
                started = time.perf_counter()
                views.rebuild()
                console.print(
                    f"read models rebuilt first ({lag:,} events pending) in "
                    f"{time.perf_counter() - started:.1f} s"
                )
            events = store.max_notification_id()
            campaigns = store.rows(
                f"SELECT campaign_id, phases, categories FROM {store.table(CAMPAIGN)}"
            )
            sizes = {
                r["campaign_id"]: r["n"]
                for r in store.rows(
                    f"SELECT campaign_id, COUNT(*) AS n FROM {store.table(LOG)} "
                    "WHERE campaign_id IS NOT NULL GROUP BY campaign_id"
                )
            }
            nominations = store.rows(f"SELECT nomination_id, declared_at FROM {store.table(NOMINATION)}")

            picked = [rng.choice(campaigns) for _ in range(args.n)]

            def as_of_instant(row: dict[str, Any]) -> datetime:
                phases = phases_of(row)
                start, end = phases[0].opens_at, phases[-1].closes_at
                return start + timedelta(seconds=(end - start).total_seconds() * rng.uniform(0.1, 1.0))

            dashboard_now = timed([lambda c=c: views.dashboard(c["campaign_id"]) for c in picked])
            campaign_row = timed(
                [
                    lambda c=c: store.rows(
                        f"SELECT * FROM {store.table(CAMPAIGN)} WHERE campaign_id = ?",
                        (c["campaign_id"],),
                    )
                    for c in picked
                ],
                check=bool,
            )
            instants = [(c["campaign_id"], as_of_instant(c)) for c in picked]
            dashboard_as_of = timed([lambda c=c, t=t: views.dashboard(c, as_of=t) for c, t in instants])
            replayed = statistics.fmean(sizes.get(c["campaign_id"], 0) for c in picked)
            rankings = [
                (c["campaign_id"], rng.choice(json.loads(c["categories"]))["code"]) for c in picked
            ]
            ranking = timed([lambda c=c, k=k: views.ranking(c, k) for c, k in rankings])

            chosen = rng.sample(nominations, min(args.n, len(nominations)))
            moments = [
                (r["nomination_id"], from_instant(r["declared_at"]) + timedelta(days=rng.uniform(0, 60)))
                for r in chosen
            ]  # type: ignore[operator]
            nomination_as_of = timed(
                [lambda i=i, t=t: app.queries.nomination_as_of(i, t) for i, t in moments]
            )
            others = rng.sample(
                nominations, min(args.n, len(nominations))
            )  # not in the aggregate cache yet, as the as-of reads' were
            nomination_now = timed([lambda i=r["nomination_id"]: app.get_nomination(i) for r in others])
        finally:
            services.close()

    figures: dict[str, Any] = {
        "backend": args.backend,
        "events": events,
        "campaigns": len(campaigns),
        "nominations": len(nominations),
        "dashboard_now": dashboard_now,
        "dashboard_now_baseline_campaign_row_select": campaign_row,
        "dashboard_as_of": dashboard_as_of,
        "dashboard_as_of_mean_campaign_events": round(replayed),
        "ranking": ranking,
        "nomination_as_of": nomination_as_of,
        "nomination_as_of_baseline_get_nomination_now": nomination_now,
        "dashboard_now_vs_row_select_p50": round(dashboard_now["p50_ms"] / campaign_row["p50_ms"], 1),
        "nomination_as_of_vs_now_p50": round(nomination_as_of["p50_ms"] / nomination_now["p50_ms"], 1),
    }
    table = Table(
        "read",
        "n",
        "p50 ms",
        "p99 ms",
        "mean ms",
        "max ms",
        title=f"reads at {events:,} events on {args.backend} / 查询延迟",
    )
    for key, value in figures.items():
        if isinstance(value, dict):
            table.add_row(
                key,
                str(value["n"]),
                str(value["p50_ms"]),
                str(value["p99_ms"]),
                str(value["mean_ms"]),
                str(value["max_ms"]),
            )
    console.print(table)
    console.print({k: v for k, v in figures.items() if not isinstance(v, dict)})
    write_results("reads", figures, per_backend=args.backend)  # the latest run on each backend


if __name__ == "__main__":
    main()
