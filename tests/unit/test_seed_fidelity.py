"""The seed templates say what the seeds say (issue 21, item 6): seed 001's agency stream
(附件2: the agency demonstration site's figures and "eight haves, four protections", the
three-item agency study-and-apply model, model departments commended by proportion of the
agencies) and seed 003's study-and-apply model and model base. Each rule at its boundary."""

from __future__ import annotations

import pytest

from domain.errors import DeclarationInvalidError, PreReviewRefusedError
from domain.rules.quotas import proportional_quota
from domain.templates import category_as_dict, get_template
from domain.vocabulary import Level
from tests.builders.actors import COUNTY_DECLARER, COUNTY_REVIEWER
from tests.builders.forms import category
from tests.builders.tree import AGENCY, COUNTY, VILLAGE
from tests.builders.world import World

DOUBLE = {c.code: c for c in get_template("double-strengthen").categories}
FOUR = {c.code: c for c in get_template("four-creations-three-selections").categories}


# --- seed 001: the agency stream ----------------------------------------------------------------


def test_seed_001_rural_quotas_stay_and_the_agency_stream_has_its_own_categories() -> None:
    assert {code: c.quota for code, c in DOUBLE.items()} == {
        "advanced_teaching_platform": 5,
        "five_good_demo_site": 20,
        "outstanding_site_administrator": 20,
        "study_and_apply_model": 20,
        "agency_study_and_apply_model": None,
        "model_department": None,
    }
    assert DOUBLE["study_and_apply_model"].nominee_levels == (Level.TOWNSHIP, Level.VILLAGE)
    assert DOUBLE["agency_study_and_apply_model"].nominee_levels == (Level.AGENCY,)
    assert DOUBLE["model_department"].nominee_levels == (Level.AGENCY,)


def test_seed_001_agency_study_and_apply_model_has_the_three_items_of_annex_2() -> None:
    agency = DOUBLE["agency_study_and_apply_model"]
    assert [c.name_zh for c in agency.criteria] == ["带头学习好", "业务能力好", "服务群众好"]
    assert [c.name_zh for c in DOUBLE["study_and_apply_model"].criteria] == [
        "学习好",
        "运用好",
        "示范好",
        "反映好",
    ]


def test_seed_001_agency_demonstration_site_follows_annex_2() -> None:
    site = DOUBLE["five_good_demo_site"]
    agency_only = {t.code: (t.op, t.value) for t in site.thresholds if t.levels == (Level.AGENCY,)}
    assert agency_only == {
        "agency_sessions_at_least_2_a_month": (">=", 2),
        "agency_hours_at_least_48_a_year": (">=", 48),
        "agency_tutoring_at_least_1_a_month": (">=", 1),
    }
    assert [c.name_zh for c in site.criteria] == [
        "设施设备完善",
        "站点管理规范（八有四防）",
        "学用组织有力",
        "站点使用率高",
    ]
    assert [c.code for c in site.checklists_for("agency")] == ["eight_haves_four_protections"]


@pytest.mark.parametrize(
    ("form", "failing"),
    [
        ({"monthly_sessions": 2, "yearly_hours": 48, "monthly_tutoring": 1}, set()),
        (
            {"monthly_sessions": 1.9, "yearly_hours": 48, "monthly_tutoring": 1},
            {"form.monthly_sessions"},
        ),
        ({"monthly_sessions": 2, "yearly_hours": 47.5, "monthly_tutoring": 1}, {"form.yearly_hours"}),
        ({"monthly_sessions": 2, "yearly_hours": 48, "monthly_tutoring": 0}, {"form.monthly_tutoring"}),
    ],
)
def test_seed_001_agency_site_figures_at_their_boundaries(
    world: World, form: dict[str, float], failing: set[str]
) -> None:
    campaign = world.campaign("double-strengthen", COUNTY)
    nomination_id = world.declare(
        campaign,
        AGENCY,
        category="five_good_demo_site",
        form={"satisfaction_rate": 90, **form},
        declaring_unit=COUNTY,
        actor=COUNTY_DECLARER,
    )
    if not failing:
        assert world.admit(campaign, nomination_id, actor=COUNTY_REVIEWER)["state"] == "admitted"
        return
    with pytest.raises(PreReviewRefusedError) as refused:
        world.admit(campaign, nomination_id, actor=COUNTY_REVIEWER)
    assert {f.field for f in refused.value.failures} == failing


