"""Inspection (考核验收): known methods, every criterion scored 0-100, a verdict consistent
with the weighted score; several inspections aggregate (mean) and pass only if all pass."""

from __future__ import annotations

import pytest

from domain.commands import Commend, Inspect
from domain.errors import InspectionInvalidError
from domain.rules.inspection import all_met, inspection_failures, weighted_score
from domain.vocabulary import InspectionMethod
from tests.builders.actors import CITY_INSPECTOR, CITY_REVIEWER
from tests.builders.aggregates import declared_nomination
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.forms import FIVE_PROTECTIONS_OK, category, uniform_scores
from tests.builders.tree import VILLAGE
from tests.builders.world import CampaignRef, World

SITE = category("five-good-sites", "five_good_site")
PLATFORM = category("double-strengthen", "advanced_teaching_platform")  # weights 40/30/30
ALL_METHODS = ["document_review", "site_visit", "live_operation", "questionnaire"]


def rules(
    scores: dict[str, object], verdict: str = "pass", methods: list[str] = ALL_METHODS, cat=SITE
) -> list[str]:
    """The rules an inspection breaks, its checklists (if the category has any) all met."""
    return [f.rule for f in inspection_failures(cat, methods, scores, verdict, all_met(cat))]


def inspect(
    world: World, campaign: CampaignRef, nomination_id: str, score: float, verdict: str = ""
) -> None:
    """``score`` on every criterion, every checklist item met; the verdict by the pass mark."""
    world.app.execute(
        Inspect(
            nomination_id=nomination_id,
            methods=ALL_METHODS,
            scores=uniform_scores(SITE, score),
            verdict=verdict or ("pass" if score >= SITE.pass_mark else "fail"),
            checklist=all_met(SITE),
        ),
        CITY_INSPECTOR,
        at=FIVE_GOOD_2022.inspection,
    )


def test_inspection_methods_are_the_four_of_seed_000() -> None:
    assert {method: method.zh for method in InspectionMethod} == {
        "document_review": "查阅资料",
        "site_visit": "实地考察",
        "live_operation": "现场操作",
        "questionnaire": "问卷调查",
    }


def test_inspection_valid_when_every_criterion_scored_and_verdict_consistent() -> None:
    assert rules(uniform_scores(SITE, 82)) == []


def test_inspection_every_criterion_must_be_scored() -> None:
    scores = uniform_scores(SITE, 80)
    del scores["programmes_watched"], scores["effect"]
    failures = inspection_failures(SITE, ALL_METHODS, scores, "pass", all_met(SITE))
    assert [(f.rule, f.field) for f in failures] == [
        ("criterion_scored", "scores.programmes_watched"),
        ("criterion_scored", "scores.effect"),
    ]


def test_inspection_score_of_an_unknown_criterion_refused() -> None:
    assert rules(dict(uniform_scores(SITE, 80), dedication=90)) == ["criterion_known"]


@pytest.mark.parametrize("bad", [-1, 100.5, 101, True, "90", float("nan")])
def test_inspection_scores_must_be_numbers_from_0_to_100(bad: object) -> None:
    assert rules(dict(uniform_scores(SITE, 80), effect=bad)) == ["score_range"]


@pytest.mark.parametrize("edge", [0, 100])
def test_inspection_scores_0_and_100_are_allowed(edge: float) -> None:
    assert rules(dict(uniform_scores(SITE, 80), effect=edge), verdict="fail") == []


def test_inspection_needs_at_least_one_method() -> None:
    assert rules(uniform_scores(SITE, 80), methods=[]) == ["inspection_methods_required"]


def test_inspection_unknown_methods_refused_and_named() -> None:
    (failure,) = inspection_failures(
        SITE, ["site_visit", "phone_call", "guesswork"], uniform_scores(SITE, 80), "pass", all_met(SITE)
    )
    assert (failure.rule, failure.actual) == ("inspection_method_known", ["guesswork", "phone_call"])


def test_inspection_verdict_must_be_pass_or_fail() -> None:
    assert rules(uniform_scores(SITE, 80), verdict="excellent") == ["verdict_known"]


