"""Roles and jurisdiction: a unit's jurisdiction is its subtree; each action has its roles;
a superior department may act for the campaigns of the departments below it; auditors read only."""

from __future__ import annotations

import pytest
from builders import (
    ADMIN,
    CITY,
    CITY_AUDITOR,
    CITY_INSPECTOR,
    CITY_REVIEWER,
    COUNTY,
    COUNTY_ADMIN,
    COUNTY_INSPECTOR,
    COUNTY_REVIEWER,
    FIVE_GOOD_2022,
    OTHER_COUNTY,
    OTHER_COUNTY_REVIEWER,
    OTHER_COUNTY_TOWNSHIP,
    OTHER_COUNTY_VILLAGE,
    OTHER_TOWNSHIP_DECLARER,
    OTHER_TOWNSHIP_VILLAGE,
    SYSTEM_ACTOR,
    TOWNSHIP,
    TOWNSHIP_DECLARER,
    VILLAGE,
    CampaignRef,
    World,
    uniform_scores,
    utc,
)

from domain.actors import Actor
from domain.errors import AuthorizationError, OutsideJurisdictionError, RoleNotAllowedError
from domain.rules.jurisdiction import ACTIONS, authorize


@pytest.fixture
def county_campaign(world: World) -> CampaignRef:
    """A five-good campaign organised by 宜君县 (below the city)."""
    return world.campaign("five-good-sites", COUNTY)


def test_declarer_refused_for_a_village_outside_its_township(
    world: World, five_good: CampaignRef
) -> None:
    with pytest.raises(OutsideJurisdictionError) as refused:
        world.declare(
            five_good, OTHER_TOWNSHIP_VILLAGE, declaring_unit=TOWNSHIP, actor=TOWNSHIP_DECLARER
        )
    assert refused.value.details == {"action": "declare", "unit": OTHER_TOWNSHIP_VILLAGE}
    assert refused.value.code == "outside-jurisdiction"


def test_declarer_refused_to_declare_on_behalf_of_another_township(
    world: World, five_good: CampaignRef
) -> None:
    with pytest.raises(OutsideJurisdictionError):
        world.declare(five_good, VILLAGE, declaring_unit=TOWNSHIP, actor=OTHER_TOWNSHIP_DECLARER)


def test_declarer_may_declare_within_its_own_subtree(world: World, five_good: CampaignRef) -> None:
    assert (
        world.state(
            world.declare(
                five_good,
                OTHER_TOWNSHIP_VILLAGE,
                declaring_unit="qipan-zhen",
                actor=OTHER_TOWNSHIP_DECLARER,
            )
        )
        == "declared"
    )


def test_declarer_without_a_unit_refused(world: World, five_good: CampaignRef) -> None:
    with pytest.raises(OutsideJurisdictionError):
        world.declare(five_good, VILLAGE, actor=Actor("tok-stray", "declarer", None))


