"""Organisational units: city > county > township > village, agencies under a county; each
unit knows its ancestors (jurisdiction) and its children (subtree)."""

from __future__ import annotations

import pytest
from builders import ADMIN, AGENCY, CITY, COUNTY, OTHER_TOWNSHIP, PENG_ZHEN_VILLAGES, TOWNSHIP, VILLAGE, World, utc

from domain.errors import DuplicateUnitError, InvalidUnitError, UnitNotFoundError
from domain.units import Unit, unit_placement_failures


def tree() -> dict[str, Unit]:
    """One unit of each level, registered as aggregates in memory (no application)."""
    at = utc(2010, 1, 1)
    city = Unit.register(CITY, "Shifan City", "示范市", "city", None, ADMIN.as_dict(), at)
    county = Unit.register(COUNTY, "Yijun County", "宜君县", "county", city, ADMIN.as_dict(), at)
    township = Unit.register(TOWNSHIP, "Peng Town", "彭镇", "township", county, ADMIN.as_dict(), at)
    village = Unit.register(VILLAGE, "Qianshuang Village", "前双村", "village", township, ADMIN.as_dict(), at)
    agency = Unit.register(AGENCY, "Agriculture Bureau", "宜君县农业局", "agency", county, ADMIN.as_dict(), at)
    return {"city": city, "county": county, "township": township, "village": village, "agency": agency}


def placement(level: str, parent_level: str | None, code: str = "xin", name: str = "新单位") -> list[str]:
    parent = tree()[parent_level] if parent_level else None
    return [f.rule for f in unit_placement_failures(code, level, parent, "", name)]


@pytest.mark.parametrize(
    ("level", "parent_level"),
    [("city", None), ("county", "city"), ("township", "county"), ("village", "township"), ("agency", "county")],
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
        ("township", "city"),
        ("county", None),
        ("city", "county"),
    ],
)
def test_unit_placement_refused_under_any_other_level(level: str, parent_level: str | None) -> None:
    assert placement(level, parent_level) == ["unit_parent_level"]


def test_unit_placement_failure_names_the_expected_parent_level() -> None:
    (failure,) = unit_placement_failures("xin-cun", "village", tree()["county"], "Xin", "新村")
    assert (failure.field, failure.expected, failure.actual) == ("parent_id", ["township"], "county")
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
        world.app.register_unit("", "", "", "village", COUNTY, ADMIN)
    assert [f.rule for f in refused.value.failures] == ["unit_id_format", "unit_name_required", "unit_parent_level"]


def test_register_unit_refused_for_an_existing_code(world: World) -> None:
    with pytest.raises(DuplicateUnitError):
        world.app.register_unit(VILLAGE, "Qianshuang Village", "前双村", "village", TOWNSHIP, ADMIN)


def test_register_unit_refused_under_an_unknown_parent(world: World) -> None:
    with pytest.raises(UnitNotFoundError):
        world.app.register_unit("xin-cun", "Xin Village", "新村", "village", "no-such-zhen", ADMIN)


def test_registered_unit_knows_its_ancestors_and_its_parent_its_children(world: World) -> None:
    village = world.app.get_unit(VILLAGE)
    assert village.path == [CITY, COUNTY, TOWNSHIP]
    assert village.is_within(VILLAGE) and village.is_within(TOWNSHIP) and village.is_within(CITY)
    assert not village.is_within(OTHER_TOWNSHIP)
    assert sorted(world.app.get_unit(TOWNSHIP).children) == sorted(PENG_ZHEN_VILLAGES)


def test_units_in_subtree_walks_breadth_first_from_the_unit(world: World) -> None:
    subtree = [u.code for u in world.app.units_in_subtree(TOWNSHIP)]
    assert subtree[0] == TOWNSHIP and sorted(subtree[1:]) == sorted(PENG_ZHEN_VILLAGES)
    county = [u.level for u in world.app.units_in_subtree(COUNTY)]
    assert county[0] == "county" and county.count("township") == 2 and county.count("agency") == 1 and county.count("village") == 6
