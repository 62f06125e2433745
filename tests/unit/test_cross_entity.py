"""Seed 003 cross-entity rules: a model township (示范乡镇) is commended only when every
village site in its jurisdiction holds a passed or commended model-village nomination in the
same campaign, and an advanced county (先进区县) likewise for every village in the county;
plus the typical-case thresholds (≥ 3 for a township, ≥ 2 for a county)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from domain.commands import Commend, CreateCampaign, Forward, Revoke
from domain.errors import CommendationRefusedError, PreReviewRefusedError
from domain.rules.cross_entity import cross_entity_failures
from domain.values import CrossEntityRule
from tests.builders.actors import (
    ADMIN,
    COUNTY_DECLARER,
    COUNTY_INSPECTOR,
    COUNTY_REVIEWER,
    OTHER_TOWNSHIP_DECLARER,
)
from tests.builders.clock import FOUR_CREATIONS_2017, utc
from tests.builders.forms import ADVANCED_COUNTY_FORM, MODEL_TOWNSHIP_FORM, MODEL_VILLAGE_FORM
from tests.builders.tree import (
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
EVERY_VILLAGE = "every_village_site_meets_model_standard"


@pytest.fixture
def four_creations(world: World) -> CampaignRef:
    """宜君县's 2017 "four creations, three selections" campaign (template dates)."""
    return world.campaign("four-creations-three-selections", COUNTY)


def model_village(world: World, campaign: CampaignRef, unit: str, score: float = 85, **kwargs) -> str:
    return world.inspected(
        campaign,
        unit,
        score,
        category="model_village",
        form=MODEL_VILLAGE_FORM,
        reviewer=COUNTY_REVIEWER,
        inspector=COUNTY_INSPECTOR,
        **kwargs,
    )


def model_township(world: World, campaign: CampaignRef, score: float = 88) -> str:
    return world.inspected(
        campaign,
        TOWNSHIP,
        score,
        category="model_township",
        form=MODEL_TOWNSHIP_FORM,
        name="彭镇",
        reviewer=COUNTY_REVIEWER,
        inspector=COUNTY_INSPECTOR,
    )


def commend(
    world: World, campaign: CampaignRef, category: str, nomination_ids: list[str] | None = None
) -> dict:
    command = Commend(campaign_id=campaign.id, category=category, nomination_ids=nomination_ids)
    return world.app.execute(command, COUNTY_REVIEWER, at=FOUR_CREATIONS_2017.commendation)


# --- the pure rule ---------------------------------------------------------------------------------

RULE = CrossEntityRule(
    EVERY_VILLAGE,
    "village",
    "model_village",
    "辖区内各村（社区）站点全部达到示范标准",
    "Every village site meets the model standard",
)


@dataclass(frozen=True)
class Site:
    code: str
    name: str = ""
    name_zh: str = ""


def sites(*codes: str) -> list[Site]:
    return [Site(c, f"Site {c}", f"站点{c}") for c in codes]


def test_cross_entity_rule_holds_when_every_unit_qualified() -> None:
    assert cross_entity_failures(RULE, sites("a", "b"), {"a", "b", "other"}) == []


def test_cross_entity_rule_holds_vacuously_for_a_township_without_villages() -> None:
    assert cross_entity_failures(RULE, [], set()) == []


def test_cross_entity_rule_names_every_unqualified_or_missing_unit_in_both_languages() -> None:
    (failure,) = cross_entity_failures(RULE, sites("c", "a", "b", "d"), {"a"})
    assert (failure.rule, failure.expected, failure.actual) == (EVERY_VILLAGE, "all", ["b", "c", "d"])
    assert "3 of 4" in failure.message_en
    assert "Site b (b), Site c (c), Site d (d)" in failure.message_en
    assert "站点b（b）、站点c（c）、站点d（d）" in failure.message_zh


# --- through the application ----------------------------------------------------------------------


def test_model_township_commended_when_every_village_site_passed_model_village(
    world: World, four_creations: CampaignRef
) -> None:
    for unit in VILLAGES:
        model_village(world, four_creations, unit)
    township = model_township(world, four_creations)
    result = commend(world, four_creations, "model_township")
    assert [c["id"] for c in result["commended"]] == [township]
    assert result["not_selected"] == []
    assert world.state(township) == "commended"


def test_model_township_commended_when_its_villages_were_commended_first(
    world: World, four_creations: CampaignRef
) -> None:
    for unit in VILLAGES:
        model_village(world, four_creations, unit)
    township = model_township(world, four_creations)
    assert len(commend(world, four_creations, "model_village")["commended"]) == len(
        VILLAGES
    )  # no quota: all passed
    assert [c["id"] for c in commend(world, four_creations, "model_township")["commended"]] == [township]