def test_withdrawal_refused_for_a_declarer_of_another_township(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    with pytest.raises(OutsideJurisdictionError):
        world.app.withdraw(nomination_id, "误报", OTHER_TOWNSHIP_DECLARER, at=FIVE_GOOD_2022.declaration)
    assert world.state(nomination_id) == "declared"


@pytest.mark.parametrize("actor", [CITY_REVIEWER, CITY_INSPECTOR, CITY_AUDITOR])
def test_declaration_refused_for_roles_other_than_declarer(
    world: World, five_good: CampaignRef, actor: Actor
) -> None:
    with pytest.raises(RoleNotAllowedError) as refused:
        world.declare(five_good, VILLAGE, actor=actor)
    assert refused.value.details == {"action": "declare", "role": actor.role}


@pytest.mark.parametrize("actor", [TOWNSHIP_DECLARER, CITY_INSPECTOR, CITY_AUDITOR])
def test_pre_review_refused_for_roles_other_than_reviewer(
    world: World, five_good: CampaignRef, actor: Actor
) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    with pytest.raises(RoleNotAllowedError):
        world.admit(five_good, nomination_id, actor=actor)


def test_inspection_refused_for_a_reviewer(world: World, five_good: CampaignRef) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    world.admit(five_good, nomination_id)
    with pytest.raises(RoleNotAllowedError):
        world.inspect(five_good, nomination_id, 80, actor=CITY_REVIEWER)


def test_commendation_refused_for_an_inspector(world: World, five_good: CampaignRef) -> None:
    world.inspected(five_good, VILLAGE, 80)
    with pytest.raises(RoleNotAllowedError):
        world.app.commend(five_good.id, "five_good_site", CITY_INSPECTOR, at=FIVE_GOOD_2022.commendation)


def test_reviewer_of_an_ancestor_unit_may_act_for_a_county_campaign(
    world: World, county_campaign: CampaignRef
) -> None:
    nomination_id = world.declare(county_campaign, VILLAGE)
    assert world.admit(county_campaign, nomination_id, actor=CITY_REVIEWER)["state"] == "admitted"
    assert (
        world.inspect(county_campaign, nomination_id, 80, actor=CITY_INSPECTOR)["state"] == "inspected"
    )


def test_reviewer_of_the_organiser_may_act(world: World, county_campaign: CampaignRef) -> None:
    nomination_id = world.declare(county_campaign, VILLAGE)
    assert world.admit(county_campaign, nomination_id, actor=COUNTY_REVIEWER)["state"] == "admitted"


def test_reviewer_of_a_subordinate_unit_refused_for_the_city_campaign(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    with pytest.raises(OutsideJurisdictionError):
        world.admit(five_good, nomination_id, actor=COUNTY_REVIEWER)


def test_reviewer_of_a_sibling_county_refused(world: World, county_campaign: CampaignRef) -> None:
    nomination_id = world.declare(county_campaign, VILLAGE)
    with pytest.raises(OutsideJurisdictionError):
        world.admit(county_campaign, nomination_id, actor=OTHER_COUNTY_REVIEWER)
    with pytest.raises(OutsideJurisdictionError):
        world.app.extend_deadline(
            county_campaign.id,
            "declaration",
            utc(2022, 10, 22),
            "延期",
            OTHER_COUNTY_REVIEWER,
            at=FIVE_GOOD_2022.declaration,
        )


def test_inspector_of_a_subordinate_unit_refused_for_the_city_campaign(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    world.admit(five_good, nomination_id)
    with pytest.raises(OutsideJurisdictionError):
        world.inspect(five_good, nomination_id, 80, actor=COUNTY_INSPECTOR)


def test_auditor_cannot_write_anything(world: World, five_good: CampaignRef) -> None:
    nomination_id = world.inspected(five_good, VILLAGE, 80)
    recorded = world.events_recorded()
    attempts = [
        lambda: world.app.withdraw(nomination_id, "审计", CITY_AUDITOR, at=FIVE_GOOD_2022.inspection),
        lambda: world.app.inspect(
            nomination_id,
            ["site_visit"],
            uniform_scores(five_good.category("five_good_site"), 90),
            "pass",
            CITY_AUDITOR,
            at=FIVE_GOOD_2022.inspection,
        ),
        lambda: world.app.commend(
            five_good.id, "five_good_site", CITY_AUDITOR, at=FIVE_GOOD_2022.commendation
        ),
        lambda: world.app.extend_deadline(
            five_good.id,
            "inspection",
            utc(2022, 11, 12),
            "延期",
            CITY_AUDITOR,
            at=FIVE_GOOD_2022.inspection,
        ),
        lambda: world.app.close_phase(
            five_good.id, "inspection", CITY_AUDITOR, at=FIVE_GOOD_2022.inspection
        ),
        lambda: world.app.register_unit(
            "xin-cun", "Xin Village", "新村", "village", TOWNSHIP, CITY_AUDITOR
        ),
        lambda: world.app.create_campaign("five-good-sites", CITY, CITY_AUDITOR, year=2023),
    ]
    for attempt in attempts:
        with pytest.raises(RoleNotAllowedError):
            attempt()
    assert world.events_recorded() == recorded


def test_auditor_may_read(world: World, five_good: CampaignRef) -> None:
    authorize(CITY_AUDITOR, "read", [world.app.get_unit(VILLAGE)])
    assert "auditor" in ACTIONS["read"] and all(
        "auditor" not in roles for action, roles in ACTIONS.items() if action != "read"
    )


def test_system_actor_may_do_anything_anywhere(world: World) -> None:
    for action in ACTIONS:
        authorize(SYSTEM_ACTOR, action, [world.app.get_unit(OTHER_COUNTY_VILLAGE)])


def test_scoped_admin_refused_outside_its_subtree(world: World) -> None:
    with pytest.raises(OutsideJurisdictionError):
        world.app.register_unit(
            "xin-cun", "Xin Village", "新村", "village", OTHER_COUNTY_TOWNSHIP, COUNTY_ADMIN
        )
    with pytest.raises(OutsideJurisdictionError):
        world.app.create_campaign("five-good-sites", OTHER_COUNTY, COUNTY_ADMIN, year=2023)


def test_scoped_admin_may_manage_its_own_subtree(world: World) -> None:
    assert world.app.register_unit("xin-cun", "Xin Village", "新村", "village", TOWNSHIP, COUNTY_ADMIN)[
        "path"
    ] == [CITY, COUNTY, TOWNSHIP]
    assert (
        world.app.create_campaign("five-good-sites", COUNTY, COUNTY_ADMIN, year=2023)[
            "organiser_unit_id"
        ]
        == COUNTY
    )


def test_unscoped_admin_may_manage_anywhere(world: World) -> None:
    assert (
        world.app.register_unit(
            "xin-cun", "Xin Village", "新村", "village", OTHER_COUNTY_TOWNSHIP, ADMIN
        )["parent_id"]
        == OTHER_COUNTY_TOWNSHIP
    )


def test_scoped_admin_refused_to_register_a_root_unit(world: World) -> None:
    with pytest.raises(AuthorizationError):
        world.app.register_unit("rogue-shi", "Rogue City", "另一个市", "city", None, COUNTY_ADMIN)
