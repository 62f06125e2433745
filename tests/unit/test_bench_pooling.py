"""bench.api pools the repeats of a mode into one run: its figures are over every sample and
the summed wall clock, so one slow repeat weighs by its length, not as a third of a median."""

from __future__ import annotations

from bench.api import Meter, Run, pooled, summary


def run(mode: str, wall: float, busy: float, seconds: list[float]) -> Run:
    r = Run(mode, 8)
    r.meter = Meter(None, wall=wall, loadgen_cpu=wall / 2, busy_cores=busy)
    for s in seconds:
        r.add("declare", s)
    return r


def test_pooled_figures_count_every_request_over_the_summed_wall_clock() -> None:
    first, second = run("direct", 2.0, 1.0, [0.01] * 100), run("direct", 3.0, 2.0, [0.03] * 50)
    both = pooled([first, second])
    assert both.mode == "direct" and both.clients == 8
    assert len(both.samples["declare"]) == 150
    assert both.meter is not None
    assert both.meter.wall == 5.0 and both.meter.loadgen_cpu == 2.5
    assert both.meter.busy_cores == (1.0 * 2.0 + 2.0 * 3.0) / 5.0  # weighted by each repeat's wall clock
    figures = summary(both, ("declare",))
    assert figures["requests"] == 150 and figures["per_s"] == 30.0
    assert figures["p50_ms"] == 10.0 and figures["p99_ms"] == 30.0


def test_pooling_leaves_the_repeats_untouched() -> None:
    first, second = run("http", 1.0, 1.0, [0.01]), run("http", 1.0, 1.0, [0.02])
    pooled([first, second])
    assert first.samples["declare"] == [0.01] and second.samples["declare"] == [0.02]
