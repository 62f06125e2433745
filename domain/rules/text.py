"""Text that people type: any Unicode except the C0 control characters other than tab, newline
and carriage return, and lone surrogates (half of a UTF-16 pair, which no encoding can store).

A NUL reaches PostgreSQL's ``text`` columns as an error, so one name with a NUL would stop every
read model that stores it; the other control characters corrupt exports and terminals."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from domain.errors import RuleFailure

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def forbidden_character(text: str) -> str | None:
    """The first character of ``text`` that text may not hold, or ``None``."""
    found = FORBIDDEN.search(text)
    return None if found is None else found.group()


def describe(char: str) -> str:
    return f"U+{ord(char):04X}"


def _texts(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string inside ``value`` (keys of mappings included) with its dotted path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                yield inner, key
            yield from _texts(item, inner)
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}.{index}" if path else str(index))


def control_character_failures(values: Mapping[str, Any]) -> list[RuleFailure]:
    """One failure per field (dotted path) whose text holds a forbidden character."""
    failures: list[RuleFailure] = []
    for field, text in _texts(values, ""):
        char = forbidden_character(text)
        if char is not None:
            failures.append(
                RuleFailure(
                    "text_control_character",
                    f"{field} holds the control character {describe(char)}; text may hold tab, "
                    "newline and carriage return only",
                    f"「{field}」含有控制字符 {describe(char)}，文本中只允许制表符、换行符和回车符",
                    field,
                    None,
                    describe(char),
                )
            )
    return failures
