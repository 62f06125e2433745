"""Who acts in the tests, each defined once: a token id, a role, and the unit the token is
scoped to (none for the root admin and auditor)."""

from __future__ import annotations

from domain.actors import SYSTEM, Actor
from domain.vocabulary import Role
from tests.builders.tree import CITY, COUNTY, OTHER_COUNTY, OTHER_TOWNSHIP, TOWNSHIP

__all__ = [
    "ADMIN",
    "AUDITOR",
    "CITY_AUDITOR",
    "CITY_INSPECTOR",
    "CITY_REVIEWER",
    "COUNTY_ADMIN",
    "COUNTY_AUDITOR",
    "COUNTY_DECLARER",
    "COUNTY_INSPECTOR",
    "COUNTY_REVIEWER",
    "OTHER_COUNTY_REVIEWER",
    "OTHER_TOWNSHIP_DECLARER",
    "SYSTEM",
    "TOWNSHIP_DECLARER",
    "UNSCOPED_DECLARER",
    "declarer_of",
]


def declarer_of(unit: str) -> Actor:
    """The declarer of ``unit`` (a township's committee declares from its jurisdiction)."""
    return Actor(f"tok-{unit}-declarer", Role.DECLARER, unit)


ADMIN = Actor("tok-root-admin", Role.ADMIN)
AUDITOR = Actor("tok-root-auditor", Role.AUDITOR)
CITY_REVIEWER = Actor("tok-shifan-reviewer", Role.REVIEWER, CITY)
CITY_INSPECTOR = Actor("tok-shifan-inspector", Role.INSPECTOR, CITY)
CITY_AUDITOR = Actor("tok-shifan-auditor", Role.AUDITOR, CITY)
COUNTY_ADMIN = Actor("tok-yijun-admin", Role.ADMIN, COUNTY)
COUNTY_AUDITOR = Actor("tok-yijun-auditor", Role.AUDITOR, COUNTY)
COUNTY_REVIEWER = Actor("tok-yijun-reviewer", Role.REVIEWER, COUNTY)
COUNTY_INSPECTOR = Actor("tok-yijun-inspector", Role.INSPECTOR, COUNTY)
COUNTY_DECLARER = declarer_of(COUNTY)
OTHER_COUNTY_REVIEWER = Actor("tok-liyang-reviewer", Role.REVIEWER, OTHER_COUNTY)
TOWNSHIP_DECLARER = declarer_of(TOWNSHIP)
OTHER_TOWNSHIP_DECLARER = declarer_of(OTHER_TOWNSHIP)
UNSCOPED_DECLARER = Actor("tok-stray-declarer", Role.DECLARER)
"""A declarer's token scoped to no unit: a declarer acts for a unit, so it is refused."""
