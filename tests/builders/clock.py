"""Instants for tests: explicit UTC datetimes, a clock a test sets by hand, and one instant
inside each step's window for every seed template in its seed year (so phase gating never
depends on the wall clock)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


SETUP = utc(2010, 1, 1)
"""When the unit tree and the campaigns are set up: before every timeline below."""


class Clock:
    """A clock that stays where a test puts it (``clock.now = ...``)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Timeline:
    """One instant inside each step's window for a template instantiated for its seed year."""

    before_declaration: datetime
    declaration: datetime
    pre_review: datetime
    inspection: datetime
    commendation: datetime
    after_commendation: datetime


# Seed 000 (Asia/Shanghai): declarations in by 20 Oct, inspection 26 Oct - 10 Nov.
FIVE_GOOD_2022 = Timeline(
    before_declaration=utc(2022, 10, 15, 15, 59, 59),
    declaration=utc(2022, 10, 17, 2),
    pre_review=utc(2022, 10, 22, 2),
    inspection=utc(2022, 11, 1, 2),
    commendation=utc(2022, 11, 15, 2),
    after_commendation=utc(2022, 11, 30, 16),
)
DOUBLE_STRENGTHEN_2011 = Timeline(
    before_declaration=utc(2011, 7, 20, 2),
    declaration=utc(2011, 8, 15, 2),
    pre_review=utc(2012, 8, 10, 2),
    inspection=utc(2012, 8, 20, 2),
    commendation=utc(2012, 10, 15, 2),
    after_commendation=utc(2012, 11, 1, 2),
)
FOUR_CREATIONS_2017 = Timeline(
    before_declaration=utc(2017, 10, 20, 2),
    declaration=utc(2017, 11, 3, 2),
    pre_review=utc(2017, 11, 13, 2),
    inspection=utc(2017, 11, 15, 2),
    commendation=utc(2017, 11, 25, 2),
    after_commendation=utc(2017, 12, 1, 2),
)
# The upper levels: the city's receiving, acceptance and decision after seed 003's county
# acceptance; the prefecture's declaration and selection after seed 001's commendation.
CITY_FOUR_CREATIONS_2017 = Timeline(
    before_declaration=utc(2017, 11, 10, 2),
    declaration=utc(2017, 11, 15, 2),
    pre_review=utc(2017, 11, 16, 2),
    inspection=utc(2017, 12, 1, 2),
    commendation=utc(2017, 12, 15, 2),
    after_commendation=utc(2017, 12, 26, 2),
)
PREFECTURE_DOUBLE_STRENGTHEN_2011 = Timeline(
    before_declaration=utc(2012, 9, 20, 2),
    declaration=utc(2012, 10, 20, 2),
    pre_review=utc(2012, 10, 21, 2),
    inspection=utc(2012, 11, 20, 2),
    commendation=utc(2012, 11, 21, 2),
    after_commendation=utc(2013, 1, 2, 2),
)
TIMELINES = {
    "five-good-sites": FIVE_GOOD_2022,
    "double-strengthen": DOUBLE_STRENGTHEN_2011,
    "four-creations-three-selections": FOUR_CREATIONS_2017,
    "city-four-creations": CITY_FOUR_CREATIONS_2017,
    "prefecture-double-strengthen": PREFECTURE_DOUBLE_STRENGTHEN_2011,
}
SEED_YEARS = {
    "five-good-sites": 2022,
    "double-strengthen": 2011,
    "four-creations-three-selections": 2017,
    "city-four-creations": 2017,
    "prefecture-double-strengthen": 2011,
}
