"""Commendation (表彰): within each category's quota, best scores first, never more than the
quota, whatever is asked and however often; ranking query shows the same order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.commands import Commend
from domain.errors import CommendationRefusedError, QuotaExceededError
from tests.builders.actors import CITY_REVIEWER
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.tree import PENG_ZHEN_VILLAGES, TOWNSHIP
from tests.builders.world import CampaignRef, World

VILLAGES = list(PENG_ZHEN_VILLAGES)  # 前双村, 后双村, 杨柳村, 石桥村, 柳湾村
SCORES = [70, 90, 80, 95, 60]


@pytest.fixture
def quota_three(world: World) -> CampaignRef:
    return world.campaign("five-good-sites", quotas={"five_good_site": 3})


@pytest.fixture
def five_passed(world: World, quota_three: CampaignRef) -> dict[float, str]:
    """Five passed five-good sites of 彭镇, by score."""
    return {
        score: world.inspected(quota_three, unit, score)
        for unit, score in zip(VILLAGES, SCORES, strict=True)
    }


def commend(world: World, campaign: CampaignRef, nomination_ids: list[str] | None = None) -> dict:
    command = Commend(campaign_id=campaign.id, category="five_good_site", nomination_ids=nomination_ids)
    return world.app.execute(command, CITY_REVIEWER, at=FIVE_GOOD_2022.commendation)


def test_commendation_quota_overridden_at_campaign_creation(
    world: World, quota_three: CampaignRef
) -> None:
    categories = {
        c["code"]: c["quota"] for c in world.app.get_campaign(quota_three.id).summary({})["categories"]
    }
    assert categories == {"five_good_site": 3, "outstanding_administrator": 30, "advanced_worker": 20}


def test_commendation_commends_exactly_the_quota_best_scores_first(
    world: World, quota_three: CampaignRef, five_passed: dict[float, str]
) -> None:
    result = commend(world, quota_three)
    assert [(c["id"], c["rank"], c["score"]) for c in result["commended"]] == [
        (five_passed[95], 1, 95.0),
        (five_passed[90], 2, 90.0),
        (five_passed[80], 3, 80.0),
    ]
    assert (result["quota"], result["commended_total"], result["not_selected"]) == (3, 3, [])
    assert {score: world.state(nid) for score, nid in five_passed.items()} == {
        70: "inspected",
        90: "commended",
        80: "commended",
        95: "commended",
        60: "inspected",
    }
    assert world.app.get_nomination(five_passed[90]).title.rank == 2


def test_commendation_repeated_commends_nothing_more(
    world: World, quota_three: CampaignRef, five_passed: dict[float, str]
) -> None:
    commend(world, quota_three)
    recorded = world.events_recorded()
    again = world.app.execute(
        Commend(campaign_id=quota_three.id, category="five_good_site"),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.commendation + timedelta(days=1),
    )
    assert (again["commended"], again["commended_total"]) == ([], 3)
    assert world.events_recorded() == recorded
    campaign = world.app.get_campaign(quota_three.id)
    assert campaign.commended_count("five_good_site") == 3
    counts = world.app.roster.counts(quota_three.id)
    assert campaign.summary(counts)["categories"][0]["commended"] == 3


def test_commendation_never_commends_a_failed_nomination_even_with_quota_left(
    world: World, five_good: CampaignRef
) -> None:
    passed = world.inspected(five_good, VILLAGES[0], 75)
    failed = world.inspected(five_good, VILLAGES[1], 40)
    result = commend(world, five_good)
    assert [c["id"] for c in result["commended"]] == [passed]
    assert world.state(failed) == "inspected"


def test_commendation_of_a_requested_list_that_is_the_top_of_the_ranking(
    world: World, quota_three: CampaignRef, five_passed: dict[float, str]
) -> None:
    result = commend(world, quota_three, nomination_ids=[five_passed[90], five_passed[95]])
    assert [(c["id"], c["rank"]) for c in result["commended"]] == [
        (five_passed[95], 1),
        (five_passed[90], 2),
    ]
    rest = commend(world, quota_three)  # the one place left goes to the next best
    assert [(c["id"], c["rank"]) for c in rest["commended"]] == [(five_passed[80], 3)]


def test_commendation_refused_when_the_requested_list_skips_a_better_score(
    world: World, quota_three: CampaignRef, five_passed: dict[float, str]
) -> None:
    with pytest.raises(CommendationRefusedError) as refused:
        commend(world, quota_three, nomination_ids=[five_passed[95], five_passed[80]])
    (failure,) = refused.value.failures
    assert failure.rule == "best_scores_first"
    assert five_passed[90] in failure.message_en
    assert world.state(five_passed[95]) == "inspected"


def test_commendation_refused_when_the_requested_list_exceeds_the_quota(
    world: World, quota_three: CampaignRef, five_passed: dict[float, str]
) -> None:
    with pytest.raises(QuotaExceededError):
        commend(world, quota_three, nomination_ids=[five_passed[s] for s in (95, 90, 80, 70)])
    assert world.app.get_campaign(quota_three.id).commended_count("five_good_site") == 0


def test_commendation_refused_for_a_requested_nomination_that_failed(
    world: World, five_good: CampaignRef
) -> None:
    failed = world.inspected(five_good, VILLAGES[0], 40)
    with pytest.raises(CommendationRefusedError) as refused:
        commend(world, five_good, nomination_ids=[failed])
    assert [f.rule for f in refused.value.failures] == ["nomination_passed_inspection"]


def test_commendation_refused_for_a_requested_nomination_already_commended(
    world: World, five_good: CampaignRef
) -> None:
    winner = world.inspected(five_good, VILLAGES[0], 88)
    commend(world, five_good)
    with pytest.raises(CommendationRefusedError) as refused:
        commend(world, five_good, nomination_ids=[winner])
    assert [(f.rule, f.actual) for f in refused.value.failures] == [
        ("nomination_passed_inspection", "commended")
    ]


def test_commendation_refused_when_inspection_was_not_competitive(
    world: World, quota_three: CampaignRef
) -> None:
    for unit, score in zip(VILLAGES[:3], (90, 85, 80), strict=True):
        world.inspected(quota_three, unit, score)
    for unit in VILLAGES[3:]:  # admitted but never inspected: only 3 inspected for a quota of 3
        world.admit(quota_three, world.declare(quota_three, unit))
    with pytest.raises(CommendationRefusedError) as refused:
        commend(world, quota_three)
    assert [f.rule for f in refused.value.failures] == ["competitive_inspection"]


def test_commendation_allowed_without_competition_when_admitted_are_within_quota(
    world: World, quota_three: CampaignRef
) -> None:
    a, b = world.inspected(quota_three, VILLAGES[0], 90), world.inspected(quota_three, VILLAGES[1], 85)
    assert [c["id"] for c in commend(world, quota_three)["commended"]] == [a, b]


def test_commendation_tie_on_mean_goes_to_the_steadier_nominee(
    world: World, quota_three: CampaignRef
) -> None:
    uneven = world.declare(quota_three, VILLAGES[0])  # declared first
    steady = world.declare(quota_three, VILLAGES[1])
    for nid in (uneven, steady):
        world.admit(quota_three, nid)
    world.inspect(quota_three, uneven, 90)
    world.inspect(quota_three, uneven, 70)
    world.inspect(quota_three, steady, 80)
    world.inspect(quota_three, steady, 80)
    assert world.app.get_nomination(uneven).score == world.app.get_nomination(steady).score == 80.0
    assert [c["id"] for c in commend(world, quota_three)["commended"]] == [steady, uneven]


def test_commendation_tie_on_scores_goes_to_the_earlier_declaration(
    world: World, quota_three: CampaignRef
) -> None:
    early = world.inspected(quota_three, VILLAGES[3], 80, at=FIVE_GOOD_2022.declaration)
    late = world.inspected(
        quota_three, VILLAGES[0], 80, at=FIVE_GOOD_2022.declaration + timedelta(hours=3)
    )
    assert [c["id"] for c in commend(world, quota_three)["commended"]] == [early, late]


def test_ranking_query_lists_inspected_nominations_in_commendation_order(
    world: World, quota_three: CampaignRef, five_passed: dict[float, str]
) -> None:
    failed = world.inspected(quota_three, TOWNSHIP, 50, name="彭镇远教站")
    ranking = world.app.queries.ranking(quota_three.id, "five_good_site")
    assert [e["id"] for e in ranking["entries"]] == [five_passed[s] for s in (95, 90, 80, 70, 60)] + [
        failed
    ]
    assert [e["passed"] for e in ranking["entries"]][-1] is False
    assert ranking["tie_break"].startswith("score desc, lowest inspection score desc, declared_at asc")
