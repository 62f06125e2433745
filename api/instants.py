"""``as_of`` query parameters: an instant with a time zone, within the years Laurel can store."""

from __future__ import annotations

from datetime import datetime

from domain.errors import RuleFailure, RuleViolationError


def checked_as_of(as_of: datetime) -> datetime:
    if as_of.tzinfo is None:
        raise RuleViolationError(
            [
                RuleFailure(
                    "as_of_timezone", "as_of needs a time zone (e.g. Z)", "as_of 须带时区", "as_of"
                )
            ]
        )
    if not 1970 <= as_of.year < 2200:
        raise RuleViolationError(
            [
                RuleFailure(
                    "as_of_range",
                    "as_of must fall between 1970 and 2200",
                    "as_of 须在 1970 至 2200 年之间",
                    "as_of",
                    "1970-2200",
                    as_of.year,
                )
            ]
        )
    return as_of
