"""Campaigns across levels (issue 21): titles as facts across campaigns, select and forward
(择优上报) within the parent's forwarding quotas, the upper level's templates and their
creation with the county's campaign, assessment by the level below, next year's campaign."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.actors import SYSTEM, Actor
from domain.commands import (
    Commend,
    CreateCampaign,
    CreateNextYearCampaign,
    Declare,
    Forward,
    ForwardCommended,
    ForwardSelected,
    Inspect,
    PreReview,
    SetForwardingQuotas,
)
from domain.errors import (
    CampaignExistsError,
    ForwardingRefusedError,
    InvalidCampaignError,
    InvalidTransitionError,
    OutsideJurisdictionError,
)
from domain.vocabulary import InspectionVerdict, PreReviewDecision, Role
from tests.builders.actors import (
    ADMIN,
    CITY_INSPECTOR,
    CITY_REVIEWER,
    COUNTY_ADMIN,
    COUNTY_DECLARER,
    COUNTY_INSPECTOR,
    COUNTY_REVIEWER,
)
from tests.builders.clock import DOUBLE_STRENGTHEN_2011, FIVE_GOOD_2022, FOUR_CREATIONS_2017, utc
from tests.builders.forms import (
    ALL_METHODS,
    FIVE_PROTECTIONS_OK,
    MODEL_TOWNSHIP_FORM,
    MODEL_VILLAGE_FORM,
    uniform_scores,
)
from tests.builders.tree import (
    AGENCY,
    CITY,
    COUNTY,
    OTHER_TOWNSHIP,
    OTHER_TOWNSHIP_VILLAGE,
    PENG_ZHEN_VILLAGES,
    TOWNSHIP,
    VILLAGE,
)
from tests.builders.world import CampaignRef, World

VILLAGES = sorted(PENG_ZHEN_VILLAGES)
# The city's own steps for 2017 (city-four-creations: receiving 11–22 Nov, acceptance
# 23 Nov – 10 Dec, decision 11–25 Dec, Asia/Shanghai).
FORWARDED_AT = FOUR_CREATIONS_2017.inspection + timedelta(hours=2)  # 15 Nov: county acceptance
COUNTY_TITLES_AT = FOUR_CREATIONS_2017.commendation  # 25 Nov: the county's determination
CITY_INSPECTS_AT = utc(2017, 12, 1, 2)
CITY_DECIDES_AT = utc(2017, 12, 15, 2)
TOWNSHIP_INSPECTOR = Actor("tok-peng-zhen-inspector", Role.INSPECTOR, TOWNSHIP)


@pytest.fixture
def county_and_city(world: World) -> tuple[CampaignRef, str]:
    """宜君县's 2017 four-creations campaign with 示范市's decision created alongside."""
    created = world.app.execute(
        CreateCampaign(
            template="four-creations-three-selections",
            organiser_unit_id=COUNTY,
            year=2017,
            create_parent=True,
        ),
        ADMIN,
        at=utc(2017, 1, 1),
    )
    county = CampaignRef(str(created["id"]), "four-creations-three-selections", FOUR_CREATIONS_2017)
    return county, str(created["parent_campaign"]["id"])


def model_village(world: World, campaign: CampaignRef, unit: str, score: float = 85) -> str:
    return world.inspected(
        campaign,
        unit,
        score,
        category="model_village",
        form=MODEL_VILLAGE_FORM,
        reviewer=COUNTY_REVIEWER,
        inspector=COUNTY_INSPECTOR,
    )


def city_inspects(world: World, nomination_id: str, category: str, score: float = 88) -> None:
    parent = world.app.get_campaign(world.app.get_nomination(nomination_id).campaign_id)
    world.app.execute(
        PreReview(
            nomination_id=nomination_id, decision=PreReviewDecision.ADMIT, checks=FIVE_PROTECTIONS_OK
        ),
        CITY_REVIEWER,
        at=FORWARDED_AT + timedelta(hours=1),
    )
    world.app.execute(
        Inspect(
            nomination_id=nomination_id,
            methods=list(ALL_METHODS),
            scores=uniform_scores(parent.category(category), score),
            verdict=InspectionVerdict.PASS,
        ),
        CITY_INSPECTOR,
        at=CITY_INSPECTS_AT,
    )


def forward_selected(world: World, campaign: CampaignRef, category: str, ids: Any = None) -> dict:
    return world.app.execute(
        ForwardSelected(campaign_id=campaign.id, category=category, nomination_ids=ids),
        COUNTY_REVIEWER,
        at=FORWARDED_AT,
    )


# --- creating the levels -------------------------------------------------------------------------


def test_a_county_campaign_creates_its_city_parent_from_the_upper_template(
    world: World, county_and_city: tuple[CampaignRef, str]
) -> None:
    county, city_id = county_and_city
    city = world.app.get_campaign(city_id)
    assert (city.template_code, city.organiser_unit_id, city.year) == ("city-four-creations", CITY, 2017)
    assert str(world.app.get_campaign(county.id).parent_campaign_id) == city_id
    assert city.forwarded_inspection == "reinspect"
    assert {c.code for c in city.categories} >= {"model_township", "advanced_county", "model_village"}


def test_a_county_admin_may_not_create_the_citys_campaign(world: World) -> None:
    with pytest.raises(OutsideJurisdictionError):
        world.app.execute(
            CreateCampaign(
                template="four-creations-three-selections",
                organiser_unit_id=COUNTY,
                year=2017,
                create_parent=True,
            ),
            COUNTY_ADMIN,
            at=utc(2017, 1, 1),
        )


def test_a_template_without_an_upper_level_cannot_create_a_parent(world: World) -> None:
    with pytest.raises(InvalidCampaignError) as refused:
        world.campaign("five-good-sites", CITY, create_parent=True)
    assert [f.rule for f in refused.value.failures] == ["parent_template_known"]


def test_a_named_parent_must_be_run_by_a_superior(world: World) -> None:
    county = world.campaign("four-creations-three-selections", COUNTY)
    with pytest.raises(InvalidCampaignError) as refused:
        world.campaign("five-good-sites", CITY, parent_campaign_id=county.id)
    assert [f.rule for f in refused.value.failures] == ["parent_campaign_superior"]


def test_the_prefecture_selection_is_created_above_a_double_strengthen_county(world: World) -> None:
    created = world.app.execute(
        CreateCampaign(
            template="double-strengthen", organiser_unit_id=COUNTY, year=2011, create_parent=True
        ),
        ADMIN,
        at=utc(2011, 1, 1),
    )
    prefecture = world.app.get_campaign(created["parent_campaign"]["id"])
    assert prefecture.template_code == "prefecture-double-strengthen"
    assert prefecture.forwarded_inspection == "accept"
    assert [c.code for c in prefecture.categories] == [
        "advanced_teaching_platform",
        "five_good_demo_site",
        "model_department",
    ]
    # the prefecture receives in October of the second year, after the county commends
    assert prefecture.phase("declaration").opens_at == utc(2012, 9, 30, 16)


# --- select and forward (择优上报) -------------------------------------------------------------------


def test_the_county_forwards_the_best_without_granting_its_own_title(
    world: World, county_and_city: tuple[CampaignRef, str]
) -> None:
    county, city_id = county_and_city
    ids = [model_village(world, county, unit, score=70 + i) for i, unit in enumerate(VILLAGES)]
    world.app.execute(
        SetForwardingQuotas(campaign_id=city_id, quotas={COUNTY: {"model_village": 2}}),
        CITY_REVIEWER,
        at=FORWARDED_AT - timedelta(days=3),
    )
    result = forward_selected(world, county, "model_village")
    best_two = ids[::-1][:2]
    assert [f["id"] for f in result["forwarded"]] == best_two
    assert result["forwarding_quota_left"] == 0
    for source in best_two:
        assert world.state(source) == "forwarded"
        target = world.app.get_nomination(world.app.get_nomination(source).forwarded_to["nomination_id"])
        assert (str(target.campaign_id), target.state, target.declaring_unit_id) == (
            city_id,
            "declared",  # the city inspects again
            COUNTY,
        )
        provenance = target.forwarded_from
        assert provenance is not None
        assert provenance["nomination_id"] == source and provenance["commended"] is False
        assert [i["weighted_score"] for i in provenance["inspections"]] == [
            world.app.get_nomination(source).score
        ]
    # the quota is spent: one more is refused, naming the quota
    with pytest.raises(ForwardingRefusedError) as refused:
        forward_selected(world, county, "model_village", [ids[0]])
    assert [f.rule for f in refused.value.failures] == ["forwarding_quota"]


def test_forwarding_a_nomination_that_did_not_pass_is_refused(
    world: World, county_and_city: tuple[CampaignRef, str]
) -> None:
    county, _ = county_and_city
    failed = model_village(world, county, VILLAGE, score=40)
    with pytest.raises(ForwardingRefusedError) as refused:
        forward_selected(world, county, "model_village", [failed])
    assert [f.rule for f in refused.value.failures] == ["forwarding_passed_inspection"]
    with pytest.raises(InvalidTransitionError):
        world.app.execute(Forward(nomination_id=failed), COUNTY_REVIEWER, at=FORWARDED_AT)


def test_a_forwarding_quota_names_a_unit_below_the_organiser(
    world: World, county_and_city: tuple[CampaignRef, str]
) -> None:
    _, city_id = county_and_city
    with pytest.raises(InvalidCampaignError) as refused:
        world.app.execute(
            SetForwardingQuotas(campaign_id=city_id, quotas={CITY: {"model_village": 2}}),
            CITY_REVIEWER,
            at=FORWARDED_AT,
        )
    assert [f.rule for f in refused.value.failures] == ["forwarding_from_below"]
    with pytest.raises(InvalidCampaignError) as refused:
        world.app.execute(
            SetForwardingQuotas(campaign_id=city_id, quotas={COUNTY: {"model_vilage": -1}}),
            CITY_REVIEWER,
            at=FORWARDED_AT,
        )
    assert [f.field for f in refused.value.failures] == ["quotas.yijun-xian.model_vilage"]


# --- titles across campaigns -----------------------------------------------------------------------


def test_the_city_decides_a_model_township_from_the_village_titles_the_county_granted(
    world: World, county_and_city: tuple[CampaignRef, str]
) -> None:
    """The reproduction of issue 21: the villages hold the county's model-village titles; the
    city commends the model township the county forwarded."""
    county, city_id = county_and_city
    for unit in VILLAGES:
        model_village(world, county, unit)
    township = world.inspected(
        county,
        TOWNSHIP,
        88,
        category="model_township",
        form=MODEL_TOWNSHIP_FORM,
        name="彭镇",
        reviewer=COUNTY_REVIEWER,
        inspector=COUNTY_INSPECTOR,
    )
    (up,) = forward_selected(world, county, "model_township")["forwarded"]
    assert up["id"] == township
    world.app.execute(
        Commend(campaign_id=county.id, category="model_village"), COUNTY_REVIEWER, at=COUNTY_TITLES_AT
    )
    at_city = str(up["forwarded_to"])
    city_inspects(world, at_city, "model_township")
    result = world.app.execute(
        Commend(campaign_id=city_id, category="model_township"), CITY_REVIEWER, at=CITY_DECIDES_AT
    )
    assert [str(c["id"]) for c in result["commended"]] == [at_city]
    held = world.app.titles.held([TOWNSHIP, *VILLAGES])
    assert {(t.category, t.level) for t in held} == {
        ("model_village", "county"),
        ("model_township", "city"),
    }


def test_the_city_names_each_village_without_a_title_in_both_languages(
    world: World, county_and_city: tuple[CampaignRef, str]
) -> None:
    county, city_id = county_and_city
    for unit in VILLAGES[1:]:
        model_village(world, county, unit)
    township = world.inspected(
        county,
        TOWNSHIP,
        88,
        category="model_township",
        form=MODEL_TOWNSHIP_FORM,
        name="彭镇",
        reviewer=COUNTY_REVIEWER,
        inspector=COUNTY_INSPECTOR,
    )
    (up,) = forward_selected(world, county, "model_township", [township])["forwarded"]
    world.app.execute(
        Commend(campaign_id=county.id, category="model_village"), COUNTY_REVIEWER, at=COUNTY_TITLES_AT
    )
    city_inspects(world, str(up["forwarded_to"]), "model_township")
    result = world.app.execute(
        Commend(campaign_id=city_id, category="model_township"), CITY_REVIEWER, at=CITY_DECIDES_AT
    )
    (refused,) = result["not_selected"]
    (failure,) = refused["failures"]
    missing = world.app.get_unit(VILLAGES[0])
    assert failure["actual"] == [VILLAGES[0]]
    assert f"{missing.name_zh}（{missing.code}）" in failure["message_zh"]
    assert f"({missing.code})" in failure["message_en"]


def test_a_model_village_title_from_last_years_campaign_counts(world: World) -> None:
    last_year = world.campaign("four-creations-three-selections", COUNTY, year=2016)
    when = last_year.when
    for unit in VILLAGES:
        nid = world.declare(
            last_year,
            unit,
            category="model_village",
            form=MODEL_VILLAGE_FORM,
            at=_year_earlier(when.declaration),
        )
        world.admit(last_year, nid, actor=COUNTY_REVIEWER, at=_year_earlier(when.pre_review))
        world.inspect(
            last_year,
            nid,
            85,
            category="model_village",
            actor=COUNTY_INSPECTOR,
            at=_year_earlier(when.inspection),
        )
    world.commend(last_year, "model_village", actor=COUNTY_REVIEWER, at=_year_earlier(when.commendation))
    this_year = world.campaign("four-creations-three-selections", COUNTY)
    township = world.inspected(
        this_year,
        TOWNSHIP,
        88,
        category="model_township",
        form=MODEL_TOWNSHIP_FORM,
        name="彭镇",
        reviewer=COUNTY_REVIEWER,
        inspector=COUNTY_INSPECTOR,
    )
    result = world.commend(this_year, "model_township", actor=COUNTY_REVIEWER)
    assert [str(c["id"]) for c in result["commended"]] == [township]


# --- the upper level accepts the lower level's inspection ------------------------------------------


def test_the_prefecture_takes_the_countys_assessment_and_selects(world: World) -> None:
    created = world.app.execute(
        CreateCampaign(
            template="double-strengthen", organiser_unit_id=COUNTY, year=2011, create_parent=True
        ),
        ADMIN,
        at=utc(2011, 1, 1),
    )
    county = CampaignRef(str(created["id"]), "double-strengthen", DOUBLE_STRENGTHEN_2011)
    prefecture_id = str(created["parent_campaign"]["id"])
    sites = [
        world.inspected(
            county,
            unit,
            80 + i,
            category="five_good_demo_site",
            form={"county_acceptance_passed": True, "satisfaction_rate": 95},
            reviewer=COUNTY_REVIEWER,
            inspector=COUNTY_INSPECTOR,
        )
        for i, unit in enumerate(VILLAGES[:3])
    ]
    commended = world.commend(county, "five_good_demo_site", actor=COUNTY_REVIEWER)["commended"]
    assert len(commended) == 3
    forwarded = world.app.execute(
        ForwardSelected(campaign_id=county.id, category="five_good_demo_site"),
        COUNTY_REVIEWER,
        at=utc(2012, 10, 20, 2),
    )["forwarded"]
    assert len(forwarded) == 3
    at_prefecture = [str(f["forwarded_to"]) for f in forwarded]
    for nid in at_prefecture:
        nomination = world.app.get_nomination(nid)
        assert nomination.state == "inspected" and nomination.passed
    result = world.app.execute(
        Commend(
            campaign_id=prefecture_id, category="five_good_demo_site", nomination_ids=at_prefecture[:1]
        ),
        CITY_REVIEWER,
        at=utc(2012, 11, 20, 2),
    )
    best = world.app.get_nomination(at_prefecture[0])
    assert best.forwarded_from is not None and best.forwarded_from["nomination_id"] == sites[2]
    assert [str(c["id"]) for c in result["commended"]] == at_prefecture[:1]


# --- assessment by the level below (seed 001) -------------------------------------------------------


def test_a_township_inspector_assesses_its_own_village_sites_in_the_county_campaign(
    world: World,
) -> None:
    county = world.campaign("double-strengthen", COUNTY)
    form = {"county_acceptance_passed": True, "satisfaction_rate": 95}
    mine = world.declare(county, VILLAGE, category="five_good_demo_site", form=form)
    theirs = world.declare(
        county,
        OTHER_TOWNSHIP_VILLAGE,
        category="five_good_demo_site",
        form=form,
        declaring_unit=OTHER_TOWNSHIP,
    )
    for nid in (mine, theirs):
        world.admit(county, nid, actor=COUNTY_REVIEWER)
    world.inspect(county, mine, 85, category="five_good_demo_site", actor=TOWNSHIP_INSPECTOR)
    assert world.state(mine) == "inspected"
    with pytest.raises(OutsideJurisdictionError):
        world.inspect(county, theirs, 85, category="five_good_demo_site", actor=TOWNSHIP_INSPECTOR)


def test_a_township_inspector_does_not_assess_where_the_template_does_not_say_so(world: World) -> None:
    county = world.campaign("four-creations-three-selections", COUNTY)
    nid = world.declare(county, VILLAGE, category="model_village", form=MODEL_VILLAGE_FORM)
    world.admit(county, nid, actor=COUNTY_REVIEWER)
    with pytest.raises(OutsideJurisdictionError):
        world.inspect(county, nid, 85, category="model_village", actor=TOWNSHIP_INSPECTOR)


def test_a_township_is_assessed_by_the_county_not_by_itself(world: World) -> None:
    county = world.campaign("double-strengthen", COUNTY)
    from tests.builders.forms import PLATFORM_FORM

    nid = world.declare(
        county, TOWNSHIP, category="advanced_teaching_platform", form=PLATFORM_FORM, name="彭镇教学平台"
    )
    world.admit(county, nid, actor=COUNTY_REVIEWER)
    with pytest.raises(OutsideJurisdictionError):
        world.inspect(county, nid, 85, category="advanced_teaching_platform", actor=TOWNSHIP_INSPECTOR)


# --- next year's campaign from this year's ---------------------------------------------------------


def test_next_years_campaign_copies_this_years_a_year_later_and_its_titles_fall_due(
    world: World,
) -> None:
    this_year = world.campaign("five-good-sites", CITY, quotas={"five_good_site": 2})
    for i, unit in enumerate(VILLAGES[:3]):
        world.inspected(this_year, unit, 80 + i)
    titles = [c["id"] for c in world.commend(this_year)["commended"]]
    result = world.app.execute(
        CreateNextYearCampaign(previous_campaign_id=this_year.id),
        ADMIN,
        at=FIVE_GOOD_2022.after_commendation,
    )
    previous = world.app.get_campaign(this_year.id)
    following = world.app.get_campaign(result["id"])
    assert following.year == 2023 and str(following.previous_campaign_id) == this_year.id
    assert following.category("five_good_site").quota == 2
    assert [p.opens_at.replace(year=p.opens_at.year - 1) for p in following.phases] == [
        p.opens_at for p in previous.phases
    ]
    due_by = following.phase_for("inspection").closes_at
    assert result["reinspections_due"]["marked"] == {"five_good_site": 2}
    for nid in titles:
        assert world.app.get_nomination(nid).held_title().reinspection_due_by == due_by


def _year_earlier(moment: Any) -> Any:
    return moment.replace(year=moment.year - 1)


def test_model_departments_are_commended_by_proportion_of_the_agencies(world: World) -> None:
    """Seed 001: 县直机关工委按照一定比例对县直机关单位进行表彰 — 30 % of the county's agencies,
    rounded up, unless the organiser sets the quota."""
    from domain.commands import RegisterUnit

    for n in range(2, 5):  # 宜君县 has four agencies then
        world.app.execute(
            RegisterUnit(
                code=f"agency-{n}",
                name=f"Agency {n}",
                name_zh=f"县直机关{n}",
                level="agency",
                parent_id=COUNTY,
            ),
            ADMIN,
        )
    by_proportion = world.app.get_campaign(world.campaign("double-strengthen", COUNTY).id)
    assert by_proportion.category("model_department").quota == 2  # ceil(0.3 × 4)
    chosen = world.app.get_campaign(
        world.campaign("double-strengthen", COUNTY, quotas={"model_department": 3}).id
    )
    assert chosen.category("model_department").quota == 3


def test_next_years_campaign_is_made_once(world: World) -> None:
    this_year = world.campaign("five-good-sites", CITY)
    command = CreateNextYearCampaign(previous_campaign_id=this_year.id)
    made = world.app.execute(command, ADMIN, at=FIVE_GOOD_2022.after_commendation)
    with pytest.raises(CampaignExistsError):
        world.app.execute(command, ADMIN, at=FIVE_GOOD_2022.after_commendation)
    assert str(world.app.get_campaign(this_year.id).next_campaign_id) == made["id"]


def test_the_best_within_quota_passes_over_a_nominee_the_parent_holds(
    world: World, county_and_city: tuple[CampaignRef, str]
) -> None:
    county, city_id = county_and_city
    best = model_village(world, county, VILLAGES[0], score=95)
    second = model_village(world, county, VILLAGES[1], score=80)
    # 前双村 was declared to the city directly (by the county's own declaration, say)
    world.app.execute(
        Declare(
            campaign_id=city_id,
            category="model_village",
            declaring_unit_id=COUNTY,
            nominee=dict(world.app.get_nomination(best).as_dict()["nominee"]),
            form=MODEL_VILLAGE_FORM,
            material=world.app.get_nomination(best).material,
        ),
        COUNTY_DECLARER,
        at=FORWARDED_AT,
    )
    (up,) = forward_selected(world, county, "model_village")["forwarded"]
    assert up["id"] == second


def test_a_village_forwarded_after_passing_still_counts_for_its_township_below(
    world: World, county_and_city: tuple[CampaignRef, str]
) -> None:
    county, _ = county_and_city
    for unit in VILLAGES:
        model_village(world, county, unit)
    township = world.inspected(
        county,
        TOWNSHIP,
        88,
        category="model_township",
        form=MODEL_TOWNSHIP_FORM,
        name="彭镇",
        reviewer=COUNTY_REVIEWER,
        inspector=COUNTY_INSPECTOR,
    )
    forward_selected(world, county, "model_village")  # every village goes up, none titled here
    result = world.app.execute(
        Commend(campaign_id=county.id, category="model_township"), COUNTY_REVIEWER, at=COUNTY_TITLES_AT
    )
    assert [c["id"] for c in result["commended"]] == [township]


def test_a_selecting_level_does_not_forward_what_it_commended_when_commendation_closes(
    world: World, county_and_city: tuple[CampaignRef, str]
) -> None:
    county, _ = county_and_city
    nid = model_village(world, county, VILLAGE)
    world.app.execute(
        Commend(campaign_id=county.id, category="model_village"), COUNTY_REVIEWER, at=COUNTY_TITLES_AT
    )
    result = world.app.execute(
        ForwardCommended(campaign_id=county.id), SYSTEM, at=FOUR_CREATIONS_2017.after_commendation
    )
    assert result["forwarded"] == [] and world.state(nid) == "commended"


# --- seed 001: 县直机关工委 reviews the agencies ------------------------------------------------------

COMMITTEE = "yijun-jiguan-gongwei"  # 县直机关工委, under the county
COMMITTEE_REVIEWER = Actor("tok-gongwei-reviewer", Role.REVIEWER, COMMITTEE)
COMMITTEE_INSPECTOR = Actor("tok-gongwei-inspector", Role.INSPECTOR, COMMITTEE)
AGENCY_SITE_FORM = {
    "satisfaction_rate": 95,
    "monthly_sessions": 2,
    "yearly_hours": 48,
    "monthly_tutoring": 1,
}


@pytest.fixture
def delegated(world: World) -> CampaignRef:
    from domain.commands import RegisterUnit

    world.app.execute(
        RegisterUnit(
            code=COMMITTEE,
            name="Agencies' working committee",
            name_zh="县直机关工委",
            level="agency",
            parent_id=COUNTY,
        ),
        ADMIN,
    )
    return world.campaign("double-strengthen", COUNTY, delegates={"agency": COMMITTEE})


def agency_checklist(world: World, campaign: CampaignRef) -> dict:
    category = world.app.get_campaign(campaign.id).category("five_good_demo_site")
    return {c.code: {i.code: True for i in c.items} for c in category.checklists_for("agency")}


def test_the_agencies_working_committee_reviews_inspects_and_commends_the_agencies(
    world: World, delegated: CampaignRef
) -> None:
    when = delegated.when
    site = world.declare(
        delegated,
        AGENCY,
        category="five_good_demo_site",
        form=AGENCY_SITE_FORM,
        declaring_unit=COUNTY,
        actor=COUNTY_DECLARER,
        name="农业局远教站点",
    )
    department = world.declare(
        delegated,
        AGENCY,
        category="model_department",
        form={"demo_site_share": 40},
        declaring_unit=COUNTY,
        actor=COUNTY_DECLARER,
        name="宜君县农业局",
    )
    for nid in (site, department):
        world.admit(delegated, nid, actor=COMMITTEE_REVIEWER)
    category = world.app.get_campaign(delegated.id).category("five_good_demo_site")
    world.app.execute(
        Inspect(
            nomination_id=site,
            methods=["site_visit"],
            scores=uniform_scores(category, 85),
            verdict="pass",
            checklist=agency_checklist(world, delegated),
        ),
        COMMITTEE_INSPECTOR,
        at=when.inspection,
    )
    world.inspect(delegated, department, 85, category="model_department", actor=COMMITTEE_INSPECTOR)
    result = world.app.execute(
        Commend(campaign_id=delegated.id, category="model_department"),
        COMMITTEE_REVIEWER,
        at=when.commendation,
    )
    assert [c["id"] for c in result["commended"]] == [department]
    # five-good demonstration sites are villages' too: the county commends them
    with pytest.raises(OutsideJurisdictionError):
        world.app.execute(
            Commend(campaign_id=delegated.id, category="five_good_demo_site"),
            COMMITTEE_REVIEWER,
            at=when.commendation,
        )


def test_the_committee_does_not_act_on_village_sites(world: World, delegated: CampaignRef) -> None:
    village = world.declare(
        delegated,
        VILLAGE,
        category="five_good_demo_site",
        form={"county_acceptance_passed": True, "satisfaction_rate": 95},
    )
    with pytest.raises(OutsideJurisdictionError):
        world.admit(delegated, village, actor=COMMITTEE_REVIEWER)
    assert world.admit(delegated, village, actor=COUNTY_REVIEWER)["state"] == "admitted"


def test_only_the_levels_the_template_allows_are_delegated_to_a_unit_below(world: World) -> None:
    with pytest.raises(InvalidCampaignError) as refused:
        world.campaign("double-strengthen", COUNTY, delegates={"village": TOWNSHIP, "agency": CITY})
    assert sorted((f.rule, f.field) for f in refused.value.failures) == [
        ("delegable_level", "delegates.village"),
        ("delegate_below_organiser", "delegates.agency"),
    ]
