"""Concurrent writers on real event stores: one winner per round, nothing lost, nothing
duplicated; racing commendations never exceed the quota."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from domain.commands import Commend, Inspect, PreReview
from domain.errors import (
    ConcurrencyConflictError,
    DomainError,
    InvalidTransitionError,
    QuotaExceededError,
    StaleVersionError,
)
from tests.builders.actors import CITY_INSPECTOR, CITY_REVIEWER
from tests.builders.backends import BACKENDS
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.forms import FIVE_PROTECTIONS_OK, SITE_CHECKLIST, site_scores
from tests.builders.services import running_services
from tests.builders.tree import TOWNSHIP
from tests.builders.world import World

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
        world = World(app)
        city = world.city(townships=1, villages=1)
        campaign = world.campaign()
        nid = world.declare(
            campaign, declaring_unit=TOWNSHIP, unit=city.villages[TOWNSHIP][0], name="站点"
        )

        # Round 1: fifty reviewers pre-review the same declared nomination.
        results = race(
            WRITERS,
            lambda i: app.execute(
                PreReview(
                    nomination_id=nid,
                    decision="admit" if i % 2 else "reject",
                    reasons=[f"reason {i}"],
                    checks=FIVE_PROTECTIONS_OK,
                ),
                CITY_REVIEWER,
                at=FIVE_GOOD_2022.pre_review,
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
                lambda i, v=version: app.execute(
                    Inspect(
                        nomination_id=nid,
                        methods=["site_visit"],
                        scores=site_scores(60 + i % 40),
                        checklist=SITE_CHECKLIST,
                        verdict="pass",
                    ),
                    CITY_INSPECTOR,
                    at=FIVE_GOOD_2022.inspection,
                    expected_version=v,
                ),
            )
            counts = outcome(results)
            assert counts["won"] == 1, counts
            assert set(counts) <= {"won", "StaleVersionError", "ConcurrencyConflictError"}
            assert app.get_nomination(nid).version == version + 1

        history = app.queries.history(nid)
        assert [e["version"] for e in history] == list(range(1, len(history) + 1))
        assert [e["type"] for e in history].count("nomination.inspected") == 3
        assert winner["version"] == 2


@BACKENDS
def test_fifty_concurrent_inspections_without_if_match_are_all_kept_once(database_url):
    with running_services(database_url) as services:
        app = services.app
        world = World(app)
        city = world.city(townships=1, villages=1)
        campaign = world.campaign()
        nid = world.declare(
            campaign, declaring_unit=TOWNSHIP, unit=city.villages[TOWNSHIP][0], name="站点"
        )
        app.execute(
            PreReview(nomination_id=nid, decision="admit", reasons=[], checks=FIVE_PROTECTIONS_OK),
            CITY_REVIEWER,
            at=FIVE_GOOD_2022.pre_review,
        )

        results = race(
            WRITERS,
            lambda i: app.execute(
                Inspect(
                    nomination_id=nid,
                    methods=["site_visit"],
                    scores=site_scores(60 + i % 40),
                    checklist=SITE_CHECKLIST,
                    verdict="pass",
                    notes=f"inspector {i}",
                ),
                CITY_INSPECTOR,
                at=FIVE_GOOD_2022.inspection,
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
        world = World(app)
        city = world.city(townships=1, villages=1)
        campaign = world.campaign()
        campaign_id = campaign.id
        village = city.villages[TOWNSHIP][0]
        results = race(
            20,
            lambda i: world.declare(
                campaign,
                declaring_unit=TOWNSHIP,
                unit=village,
                name="站点",
                idempotency_key="declare-once",
            ),
        )
        ids = set(results)
        assert len(ids) == 1 and isinstance(results[0], str), results
        assert len(app.roster.entries(campaign_id).entries) == 1


@BACKENDS
def test_thirty_two_declarers_into_one_campaign_never_collide(database_url):
    """The deadline rush: each declarer's own nominee, all at once. The campaign is not
    written by declaring, so nobody's declaration conflicts with anyone else's."""
    with running_services(database_url) as services:
        world = World(services.app)
        city = world.city(townships=1, villages=4)
        campaign = world.campaign()
        villages = city.villages[TOWNSHIP]
        before = services.app.get_campaign(campaign.id).version
        results = race(
            32,
            lambda i: world.declare(
                campaign, declaring_unit=TOWNSHIP, unit=villages[i % 4], name=f"站点{i}"
            ),
        )
        assert outcome(results) == Counter(str=32), results  # each a new nomination id
        assert len(services.app.roster.entries(campaign.id).entries) == 32
        assert services.app.get_campaign(campaign.id).version == before


@BACKENDS
def test_racing_declarations_of_one_nominee_leave_exactly_one(database_url):
    """Twenty declarers of the same nominee, each without a key: the roster's unique claim
    lets one through; every other one is told who holds the nominee (409), none is lost."""
    with running_services(database_url) as services:
        world = World(services.app)
        city = world.city(townships=1, villages=1)
        campaign = world.campaign()
        village = city.villages[TOWNSHIP][0]
        results = race(
            20, lambda i: world.declare(campaign, declaring_unit=TOWNSHIP, unit=village, name="站点")
        )
        assert outcome(results) == Counter(str=1, DuplicateNominationError=19), outcome(results)
        winner = next(r for r in results if isinstance(r, str))
        assert all(r.details["nomination"] == winner for r in results if r is not winner)
        (entry,) = services.app.roster.entries(campaign.id).entries
        assert entry.nomination_id == winner and entry.claims_nominee


@BACKENDS
def test_two_racing_commendations_never_exceed_the_quota(database_url):
    with running_services(database_url) as services:
        app = services.app
        world = World(app)
        city = world.city(townships=1, villages=12)
        campaign = world.campaign(quotas={"five_good_site": 5})
        campaign_id = campaign.id
        ids = []
        for i, village in enumerate(city.villages[TOWNSHIP]):
            nid = world.declare(campaign, declaring_unit=TOWNSHIP, unit=village, name=village)
            app.execute(
                PreReview(nomination_id=nid, decision="admit", reasons=[], checks=FIVE_PROTECTIONS_OK),
                CITY_REVIEWER,
                at=FIVE_GOOD_2022.pre_review,
            )
            app.execute(
                Inspect(
                    nomination_id=nid,
                    methods=["site_visit"],
                    scores=site_scores(70 + i),
                    checklist=SITE_CHECKLIST,
                    verdict="pass",
                ),
                CITY_INSPECTOR,
                at=FIVE_GOOD_2022.inspection,
            )
            ids.append(nid)

        for _ in range(3):
            results = race(
                2,
                lambda i: app.execute(
                    Commend(campaign_id=campaign_id, category="five_good_site"),
                    CITY_REVIEWER,
                    at=FIVE_GOOD_2022.commendation,
                ),
            )
            assert all(
                isinstance(r, dict | QuotaExceededError | ConcurrencyConflictError) for r in results
            ), results

        top_five = ids[::-1][:5]
        explicit = race(
            2,
            lambda i: app.execute(
                Commend(campaign_id=campaign_id, category="five_good_site", nomination_ids=top_five[:3]),
                CITY_REVIEWER,
                at=FIVE_GOOD_2022.commendation,
            ),
        )
        assert not any(isinstance(r, dict) and r["commended"] for r in explicit)
        commended = app.queries.campaign_nominations(campaign_id, state="commended")
        assert sorted(str(n.id) for n in commended) == sorted(top_five)
        assert app.get_campaign(campaign_id).commended_count("five_good_site") == 5
        assert not any(
            isinstance(r, InvalidTransitionError | StaleVersionError)
            for r in explicit
            if not isinstance(r, dict)
        )
