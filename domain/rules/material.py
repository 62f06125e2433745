"""Typical material (典型材料): at least N characters, counted as characters, not bytes."""

from __future__ import annotations

import unicodedata

from domain.errors import RuleFailure


def count_characters(text: str) -> int:
    """Characters of the narrative after NFC normalisation, whitespace not counted.

    Chinese text is about one character per glyph, so 800 字 is 800 here whatever the
    encoding; spaces and line breaks are layout, not content, and do not count.
    """
    normalised = unicodedata.normalize("NFC", text or "")
    return len("".join(normalised.split()))  # split() drops exactly what isspace() names


def material_failures(material: str | None, minimum: int) -> list[RuleFailure]:
    length = count_characters(material or "")
    if length >= minimum:
        return []
    return [
        RuleFailure(
            "typical_material_min_length",
            f"the typical material has {length} characters; at least {minimum} are required",
            f"典型材料仅 {length} 字，须不少于 {minimum} 字",
            "material",
            minimum,
            length,
        )
    ]
