"""Roles and jurisdiction: a unit's jurisdiction is its subtree; each action has its roles;
a superior department may act for the campaigns of the departments below it; auditors read only."""

from __future__ import annotations

import pytest

from domain.actors import Actor
from domain.commands import (
    ClosePhase,
    Commend,
    CreateCampaign,
    ExtendDeadline,
    Inspect,
    RegisterUnit,
    Withdraw,
)
from domain.errors import AuthorizationError, OutsideJurisdictionError, RoleNotAllowedError
from domain.rules.jurisdiction import ACTIONS, authorize
from tests.builders.actors import (
    ADMIN,
    CITY_AUDITOR,
    CITY_INSPECTOR,
    CITY_REVIEWER,
    COUNTY_ADMIN,
    COUNTY_INSPECTOR,
    COUNTY_REVIEWER,
    OTHER_COUNTY_REVIEWER,
    OTHER_TOWNSHIP_DECLARER,
    SYSTEM,
    TOWNSHIP_DECLARER,
    UNSCOPED_DECLARER,
)
from tests.builders.clock import FIVE_GOOD_2022, utc
from tests.builders.forms import SITE_CHECKLIST, uniform_scores
from tests.builders.tree import (
    CITY,
    COUNTY,
    OTHER_COUNTY,
    OTHER_COUNTY_TOWNSHIP,
    OTHER_COUNTY_VILLAGE,
    OTHER_TOWNSHIP_VILLAGE,
    TOWNSHIP,
    VILLAGE,
)
from tests.builders.world import CampaignRef, World


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
        world.declare(five_good, VILLAGE, actor=UNSCOPED_DECLARER)


def test_withdrawal_refused_for_a_declarer_of_another_township(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    with pytest.raises(OutsideJurisdictionError):
        world.app.execute(
            Withdraw(nomination_id=nomination_id, reason="误报"),
            OTHER_TOWNSHIP_DECLARER,
            at=FIVE_GOOD_2022.declaration,
        )
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
        world.app.execute(
            Commend(campaign_id=five_good.id, category="five_good_site"),
            CITY_INSPECTOR,
            at=FIVE_GOOD_2022.commendation,
        )


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
        world.app.execute(
            ExtendDeadline(
                campaign_id=county_campaign.id,
                phase="declaration",
                closes_at=utc(2022, 10, 22),
                reason="延期",
            ),
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
        lambda: world.app.execute(
            Withdraw(nomination_id=nomination_id, reason="审计"),
            CITY_AUDITOR,
            at=FIVE_GOOD_2022.inspection,
        ),
        lambda: world.app.execute(
            Inspect(
                nomination_id=nomination_id,
                methods=["site_visit"],
                scores=uniform_scores(five_good.category("five_good_site"), 90),
                checklist=SITE_CHECKLIST,
                verdict="pass",
            ),
            CITY_AUDITOR,
            at=FIVE_GOOD_2022.inspection,
        ),
        lambda: world.app.execute(
            Commend(campaign_id=five_good.id, category="five_good_site"),
            CITY_AUDITOR,
            at=FIVE_GOOD_2022.commendation,
        ),
        lambda: world.app.execute(
            ExtendDeadline(
                campaign_id=five_good.id, phase="inspection", closes_at=utc(2022, 11, 12), reason="延期"
            ),
            CITY_AUDITOR,
            at=FIVE_GOOD_2022.inspection,
        ),
        lambda: world.app.execute(
            ClosePhase(campaign_id=five_good.id, phase="inspection"),
            CITY_AUDITOR,
            at=FIVE_GOOD_2022.inspection,
        ),
        lambda: world.app.execute(
            RegisterUnit(
                code="xin-cun", name="Xin Village", name_zh="新村", level="village", parent_id=TOWNSHIP
            ),
            CITY_AUDITOR,
        ),
        lambda: world.app.execute(
            CreateCampaign(template="five-good-sites", organiser_unit_id=CITY, year=2023), CITY_AUDITOR
        ),
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
        authorize(SYSTEM, action, [world.app.get_unit(OTHER_COUNTY_VILLAGE)])


def test_scoped_admin_refused_outside_its_subtree(world: World) -> None:
    with pytest.raises(OutsideJurisdictionError):
        world.app.execute(
            RegisterUnit(
                code="xin-cun",
                name="Xin Village",
                name_zh="新村",
                level="village",
                parent_id=OTHER_COUNTY_TOWNSHIP,
            ),
            COUNTY_ADMIN,
        )
    with pytest.raises(OutsideJurisdictionError):
        world.app.execute(
            CreateCampaign(template="five-good-sites", organiser_unit_id=OTHER_COUNTY, year=2023),
            COUNTY_ADMIN,
        )


def test_scoped_admin_may_manage_its_own_subtree(world: World) -> None:
    assert world.app.execute(
        RegisterUnit(
            code="xin-cun", name="Xin Village", name_zh="新村", level="village", parent_id=TOWNSHIP
        ),
        COUNTY_ADMIN,
    )["path"] == [CITY, COUNTY, TOWNSHIP]
    assert (
        world.app.execute(
            CreateCampaign(template="five-good-sites", organiser_unit_id=COUNTY, year=2023), COUNTY_ADMIN
        )["organiser_unit_id"]
        == COUNTY
    )


def test_unscoped_admin_may_manage_anywhere(world: World) -> None:
    assert (
        world.app.execute(
            RegisterUnit(
                code="xin-cun",
                name="Xin Village",
                name_zh="新村",
                level="village",
                parent_id=OTHER_COUNTY_TOWNSHIP,
            ),
            ADMIN,
        )["parent_id"]
        == OTHER_COUNTY_TOWNSHIP
    )


def test_scoped_admin_refused_to_register_a_root_unit(world: World) -> None:
    with pytest.raises(AuthorizationError):
        world.app.execute(
            RegisterUnit(
                code="rogue-shi", name="Rogue City", name_zh="另一个市", level="city", parent_id=None
            ),
            COUNTY_ADMIN,
        )
