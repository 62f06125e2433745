"""Pre-review (初审): seed 001's measurable thresholds, seed 000's five-protections
disqualifier, and the reasons a rejection needs."""

from __future__ import annotations

import pytest

from domain.commands import PreReview
from domain.errors import PreReviewRefusedError
from domain.rules.eligibility import five_protections_failures
from domain.rules.thresholds import threshold_failures
from tests.builders.actors import CITY_REVIEWER, COUNTY_DECLARER, COUNTY_REVIEWER
from tests.builders.aggregates import declared_nomination
from tests.builders.forms import FIVE_PROTECTIONS_OK, PLATFORM_FORM, category
from tests.builders.tree import AGENCY, COUNTY, TOWNSHIP, VILLAGE
from tests.builders.world import CampaignRef, World

PLATFORM = category("double-strengthen", "advanced_teaching_platform")


def platform_failures(**changes: object) -> list[str]:
    return [f.rule for f in threshold_failures(PLATFORM, dict(PLATFORM_FORM, **changes))]


def test_platform_thresholds_all_hold_for_a_form_meeting_seed_001() -> None:
    assert platform_failures() == []


@pytest.mark.parametrize(
    ("field", "passing", "failing", "rule"),
    [
        ("operation_rate", 95, 94.9, "operation_rate_at_least_95"),
        ("downtime_days", 29, 30, "downtime_under_30_days"),
        ("trained_rate", 95, 94.9, "trained_at_least_95"),
        ("operation_bulletins", 2, 1, "bulletins_at_least_2"),
        ("utilisation_rate", 95, 94.9, "utilisation_at_least_95"),
        ("participation_rate", 85, 84.9, "participation_at_least_85"),
        ("satisfaction_rate", 90, 89.9, "satisfaction_at_least_90"),
        ("feedback_rounds", 4, 3, "feedback_at_least_4"),
    ],
)
def test_platform_threshold_boundary_passes_at_the_limit_and_fails_just_beyond(
    field: str, passing: float, failing: float, rule: str
) -> None:
    assert platform_failures(**{field: passing}) == []
    assert platform_failures(**{field: failing}) == [rule]


def test_platform_downtime_threshold_passes_at_29_days_and_fails_at_30() -> None:
    assert platform_failures(downtime_days=29) == []
    assert platform_failures(downtime_days=29.9) == []
    assert platform_failures(downtime_days=30) == ["downtime_under_30_days"]


def test_threshold_failure_records_expected_and_declared_values() -> None:
    (failure,) = threshold_failures(PLATFORM, dict(PLATFORM_FORM, operation_rate=94.9))
    assert (failure.field, failure.expected, failure.actual) == ("form.operation_rate", ">= 95", 94.9)
    assert "94.9" in failure.message_zh


@pytest.mark.parametrize("value", [None, "95", True])
def test_threshold_fails_when_the_declared_value_is_missing_or_not_a_number(value: object) -> None:
    assert platform_failures(operation_rate=value) == ["operation_rate_at_least_95"]


def test_is_true_threshold_needs_literally_true() -> None:
    demo_site = category("double-strengthen", "five_good_demo_site")

    def rules(accepted: object) -> list[str]:
        return [
            f.rule
            for f in threshold_failures(
                demo_site, {"county_acceptance_passed": accepted, "satisfaction_rate": 95}, "village"
            )
        ]

    assert rules(True) == []
    assert rules(False) == rules(1) == rules("yes") == ["county_acceptance_passed"]


def test_pre_review_refused_naming_every_failed_threshold(world: World) -> None:
    campaign = world.campaign("double-strengthen", COUNTY)
    weak = dict(
        PLATFORM_FORM,
        operation_rate=94.9,
        downtime_days=30,
        operation_bulletins=1,
        satisfaction_rate=89,
        feedback_rounds=3,
    )
    nomination_id = world.declare(campaign, TOWNSHIP, category="advanced_teaching_platform", form=weak)
    with pytest.raises(PreReviewRefusedError) as refused:
        world.admit(campaign, nomination_id, actor=COUNTY_REVIEWER)
    assert [f.rule for f in refused.value.failures] == [
        "operation_rate_at_least_95",
        "downtime_under_30_days",
        "bulletins_at_least_2",
        "satisfaction_at_least_90",
        "feedback_at_least_4",
    ]
    assert world.state(nomination_id) == "declared"


def test_pre_review_admits_platform_exactly_at_every_boundary(world: World) -> None:
    campaign = world.campaign("double-strengthen", COUNTY)
    at_limits = {
        "operation_rate": 95,
        "downtime_days": 29,
        "trained_rate": 95,
        "operation_bulletins": 2,
        "utilisation_rate": 95,
        "participation_rate": 85,
        "satisfaction_rate": 90,
        "feedback_rounds": 4,
    }
    nomination_id = world.declare(
        campaign, TOWNSHIP, category="advanced_teaching_platform", form=at_limits
    )
    assert world.admit(campaign, nomination_id, actor=COUNTY_REVIEWER)["state"] == "admitted"