def test_inspection_pass_verdict_needs_weighted_score_at_least_the_pass_mark() -> None:
    assert SITE.pass_mark == 60
    assert rules(uniform_scores(SITE, 60)) == []
    (failure,) = inspection_failures(
        SITE, ALL_METHODS, uniform_scores(SITE, 59.9), "pass", all_met(SITE)
    )
    assert (failure.rule, failure.expected, failure.actual) == (
        "verdict_consistent_with_scores",
        60,
        59.9,
    )


def test_inspection_fail_verdict_allowed_whatever_the_score() -> None:
    assert rules(uniform_scores(SITE, 95), verdict="fail") == []


def test_inspection_names_every_failure_at_once() -> None:
    scores = {"party_attention": 120, "bogus": 1}
    assert rules(scores, verdict="maybe", methods=[]) == [
        "inspection_methods_required",
        "score_range",
        "criterion_scored",
        "criterion_scored",
        "criterion_scored",
        "criterion_scored",
        "criterion_known",
        "verdict_known",
    ]


def test_weighted_score_uses_the_criteria_weights() -> None:
    scores = {"tasks_and_learning": 100, "publicity_and_support": 50, "platform_functions": 50}
    assert weighted_score(PLATFORM, scores) == 70.0  # (100*40 + 50*30 + 50*30) / 100


def test_pass_verdict_checked_against_the_weighted_not_the_plain_mean() -> None:
    scores = {"tasks_and_learning": 40, "publicity_and_support": 70, "platform_functions": 70}
    assert sum(scores.values()) / 3 == 60  # the plain mean would pass
    assert weighted_score(PLATFORM, scores) == 58.0  # (40*40 + 70*30 + 70*30) / 100
    assert rules(scores, cat=PLATFORM) == ["verdict_consistent_with_scores"]


def test_inspection_refused_leaves_the_nomination_unchanged() -> None:
    nomination = declared_nomination()
    nomination.pre_review(SITE, "admit", [], FIVE_PROTECTIONS_OK, {}, FIVE_GOOD_2022.pre_review)
    with pytest.raises(InspectionInvalidError) as refused:
        nomination.inspect(SITE, ALL_METHODS, {}, "pass", "", {}, FIVE_GOOD_2022.inspection)
    scored = [f for f in refused.value.failures if f.rule == "criterion_scored"]
    assert len(scored) == len(SITE.criteria)
    assert (nomination.state, nomination.inspections) == ("admitted", [])


def test_several_inspections_aggregate_as_the_mean_and_pass_when_all_pass(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    world.admit(five_good, nomination_id)
    inspect(world, five_good, nomination_id, 80)
    inspect(world, five_good, nomination_id, 71)
    nomination = world.app.get_nomination(nomination_id)
    assert (nomination.score, nomination.lowest_score, nomination.passed) == (75.5, 71.0, True)
    assert [i.weighted_score for i in nomination.inspections] == [80.0, 71.0]


def test_several_inspections_fail_when_any_one_fails(world: World, five_good: CampaignRef) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    world.admit(five_good, nomination_id)
    inspect(world, five_good, nomination_id, 95)
    inspect(world, five_good, nomination_id, 90, verdict="fail")
    nomination = world.app.get_nomination(nomination_id)
    assert (nomination.score, nomination.passed) == (92.5, False)
    result = world.app.execute(
        Commend(campaign_id=five_good.id, category="five_good_site"),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.commendation,
    )
    assert result["commended"] == []


def test_inspection_records_methods_scores_inspector_and_time(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    world.admit(five_good, nomination_id)
    world.app.execute(
        Inspect(
            nomination_id=nomination_id,
            methods=["site_visit", "questionnaire"],
            scores=uniform_scores(SITE, 88),
            verdict="pass",
            notes="五防落实到位",
            checklist=all_met(SITE),
        ),
        CITY_INSPECTOR,
        at=FIVE_GOOD_2022.inspection,
    )
    (inspection,) = world.app.get_nomination(nomination_id).as_dict()["inspections"]
    assert inspection["methods"] == ["site_visit", "questionnaire"]
    assert inspection["scores"] == uniform_scores(SITE, 88.0)
    assert (inspection["weighted_score"], inspection["verdict"], inspection["notes"]) == (
        88.0,
        "pass",
        "五防落实到位",
    )
    assert inspection["inspector"] == CITY_INSPECTOR.as_dict()
    assert inspection["at"] == FIVE_GOOD_2022.inspection