def test_model_township_not_selected_when_one_village_failed_inspection(
    world: World, four_creations: CampaignRef
) -> None:
    for unit in VILLAGES:
        model_village(world, four_creations, unit, score=40 if unit == VILLAGE else 85)
    township = model_township(world, four_creations)
    result = commend(world, four_creations, "model_township")
    assert result["commended"] == []
    (entry,) = result["not_selected"]
    assert entry["id"] == township
    assert [(f["rule"], f["actual"]) for f in entry["failures"]] == [(EVERY_VILLAGE, [VILLAGE])]
    assert world.state(township) == "inspected"


def test_model_township_not_selected_when_a_village_was_never_declared(
    world: World, four_creations: CampaignRef
) -> None:
    for unit in VILLAGES:
        if unit != "shiqiao-cun":  # 石桥村 did not take part
            model_village(world, four_creations, unit)
    township = model_township(world, four_creations)
    result = commend(world, four_creations, "model_township")
    assert [(x["id"], x["failures"][0]["actual"]) for x in result["not_selected"]] == [
        (township, ["shiqiao-cun"])
    ]


def test_model_township_not_selected_when_a_village_is_only_admitted(
    world: World, four_creations: CampaignRef
) -> None:
    for unit in VILLAGES[1:]:
        model_village(world, four_creations, unit)
    pending = world.declare(
        four_creations, VILLAGES[0], category="model_village", form=MODEL_VILLAGE_FORM
    )
    world.admit(four_creations, pending, actor=COUNTY_REVIEWER)
    model_township(world, four_creations)
    assert commend(world, four_creations, "model_township")["not_selected"][0]["failures"][0][
        "actual"
    ] == [VILLAGES[0]]


def test_model_township_ignores_villages_of_other_townships(
    world: World, four_creations: CampaignRef
) -> None:
    for unit in VILLAGES:
        model_village(world, four_creations, unit)
    township = model_township(
        world, four_creations
    )  # 棋盘镇's 马庄村 has no nomination: irrelevant to 彭镇
    assert [c["id"] for c in commend(world, four_creations, "model_township")["commended"]] == [township]


def test_model_township_requested_by_name_refused_while_a_village_falls_short(
    world: World, four_creations: CampaignRef
) -> None:
    for unit in VILLAGES[1:]:
        model_village(world, four_creations, unit)
    township = model_township(world, four_creations)
    with pytest.raises(CommendationRefusedError) as refused:
        commend(world, four_creations, "model_township", nomination_ids=[township])
    assert EVERY_VILLAGE in [f.rule for f in refused.value.failures]


def test_advanced_county_not_selected_while_a_village_of_another_township_falls_short(
    world: World, four_creations: CampaignRef
) -> None:
    for unit in VILLAGES:
        model_village(world, four_creations, unit)
    county = world.inspected(
        four_creations,
        COUNTY,
        90,
        category="advanced_county",
        form=ADVANCED_COUNTY_FORM,
        name="宜君县",
        declaring_unit=COUNTY,
        actor=COUNTY_DECLARER,
        reviewer=COUNTY_REVIEWER,
        inspector=COUNTY_INSPECTOR,
    )
    result = commend(world, four_creations, "advanced_county")
    assert [
        (x["id"], x["failures"][0]["rule"], x["failures"][0]["actual"]) for x in result["not_selected"]
    ] == [(county, "every_site_meets_model_standard", [OTHER_TOWNSHIP_VILLAGE])]


def test_advanced_county_commended_when_every_village_in_the_county_qualified(
    world: World, four_creations: CampaignRef
) -> None:
    for unit in VILLAGES:
        model_village(world, four_creations, unit)
    model_village(
        world,
        four_creations,
        OTHER_TOWNSHIP_VILLAGE,
        declaring_unit=OTHER_TOWNSHIP,
        actor=OTHER_TOWNSHIP_DECLARER,
    )
    county = world.inspected(
        four_creations,
        COUNTY,
        90,
        category="advanced_county",
        form=ADVANCED_COUNTY_FORM,
        name="宜君县",
        declaring_unit=COUNTY,
        actor=COUNTY_DECLARER,
        reviewer=COUNTY_REVIEWER,
        inspector=COUNTY_INSPECTOR,
    )
    assert [c["id"] for c in commend(world, four_creations, "advanced_county")["commended"]] == [county]


# --- typical cases (学用成果转化典型案例) -------------------------------------------------------------


@pytest.mark.parametrize(("cases", "refused"), [(2, True), (3, False), (7, False)])
def test_model_township_needs_at_least_3_typical_cases(
    world: World, four_creations: CampaignRef, cases: int, refused: bool
) -> None:
    nid = world.declare(
        four_creations,
        TOWNSHIP,
        category="model_township",
        name="彭镇",
        form=dict(MODEL_TOWNSHIP_FORM, typical_cases=cases),
    )
    if refused:
        with pytest.raises(PreReviewRefusedError) as error:
            world.admit(four_creations, nid, actor=COUNTY_REVIEWER)
        assert [(f.rule, f.actual) for f in error.value.failures] == [
            ("typical_cases_at_least_3", cases)
        ]
    else:
        assert world.admit(four_creations, nid, actor=COUNTY_REVIEWER)["state"] == "admitted"