# --- five protections (五防), seed 000 ----------------------------------------------------------


def test_five_protections_hold_when_equipment_runs_and_no_hardware_damage() -> None:
    assert five_protections_failures(FIVE_PROTECTIONS_OK) == []


@pytest.mark.parametrize(
    "checks",
    [
        {},
        {"equipment_runs_normally": True},
        {"hardware_damaged_by_missing_protections": False},
        {"equipment_runs_normally": "yes", "hardware_damaged_by_missing_protections": "no"},
    ],
)
def test_five_protections_refused_when_checks_are_missing(checks: dict[str, object]) -> None:
    assert [f.rule for f in five_protections_failures(checks)] == ["five_protections_checked"]


def test_five_protections_disqualifies_equipment_not_running_normally() -> None:
    failures = five_protections_failures(
        {"equipment_runs_normally": False, "hardware_damaged_by_missing_protections": False}
    )
    assert [f.rule for f in failures] == ["equipment_runs_normally"]


def test_five_protections_disqualifies_hardware_damaged_by_missing_protections() -> None:
    failures = five_protections_failures(
        {"equipment_runs_normally": True, "hardware_damaged_by_missing_protections": True}
    )
    assert [f.rule for f in failures] == ["five_protections_in_place"]
    assert "主板" in failures[0].message_zh


def test_five_protections_names_both_failures_together() -> None:
    failures = five_protections_failures(
        {"equipment_runs_normally": False, "hardware_damaged_by_missing_protections": True}
    )
    assert [f.rule for f in failures] == ["equipment_runs_normally", "five_protections_in_place"]


def test_five_good_site_admission_refused_when_hardware_damaged(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    with pytest.raises(PreReviewRefusedError) as refused:
        world.admit(
            five_good,
            nomination_id,
            checks={"equipment_runs_normally": False, "hardware_damaged_by_missing_protections": True},
        )
    assert [f.rule for f in refused.value.failures] == [
        "equipment_runs_normally",
        "five_protections_in_place",
    ]
    assert world.state(nomination_id) == "declared"


def test_five_good_site_admission_refused_without_the_checks(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    with pytest.raises(PreReviewRefusedError) as refused:
        world.admit(five_good, nomination_id, checks={})
    assert [f.rule for f in refused.value.failures] == ["five_protections_checked"]


def test_five_good_site_admitted_with_checks_recorded(world: World, five_good: CampaignRef) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    world.admit(five_good, nomination_id)
    view = world.app.get_nomination(nomination_id).as_dict()
    assert view["state"] == "admitted"
    assert view["pre_review"] == {"decision": "admit", "reasons": [], "checks": FIVE_PROTECTIONS_OK}


def test_five_protections_not_required_for_person_categories() -> None:
    nomination = declared_nomination(category_code="advanced_worker")
    nomination.pre_review(
        category("five-good-sites", "advanced_worker"), "admit", [], {}, {}, nomination.declared_at
    )
    assert nomination.state == "admitted"


# --- reject needs a reason; decision must be known -----------------------------------------------


@pytest.mark.parametrize("reasons", [[], [""], ["   "]])
def test_pre_review_rejection_refused_without_a_reason(reasons: list[str]) -> None:
    nomination = declared_nomination()
    with pytest.raises(PreReviewRefusedError) as refused:
        nomination.pre_review(
            category("five-good-sites", "five_good_site"),
            "reject",
            reasons,
            {},
            {},
            nomination.declared_at,
        )
    assert [f.rule for f in refused.value.failures] == ["rejection_reason_required"]
    assert nomination.state == "declared"


def test_pre_review_rejection_of_a_damaged_site_recorded_with_its_reason(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    reason = " 因“五防”不到位，雷击损坏电脑主板 "
    world.app.execute(
        PreReview(nomination_id=nomination_id, decision="reject", reasons=[reason, ""]),
        CITY_REVIEWER,
        at=five_good.when.pre_review,
    )
    view = world.app.get_nomination(nomination_id).as_dict()
    assert view["state"] == "rejected"
    assert view["pre_review"]["reasons"] == [reason.strip()]


def test_pre_review_decision_must_be_admit_or_reject() -> None:
    nomination = declared_nomination()
    with pytest.raises(PreReviewRefusedError) as refused:
        nomination.pre_review(
            category("five-good-sites", "five_good_site"),
            "approve",
            ["ok"],
            FIVE_PROTECTIONS_OK,
            {},
            nomination.declared_at,
        )
    assert [f.rule for f in refused.value.failures] == ["decision_known"]


# --- seed 001: agency demonstration sites -----------------------------------------------------------

AGENCY_SITE_FORM = {"county_acceptance_passed": True, "satisfaction_rate": 95}


def test_five_good_demo_site_of_a_village_admitted_without_the_agency_study_figures(
    world: World,
) -> None:
    campaign = world.campaign("double-strengthen", COUNTY)
    nomination_id = world.declare(
        campaign, VILLAGE, category="five_good_demo_site", form=AGENCY_SITE_FORM
    )
    assert world.admit(campaign, nomination_id, actor=COUNTY_REVIEWER)["state"] == "admitted"


def test_five_good_demo_site_of_an_agency_refused_below_the_seed_001_study_figures(world: World) -> None:
    campaign = world.campaign("double-strengthen", COUNTY)
    weak = dict(AGENCY_SITE_FORM, monthly_sessions=1, yearly_hours=20, monthly_tutoring=0)
    nomination_id = world.declare(
        campaign,
        AGENCY,
        category="five_good_demo_site",
        form=weak,
        declaring_unit=COUNTY,
        actor=COUNTY_DECLARER,
    )
    with pytest.raises(PreReviewRefusedError) as refused:
        world.admit(campaign, nomination_id, actor=COUNTY_REVIEWER)
    assert {f.field for f in refused.value.failures} == {
        "form.monthly_sessions",
        "form.yearly_hours",
        "form.monthly_tutoring",
    }


def test_county_acceptance_is_asked_of_village_demonstration_sites_not_agency_ones() -> None:
    demo_site = category("double-strengthen", "five_good_demo_site")
    agency_form = {
        "satisfaction_rate": 95,
        "monthly_sessions": 2,
        "yearly_hours": 48,
        "monthly_tutoring": 1,
    }
    assert threshold_failures(demo_site, agency_form, "agency") == []
    assert [f.rule for f in threshold_failures(demo_site, agency_form, "village")] == [
        "county_acceptance_passed"
    ]


# --- seed 003: a study-and-apply model masters a technique OR a market's information -----------

STUDY_MODEL = category("four-creations-three-selections", "study_and_apply_model")
EITHER = "mastered_a_technique_or_market_information"


def study_model_failures(**form: object) -> list[str]:
    return [
        f.rule
        for f in threshold_failures(STUDY_MODEL, {"business_started_or_grown": True, **form}, "village")
    ]


@pytest.mark.parametrize(
    "form",
    [
        {"techniques_mastered": 1},
        {"market_information": 1},
        {"techniques_mastered": 1, "market_information": 0},
        {"techniques_mastered": 0, "market_information": 1},
        {"techniques_mastered": 3, "market_information": 2},
    ],
)
def test_study_model_meets_the_standard_with_either_alternative(form: dict[str, object]) -> None:
    assert study_model_failures(**form) == []


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"techniques_mastered": 0},
        {"techniques_mastered": 0, "market_information": 0},
        {"market_information": True},
    ],
)
def test_study_model_below_both_alternatives_refused(form: dict[str, object]) -> None:
    assert study_model_failures(**form) == [EITHER]


