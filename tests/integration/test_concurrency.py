"""Concurrent writers on real event stores: one winner per round, nothing lost, nothing
duplicated; racing commendations never exceed the quota."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from domain.errors import (
    ConcurrencyConflictError,
    DomainError,
    InvalidTransitionError,
    QuotaExceededError,
    StaleVersionError,
)
from tests.conftest import BACKENDS
from tests.integration.world import (
    CITY_INSPECTOR,
    CITY_REVIEWER,
    COMMENDING,
    INSPECTING,
    PRE_REVIEWING,
    SITE_CHECKS,
    build_city,
    declare_site,
    five_good_campaign,
    running_services,
    scores_for,
)

WRITERS = 50


def race(n: int, command: Callable[[int], Any]) -> list[Any]:
    """Run ``command(i)`` for i in range(n) at once (released together by a barrier)."""
    barrier = threading.Barrier(n)

    def go(i: int) -> Any:
        barrier.wait()
        try:
            return command(i)
        except DomainError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(go, range(n)))


def outcome(results: list[Any]) -> Counter[str]:
    return Counter("won" if isinstance(r, dict) else type(r).__name__ for r in results)


@BACKENDS
def test_fifty_conflicting_writers_on_one_nomination_one_wins_each_round(database_url):
    with running_services(database_url) as services:
        app = services.app
        world = build_city(app, townships=1, villages=1)
        campaign_id = five_good_campaign(app)
        nid = declare_site(app, campaign_id, "town-1", world.villages["town-1"][0], name="站点")

        # Round 1: fifty reviewers pre-review the same declared nomination.
        results = race(
            WRITERS,
            lambda i: app.pre_review(
                nid,
                "admit" if i % 2 else "reject",
                [f"reason {i}"],
                CITY_REVIEWER,
                checks=SITE_CHECKS,
                at=PRE_REVIEWING,
            ),
        )
        counts = outcome(results)
        assert counts["won"] == 1, counts
        assert set(counts) <= {"won", "InvalidTransitionError", "ConcurrencyConflictError"}
        winner = next(r for r in results if isinstance(r, dict))
        if app.get_nomination(nid).state == "rejected":  # make later rounds possible
            return

        # Rounds 2..4: fifty inspectors each send If-Match on the current version.
        for _ in range(3):
            version = app.get_nomination(nid).version
            results = race(
                WRITERS,
                lambda i, v=version: app.inspect(
                    nid,
                    ["site_visit"],
                    scores_for(60 + i % 40),
                    "pass",
                    CITY_INSPECTOR,
                    at=INSPECTING,
                    expected_version=v,
                ),
            )
            counts = outcome(results)
            assert counts["won"] == 1, counts
            assert set(counts) <= {"won", "StaleVersionError", "ConcurrencyConflictError"}
            assert app.get_nomination(nid).version == version + 1

        history = app.history(nid)
        assert [e["version"] for e in history] == list(range(1, len(history) + 1))
        assert [e["type"] for e in history].count("nomination.inspected") == 3
        assert winner["version"] == 2


@BACKENDS
def test_fifty_concurrent_inspections_without_if_match_are_all_kept_once(database_url):
    with running_services(database_url) as services:
        app = services.app
        world = build_city(app, townships=1, villages=1)
        campaign_id = five_good_campaign(app)
        nid = declare_site(app, campaign_id, "town-1", world.villages["town-1"][0], name="站点")
        app.pre_review(nid, "admit", [], CITY_REVIEWER, checks=SITE_CHECKS, at=PRE_REVIEWING)

        results = race(
            WRITERS,
            lambda i: app.inspect(
                nid,
                ["site_visit"],
                scores_for(60 + i % 40),
                "pass",
                CITY_INSPECTOR,
                at=INSPECTING,
                notes=f"inspector {i}",
            ),
        )

        won = [r for r in results if isinstance(r, dict)]
        lost = [r for r in results if isinstance(r, ConcurrencyConflictError)]
        assert len(won) + len(lost) == WRITERS
        notes = [i.notes for i in app.get_nomination(nid).inspections]
        assert len(notes) == len(set(notes)) == len(won)  # every acknowledged write exactly once
        assert sorted(notes) == sorted(
            f"inspector {i}" for i, r in enumerate(results) if isinstance(r, dict)
        )


@BACKENDS
def test_idempotent_repeats_under_concurrency_append_once(database_url):
    with running_services(database_url) as services:
        app = services.app
        world = build_city(app, townships=1, villages=1)
        campaign_id = five_good_campaign(app)
        village = world.villages["town-1"][0]
        results = race(
            20,
            lambda i: declare_site(
                app, campaign_id, "town-1", village, name="站点", idempotency_key="declare-once"
            ),
        )
        ids = set(results)
        assert len(ids) == 1 and isinstance(results[0], str), results
        assert len(app.get_campaign(campaign_id).roster) == 1


@BACKENDS
def test_two_racing_commendations_never_exceed_the_quota(database_url):
    with running_services(database_url) as services:
        app = services.app
        world = build_city(app, townships=1, villages=12)
        campaign_id = five_good_campaign(app, quotas={"five_good_site": 5})
        ids = []
        for i, village in enumerate(world.villages["town-1"]):
            nid = declare_site(app, campaign_id, "town-1", village, name=village)
            app.pre_review(nid, "admit", [], CITY_REVIEWER, checks=SITE_CHECKS, at=PRE_REVIEWING)
            app.inspect(nid, ["site_visit"], scores_for(70 + i), "pass", CITY_INSPECTOR, at=INSPECTING)
            ids.append(nid)

        for _ in range(3):
            results = race(
                2, lambda i: app.commend(campaign_id, "five_good_site", CITY_REVIEWER, at=COMMENDING)
            )
            assert all(
                isinstance(r, dict | QuotaExceededError | ConcurrencyConflictError) for r in results
            ), results

        top_five = ids[::-1][:5]
        explicit = race(
            2,
            lambda i: app.commend(
                campaign_id, "five_good_site", CITY_REVIEWER, nomination_ids=top_five[:3], at=COMMENDING
            ),
        )
        assert not any(isinstance(r, dict) and r["commended"] for r in explicit)
        commended = app.campaign_nominations(campaign_id, state="commended")
        assert sorted(str(n.id) for n in commended) == sorted(top_five)
        assert app.get_campaign(campaign_id).commended_count("five_good_site") == 5
        assert not any(
            isinstance(r, InvalidTransitionError | StaleVersionError)
            for r in explicit
            if not isinstance(r, dict)
        )
