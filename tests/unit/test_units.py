"""Organisational units: city > county > township > village, agencies under a county, towns
straight under a county-level city (seed 000), management districts between a township and
its villages (seed 002); each unit knows its ancestors (jurisdiction) and its children
(subtree); units are renamed and moved by events with actor and reason."""

from __future__ import annotations

import pytest

from domain.commands import MoveUnit, RegisterUnit, RenameUnit
from domain.errors import (
    DuplicateUnitError,
    InvalidUnitError,
    OutsideJurisdictionError,
    UnitMoveRefusedError,
    UnitNotFoundError,
)
from domain.units import Unit, unit_placement_failures
from tests.builders.actors import ADMIN, COUNTY_ADMIN
from tests.builders.clock import utc
from tests.builders.tree import (
    AGENCY,
    CITY,
    COUNTY,
    OTHER_TOWNSHIP,
    PENG_ZHEN_VILLAGES,
    TOWNSHIP,
    VILLAGE,
)
from tests.builders.world import World


def tree() -> dict[str, Unit]:
    """One unit of each level, registered as aggregates in memory (no application)."""
    at = utc(2010, 1, 1)
    city = Unit.register(CITY, "Shifan City", "示范市", "city", None, ADMIN, at)
    county = Unit.register(COUNTY, "Yijun County", "宜君县", "county", city, ADMIN, at)
    township = Unit.register(TOWNSHIP, "Peng Town", "彭镇", "township", county, ADMIN, at)
    village = Unit.register(VILLAGE, "Qianshuang Village", "前双村", "village", township, ADMIN, at)
    agency = Unit.register(AGENCY, "Agriculture Bureau", "宜君县农业局", "agency", county, ADMIN, at)
    district = Unit.register(
        "guanli-qu",
        "Management District",
        "管理区",
        "management_district",
        township,
        ADMIN,
        at,
    )
    return {
        "city": city,
        "county": county,
        "township": township,
        "village": village,
        "agency": agency,
        "management_district": district,
    }


def placement(
    level: str, parent_level: str | None, code: str = "xin", name: str = "新单位"
) -> list[str]:
    parent = tree()[parent_level] if parent_level else None
    return [f.rule for f in unit_placement_failures(code, level, parent, "", name)]


@pytest.mark.parametrize(
    ("level", "parent_level"),
    [
        ("city", None),
        ("county", "city"),
        ("township", "county"),
        ("township", "city"),  # seed 000: a county-level city's towns report straight to the city
        ("management_district", "township"),  # seed 002: 管理区 between a township and its villages
        ("village", "township"),
        ("village", "management_district"),
        ("agency", "county"),
    ],
)
def test_unit_placement_allowed_under_the_level_above(level: str, parent_level: str | None) -> None:
    assert placement(level, parent_level) == []


@pytest.mark.parametrize(
    ("level", "parent_level"),
    [
        ("village", "county"),  # a village sits under a township only
        ("village", "city"),
        ("village", "village"),
        ("village", None),
        ("agency", "township"),  # an agency sits under a county only
        ("agency", "city"),
        ("township", None),
        ("management_district", "county"),
        ("county", None),
        ("city", "county"),
    ],
)
def test_unit_placement_refused_under_any_other_level(level: str, parent_level: str | None) -> None:
    assert placement(level, parent_level) == ["unit_parent_level"]


def test_unit_placement_failure_names_the_expected_parent_level() -> None:
    (failure,) = unit_placement_failures("xin-cun", "village", tree()["county"], "Xin", "新村")
    assert (failure.field, failure.expected, failure.actual) == (
        "parent_id",
        ["township", "management_district"],
        "county",
    )
    assert "乡镇/街道" in failure.message_zh


def test_unit_level_must_be_known() -> None:
    assert placement("province", None) == ["unit_level_known"]