@pytest.mark.parametrize(("share", "admitted"), [(30, True), (29.9, False)])
def test_seed_001_model_department_declares_at_least_30_percent_demonstration_sites(
    world: World, share: float, admitted: bool
) -> None:
    campaign = world.campaign("double-strengthen", COUNTY)
    nomination_id = world.declare(
        campaign,
        AGENCY,
        category="model_department",
        name="宜君县农业局",
        form={"demo_site_share": share},
        declaring_unit=COUNTY,
        actor=COUNTY_DECLARER,
    )
    if admitted:
        assert world.admit(campaign, nomination_id, actor=COUNTY_REVIEWER)["state"] == "admitted"
    else:
        with pytest.raises(PreReviewRefusedError) as refused:
            world.admit(campaign, nomination_id, actor=COUNTY_REVIEWER)
        assert [f.rule for f in refused.value.failures] == ["demo_sites_at_least_30_percent"]


def test_seed_001_an_agency_member_is_declared_in_the_agency_study_model_not_the_rural_one(
    world: World,
) -> None:
    campaign = world.campaign("double-strengthen", COUNTY)
    declared = world.declare(
        campaign,
        AGENCY,
        category="agency_study_and_apply_model",
        kind="person",
        name="张明",
        declaring_unit=COUNTY,
        actor=COUNTY_DECLARER,
    )
    assert world.state(declared) == "declared"
    with pytest.raises(DeclarationInvalidError) as refused:
        world.declare(
            campaign,
            AGENCY,
            category="study_and_apply_model",
            kind="person",
            name="张明",
            declaring_unit=COUNTY,
            actor=COUNTY_DECLARER,
        )
    assert [f.rule for f in refused.value.failures] == ["nominee_level"]


# --- "by proportion" ------------------------------------------------------------------------------


def test_model_departments_are_commended_by_proportion_of_the_agencies() -> None:
    department = DOUBLE["model_department"]
    assert (department.quota, department.quota_proportion) == (None, 0.3)
    assert category_as_dict(department)["quota_proportion"] == 0.3


@pytest.mark.parametrize(
    ("proportion", "units", "quota"),
    [
        (0.3, 0, 0),
        (0.3, 1, 1),
        (0.3, 3, 1),
        (0.3, 4, 2),
        (0.3, 10, 3),  # exactly 3: not 4 from 0.30000000000000004 x 10
        (0.3, 11, 4),
        (0.3, 7, 3),
        (1, 12, 12),
        (0.25, 8, 2),
    ],
)
def test_proportional_quota_is_the_ceiling_of_the_share(
    proportion: float, units: int, quota: int
) -> None:
    assert proportional_quota(proportion, units) == quota


@pytest.mark.parametrize(
    ("proportion", "units"), [(0, 5), (1.01, 5), (-0.3, 5), (0.3, -1), (True, 5), (0.3, 2.5)]
)
def test_proportional_quota_refuses_what_is_no_proportion_or_count(
    proportion: object, units: object
) -> None:
    with pytest.raises(ValueError, match=r"proportion|count"):
        proportional_quota(proportion, units)  # type: ignore[arg-type]


def test_the_proportion_counts_the_agencies_in_the_organisers_subtree(world: World) -> None:
    agencies = [u for u in world.app.queries.units_in_subtree(COUNTY) if u.level == Level.AGENCY]
    assert [u.code for u in agencies] == [AGENCY]
    assert proportional_quota(DOUBLE["model_department"].quota_proportion or 0, len(agencies)) == 1


# --- seed 003 --------------------------------------------------------------------------------------


def test_seed_003_study_model_takes_a_technique_or_a_markets_information() -> None:
    model = FOUR["study_and_apply_model"]
    (either, business) = model.thresholds
    assert either.op == "any_of"
    assert [(a.field, a.op, a.value) for a in either.any_of] == [
        ("techniques_mastered", ">=", 1),
        ("market_information", ">=", 1),
    ]
    assert either.fields == ("techniques_mastered", "market_information")
    assert business.code == "business_started_or_grown"
    shown = category_as_dict(model)["thresholds"][0]
    assert [a["field"] for a in shown["any_of"]] == ["techniques_mastered", "market_information"]


def test_seed_003_model_base_is_a_base_of_its_own_kind() -> None:
    base = FOUR["model_base"]
    assert (base.nominee_kind, base.nominee_levels) == ("base", (Level.TOWNSHIP, Level.VILLAGE))
    assert category("four-creations-three-selections", "model_village").nominee_kind == "site"


def test_seed_003_study_model_of_a_village_declared_with_market_information_only(world: World) -> None:
    campaign = world.campaign("four-creations-three-selections", COUNTY)
    nomination_id = world.declare(
        campaign,
        VILLAGE,
        category="study_and_apply_model",
        kind="person",
        name="赵大勇",
        form={"market_information": 1, "business_started_or_grown": True},
    )
    assert world.admit(campaign, nomination_id, actor=COUNTY_REVIEWER)["state"] == "admitted"
