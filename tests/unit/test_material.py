"""Typical material (典型材料): at least 800 characters, counted as characters not bytes,
whitespace not counted (seed 000)."""

from __future__ import annotations

import pytest

from domain.errors import DeclarationInvalidError
from domain.rules.material import count_characters, material_failures
from tests.builders.material import TYPICAL_MATERIAL, material_of
from tests.builders.tree import VILLAGE
from tests.builders.world import CampaignRef, World


def test_typical_material_builder_is_long_enough_and_chinese() -> None:
    assert count_characters(TYPICAL_MATERIAL) >= 800
    assert "彭镇" in TYPICAL_MATERIAL and "前双村" in TYPICAL_MATERIAL


@pytest.mark.parametrize("chars", [1, 799, 800, 1500])
def test_material_of_builds_exactly_n_characters_with_layout(chars: int) -> None:
    text = material_of(chars)
    assert count_characters(text) == chars
    assert len(text) > chars or chars < 38  # line breaks and indents are there, and not counted


def test_material_length_counts_characters_not_bytes() -> None:
    text = material_of(799)
    assert len(text.encode("utf-8")) > 2 * 800  # a byte count would wrongly accept it
    assert count_characters(text) == 799
    assert [f.rule for f in material_failures(text, 800)] == ["typical_material_min_length"]


def test_material_length_ignores_whitespace_of_every_kind() -> None:
    text = " 前\t双\n村\r\n\u3000远\xa0教 "
    assert count_characters(text) == 5


def test_material_length_counts_a_combining_sequence_once() -> None:
    decomposed = "e\u0301" * 10  # NFC composes each pair into one character (é)
    assert count_characters(decomposed) == 10


def test_material_min_length_failure_names_minimum_and_actual() -> None:
    (failure,) = material_failures(material_of(799), 800)
    assert failure.rule == "typical_material_min_length"
    assert failure.field == "material"
    assert (failure.expected, failure.actual) == (800, 799)
    assert "799" in failure.message_zh and "800" in failure.message_zh


def test_material_min_length_holds_at_exactly_800_characters() -> None:
    assert material_failures(material_of(800), 800) == []


def test_material_min_length_fails_when_material_is_missing() -> None:
    assert [f.actual for f in material_failures(None, 800)] == [0]


def test_declaration_refused_when_material_has_799_characters(
    world: World, five_good: CampaignRef
) -> None:
    with pytest.raises(DeclarationInvalidError) as refused:
        world.declare(five_good, VILLAGE, material=material_of(799))
    assert [f.rule for f in refused.value.failures] == ["typical_material_min_length"]
    assert refused.value.code == "declaration-invalid"


def test_declaration_accepted_when_material_has_800_characters(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = world.declare(five_good, VILLAGE, material=material_of(800))
    assert world.state(nomination_id) == "declared"
    assert world.app.get_nomination(nomination_id).material == material_of(800)