@pytest.mark.parametrize(("cases", "refused"), [(1, True), (2, False)])
def test_advanced_county_needs_at_least_2_typical_cases(
    world: World, four_creations: CampaignRef, cases: int, refused: bool
) -> None:
    nid = world.declare(
        four_creations,
        COUNTY,
        category="advanced_county",
        name="宜君县",
        form={"typical_cases": cases},
        declaring_unit=COUNTY,
        actor=COUNTY_DECLARER,
    )
    if refused:
        with pytest.raises(PreReviewRefusedError) as error:
            world.admit(four_creations, nid, actor=COUNTY_REVIEWER)
        assert [f.rule for f in error.value.failures] == ["typical_cases_at_least_2"]
    else:
        assert world.admit(four_creations, nid, actor=COUNTY_REVIEWER)["state"] == "admitted"


def test_model_township_needs_every_administrator_trained(
    world: World, four_creations: CampaignRef
) -> None:
    nid = world.declare(
        four_creations,
        TOWNSHIP,
        category="model_township",
        name="彭镇",
        form=dict(MODEL_TOWNSHIP_FORM, administrators_fully_trained=False),
    )
    with pytest.raises(PreReviewRefusedError) as error:
        world.admit(four_creations, nid, actor=COUNTY_REVIEWER)
    assert [f.rule for f in error.value.failures] == ["administrators_fully_trained"]


def test_model_village_needs_a_screen_of_at_least_50_inches(
    world: World, four_creations: CampaignRef
) -> None:
    nid = world.declare(
        four_creations,
        VILLAGE,
        category="model_village",
        form=dict(MODEL_VILLAGE_FORM, screen_inches=42),
    )
    with pytest.raises(PreReviewRefusedError) as error:
        world.admit(four_creations, nid, actor=COUNTY_REVIEWER)
    assert [f.rule for f in error.value.failures] == ["screen_at_least_50_inches"]


# --- regressions: any one qualifying nomination of a village counts, a forwarded title still counts,
# --- a revoked one does not (the first two were defects, fixed in 49b2c67) ---------------------------


def test_model_township_commended_when_a_village_holds_a_passed_nomination_beside_a_failed_one(
    world: World, four_creations: CampaignRef
) -> None:
    for unit in VILLAGES:
        model_village(world, four_creations, unit)
    # 前双村 was declared a second time under another site name, and that one failed
    model_village(world, four_creations, VILLAGE, score=40, name="前双村党员活动室站点")
    township = model_township(world, four_creations)
    assert [c["id"] for c in commend(world, four_creations, "model_township")["commended"]] == [township]


def test_model_township_commended_after_its_commended_villages_were_forwarded(world: World) -> None:
    city_campaign = world.app.execute(
        CreateCampaign(
            template="four-creations-three-selections",
            organiser_unit_id=CITY,
            starts_at=utc(2017, 11, 20),
            durations={"mobilisation": 1, "creation": 1, "self_inspection": 1, "declaration": "P30D"},
        ),
        ADMIN,
        at=utc(2017, 1, 1),
    )
    county = world.campaign(
        "four-creations-three-selections", COUNTY, parent_campaign_id=city_campaign["id"]
    )
    for unit in VILLAGES:
        model_village(world, county, unit)
    township = model_township(world, county)
    commended = commend(world, county, "model_village")["commended"]
    forward_at = FOUR_CREATIONS_2017.commendation + timedelta(hours=1)
    world.app.execute(
        Forward(nomination_id=commended[0]["id"]), COUNTY_REVIEWER, at=forward_at
    )  # the best village goes up to 示范市
    assert world.state(commended[0]["id"]) == "forwarded"
    result = world.app.execute(
        Commend(campaign_id=county.id, category="model_township"),
        COUNTY_REVIEWER,
        at=forward_at + timedelta(hours=1),
    )
    assert [c["id"] for c in result["commended"]] == [township]


def test_model_township_not_selected_once_a_village_title_was_revoked(
    world: World, four_creations: CampaignRef
) -> None:
    for unit in VILLAGES:
        model_village(world, four_creations, unit)
    township = model_township(world, four_creations)
    villages = {c["id"] for c in commend(world, four_creations, "model_village")["commended"]}
    revoked = next(n for n in villages if world.app.get_nomination(n).nominee.unit_id == VILLAGE)
    world.app.execute(
        Revoke(nomination_id=revoked, reason="站点设备挪作他用"),
        COUNTY_REVIEWER,
        at=FOUR_CREATIONS_2017.commendation + timedelta(hours=1),
    )
    result = world.app.execute(
        Commend(campaign_id=four_creations.id, category="model_township"),
        COUNTY_REVIEWER,
        at=FOUR_CREATIONS_2017.commendation + timedelta(hours=2),
    )
    assert [(x["id"], x["failures"][0]["actual"]) for x in result["not_selected"]] == [
        (township, [VILLAGE])
    ]
