"""Text people type may hold any Unicode but the C0 control characters other than tab,
newline and carriage return (a NUL stops PostgreSQL's text columns) and lone surrogates. Every
command refuses them, whatever the entry point (API, import, CLI), before anything is written."""

from __future__ import annotations

import pytest

from domain.commands import RegisterUnit
from domain.errors import TextInvalidError
from domain.rules.text import control_character_failures, forbidden_character
from tests.builders.actors import ADMIN
from tests.builders.tree import TOWNSHIP, VILLAGE
from tests.builders.world import CampaignRef, World


@pytest.mark.parametrize(
    "char",
    ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", chr(0xD800), chr(0xDFFF)],
    ids=[
        "nul",
        "soh",
        "backspace",
        "vtab",
        "formfeed",
        "escape",
        "unit-separator",
        "high-surrogate",
        "low-surrogate",
    ],
)
def test_control_characters_and_lone_surrogates_are_not_text(char: str) -> None:
    assert forbidden_character(f"前双村{char}站点") == char


@pytest.mark.parametrize("text", ["前双村\t站点", "第一行\n第二行\r\n", "emoji 🏅", "", "\x7f"])
def test_tab_newline_carriage_return_and_the_rest_of_unicode_are_text(text: str) -> None:
    assert forbidden_character(text) is None


def test_every_failure_names_the_field_by_its_path_keys_included() -> None:
    failures = control_character_failures(
        {"nominee": {"name": "a\x00"}, "form": {"k\x01": 1}, "reasons": ["ok", "b\x02"]}
    )
    assert [(f.field, f.actual) for f in failures] == [
        ("nominee.name", "U+0000"),
        ("form.k\x01", "U+0001"),
        ("reasons.1", "U+0002"),
    ]


def test_a_declaration_whose_nominee_name_holds_a_nul_is_refused_and_appends_nothing(
    world: World, five_good: CampaignRef
) -> None:
    before = world.events_recorded()
    with pytest.raises(TextInvalidError) as refused:
        world.declare(five_good, VILLAGE, name="前双村\x00站点")
    assert [f.field for f in refused.value.failures] == ["nominee.name"]
    assert world.events_recorded() == before


def test_a_unit_name_with_a_control_character_is_refused(world: World) -> None:
    with pytest.raises(TextInvalidError) as refused:
        world.app.execute(
            RegisterUnit(
                code="xin-cun",
                name="Xin\x1bVillage",
                name_zh="新村",
                level="village",
                parent_id=TOWNSHIP,
            ),
            ADMIN,
        )
    assert [f.field for f in refused.value.failures] == ["name"]


def test_an_idempotency_key_with_a_control_character_is_refused(world: World) -> None:
    with pytest.raises(TextInvalidError) as refused:
        world.app.execute(
            RegisterUnit(
                code="xin-cun", name="Xin Village", name_zh="新村", level="village", parent_id=TOWNSHIP
            ),
            ADMIN,
            idempotency_key="k\x00",
        )
    assert [f.field for f in refused.value.failures] == ["Idempotency-Key"]