def test_any_of_failure_names_both_alternatives_in_both_languages() -> None:
    (failure,) = threshold_failures(
        STUDY_MODEL,
        {"techniques_mastered": 0, "market_information": 0, "business_started_or_grown": True},
        "village",
    )
    assert failure.field == "form.techniques_mastered"
    assert "实用技术" in failure.message_zh and "市场供求信息" in failure.message_zh
    assert "technique" in failure.message_en and "supply-and-demand" in failure.message_en
    assert failure.actual == {"techniques_mastered": 0, "market_information": 0}
    assert failure.expected == "techniques_mastered >= 1 or market_information >= 1"


def test_study_model_admitted_at_pre_review_on_market_information_alone(world: World) -> None:
    campaign = world.campaign("four-creations-three-selections", COUNTY)
    form = {"techniques_mastered": 0, "market_information": 1, "business_started_or_grown": True}
    nomination_id = world.declare(
        campaign, VILLAGE, category="study_and_apply_model", kind="person", name="王建国", form=form
    )
    assert world.admit(campaign, nomination_id, actor=COUNTY_REVIEWER)["state"] == "admitted"


def test_study_model_refused_at_pre_review_naming_both_alternatives(world: World) -> None:
    campaign = world.campaign("four-creations-three-selections", COUNTY)
    form = {"techniques_mastered": 0, "business_started_or_grown": True}
    nomination_id = world.declare(
        campaign, VILLAGE, category="study_and_apply_model", kind="person", name="李秀英", form=form
    )
    with pytest.raises(PreReviewRefusedError) as refused:
        world.admit(campaign, nomination_id, actor=COUNTY_REVIEWER)
    (failure,) = refused.value.failures
    assert (failure.rule, failure.field) == (EITHER, "form.techniques_mastered")
    assert world.state(nomination_id) == "declared"