def test_unit_needs_a_code_of_1_to_64_characters_and_a_name() -> None:
    assert placement("city", None, code=" ", name="") == ["unit_id_format", "unit_name_required"]
    assert placement("city", None, code="x" * 65) == ["unit_id_format"]
    assert placement("city", None, code="x" * 64) == []


def test_unit_aggregate_records_its_path_and_its_parent_records_the_child() -> None:
    units = tree()
    assert units["village"].path == [CITY, COUNTY, TOWNSHIP]
    assert units["county"].children == {TOWNSHIP: "township", AGENCY: "agency"}
    assert units["agency"].as_dict()["parent_id"] == COUNTY


def test_register_unit_refused_naming_every_failure(world: World) -> None:
    with pytest.raises(InvalidUnitError) as refused:
        world.app.execute(
            RegisterUnit(code="", name="", name_zh="", level="village", parent_id=COUNTY), ADMIN
        )
    assert [f.rule for f in refused.value.failures] == [
        "unit_id_format",
        "unit_name_required",
        "unit_parent_level",
    ]


def test_register_unit_refused_for_an_existing_code(world: World) -> None:
    with pytest.raises(DuplicateUnitError):
        world.app.execute(
            RegisterUnit(
                code=VILLAGE,
                name="Qianshuang Village",
                name_zh="前双村",
                level="village",
                parent_id=TOWNSHIP,
            ),
            ADMIN,
        )


def test_register_unit_refused_under_an_unknown_parent(world: World) -> None:
    with pytest.raises(UnitNotFoundError):
        world.app.execute(
            RegisterUnit(
                code="xin-cun",
                name="Xin Village",
                name_zh="新村",
                level="village",
                parent_id="no-such-zhen",
            ),
            ADMIN,
        )


def test_registered_unit_knows_its_ancestors_and_its_parent_its_children(world: World) -> None:
    village = world.app.get_unit(VILLAGE)
    assert village.path == [CITY, COUNTY, TOWNSHIP]
    assert village.is_within(VILLAGE) and village.is_within(TOWNSHIP) and village.is_within(CITY)
    assert not village.is_within(OTHER_TOWNSHIP)
    assert sorted(world.app.get_unit(TOWNSHIP).children) == sorted(PENG_ZHEN_VILLAGES)


def test_units_in_subtree_walks_breadth_first_from_the_unit(world: World) -> None:
    subtree = [u.code for u in world.app.queries.units_in_subtree(TOWNSHIP)]
    assert subtree[0] == TOWNSHIP and sorted(subtree[1:]) == sorted(PENG_ZHEN_VILLAGES)
    county = [u.level for u in world.app.queries.units_in_subtree(COUNTY)]
    assert (
        county[0] == "county"
        and county.count("township") == 2
        and county.count("agency") == 1
        and county.count("village") == 6
    )


def test_a_township_registers_straight_under_a_county_level_city(world: World) -> None:
    world.app.execute(
        RegisterUnit(
            code="shi-2", name="County-level City", name_zh="县级市", level="city", parent_id=None
        ),
        ADMIN,
    )
    town = world.app.execute(
        RegisterUnit(code="zhen-2", name="Town", name_zh="镇", level="township", parent_id="shi-2"),
        ADMIN,
    )
    assert town["path"] == ["shi-2"]


def test_a_village_registers_under_a_management_district(world: World) -> None:
    world.app.execute(
        RegisterUnit(
            code="guanli-1",
            name="District 1",
            name_zh="第一管理区",
            level="management_district",
            parent_id=TOWNSHIP,
        ),
        ADMIN,
    )
    village = world.app.execute(
        RegisterUnit(
            code="xin-cun", name="Xin Village", name_zh="新村", level="village", parent_id="guanli-1"
        ),
        ADMIN,
    )
    assert village["path"] == [CITY, COUNTY, TOWNSHIP, "guanli-1"]


def test_renaming_a_unit_keeps_the_old_names_in_its_history(world: World) -> None:
    result = world.app.execute(
        RenameUnit(
            code=TOWNSHIP,
            name="Peng Town (new)",
            name_zh="彭镇（新）",
            reason="撤乡设镇 / became a town",
        ),
        ADMIN,
    )
    assert (result["name"], result["name_zh"]) == ("Peng Town (new)", "彭镇（新）")
    (renamed,) = [
        e for e in world.app.events.get(world.app.get_unit(TOWNSHIP).id) if isinstance(e, Unit.Renamed)
    ]
    assert (renamed.previous_name_zh, renamed.reason, renamed.actor.token_id) == (
        "彭镇",
        "撤乡设镇 / became a town",
        ADMIN.token_id,
    )


def test_renaming_needs_a_reason_and_a_name(world: World) -> None:
    with pytest.raises(InvalidUnitError) as refused:
        world.app.execute(RenameUnit(code=TOWNSHIP, name="", name_zh="", reason=" "), ADMIN)
    assert [f.rule for f in refused.value.failures] == ["unit_name_required", "reason_required"]


def test_moving_a_township_moves_its_whole_subtree(world: World) -> None:
    world.app.execute(
        RegisterUnit(code="county-b", name="County B", name_zh="乙县", level="county", parent_id=CITY),
        ADMIN,
    )
    world.app.execute(
        MoveUnit(code=TOWNSHIP, parent_id="county-b", reason="区划调整 / boundaries redrawn"), ADMIN
    )
    village = world.app.get_unit(VILLAGE)
    assert village.path == [CITY, "county-b", TOWNSHIP]
    assert village.is_within("county-b") and not village.is_within(COUNTY)
    assert (
        TOWNSHIP not in world.app.get_unit(COUNTY).children
        and TOWNSHIP in world.app.get_unit("county-b").children
    )
    (moved,) = [e for e in world.app.events.get(village.id) if isinstance(e, Unit.Moved)]
    assert (moved.moved, moved.previous_path, moved.reason) == (
        TOWNSHIP,
        [CITY, COUNTY, TOWNSHIP],
        "区划调整 / boundaries redrawn",
    )


def test_a_unit_cannot_move_into_its_own_subtree_or_under_the_wrong_level(world: World) -> None:
    with pytest.raises(InvalidUnitError) as refused:
        world.app.execute(MoveUnit(code=COUNTY, parent_id=TOWNSHIP, reason="mistake"), ADMIN)
    assert [f.rule for f in refused.value.failures] == ["unit_parent_level", "unit_move_not_into_itself"]


def test_a_scoped_admin_moves_only_within_its_subtree(world: World) -> None:
    world.app.execute(
        RegisterUnit(code="city-b", name="City B", name_zh="乙市", level="city", parent_id=None), ADMIN
    )
    world.app.execute(
        RegisterUnit(
            code="county-c", name="County C", name_zh="丙县", level="county", parent_id="city-b"
        ),
        ADMIN,
    )
    with pytest.raises(OutsideJurisdictionError):
        world.app.execute(
            MoveUnit(code=TOWNSHIP, parent_id="county-c", reason="not mine to give"), COUNTY_ADMIN
        )


def test_a_move_that_takes_an_open_nomination_out_of_its_jurisdiction_is_refused(world: World) -> None:
    campaign = world.campaign()
    nid = world.declare(campaign, VILLAGE)  # declared by Peng Town, in the county's campaign
    world.app.execute(
        RegisterUnit(code="zhen-b", name="Town B", name_zh="乙镇", level="township", parent_id=COUNTY),
        ADMIN,
    )
    with pytest.raises(UnitMoveRefusedError) as refused:
        world.app.execute(
            MoveUnit(code=VILLAGE, parent_id="zhen-b", reason="村庄合并 / villages merged"), ADMIN
        )
    assert [(f.rule, f.actual) for f in refused.value.failures] == [
        ("unit_move_keeps_open_nominations", nid)
    ]
    assert world.app.get_unit(VILLAGE).path == [CITY, COUNTY, TOWNSHIP]  # nothing moved
