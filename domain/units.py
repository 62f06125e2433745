"""Organisational units: city/prefecture > county > township/street > village/community,
with agencies (机关) under a county. Each unit knows its ancestors, so "is X within Y's
jurisdiction" is answered from X alone, and its children, so a subtree can be walked."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate

from domain.errors import InvalidUnitError, RuleFailure
from domain.ids import unit_uuid


class Level(StrEnum):
    CITY = "city"  # 市/州 (city or prefecture)
    COUNTY = "county"  # 县/区
    TOWNSHIP = "township"  # 乡镇/街道
    VILLAGE = "village"  # 村/社区
    AGENCY = "agency"  # 机关 (government agency, under a county)


LEVEL_NAMES_ZH = {"city": "市/州", "county": "县/区", "township": "乡镇/街道", "village": "村/社区", "agency": "机关"}

# Which level a unit's parent must have.
PARENT_LEVELS: dict[str, tuple[str | None, ...]] = {
    Level.CITY: (None,),
    Level.COUNTY: (Level.CITY,),
    Level.TOWNSHIP: (Level.COUNTY,),
    Level.VILLAGE: (Level.TOWNSHIP,),
    Level.AGENCY: (Level.COUNTY,),
}


def unit_placement_failures(code: str, level: str, parent: Unit | None, name: str, name_zh: str) -> list[RuleFailure]:
    """Every reason a unit cannot be registered under ``parent``."""
    failures: list[RuleFailure] = []
    if not code or not code.strip() or len(code) > 64:
        failures.append(RuleFailure("unit_id_format", "unit id must be 1-64 characters", "单位编号须为 1-64 个字符", "id"))
    if not (name or "").strip() and not (name_zh or "").strip():
        failures.append(RuleFailure("unit_name_required", "a unit needs a name", "单位须有名称", "name"))
    if level not in PARENT_LEVELS:
        failures.append(
            RuleFailure("unit_level_known", f"unknown level {level!r}", f"未知层级 {level!r}", "level", [str(v) for v in Level], level)
        )
        return failures
    parent_level = parent.level if parent else None
    if parent_level not in PARENT_LEVELS[level]:
        expected = [str(p) if p else None for p in PARENT_LEVELS[level]]
        failures.append(
            RuleFailure(
                "unit_parent_level",
                f"a {level} must sit under {' or '.join(str(e or 'nothing (root)') for e in expected)}",
                f"{LEVEL_NAMES_ZH[level]} 的上级须为 {'或'.join(LEVEL_NAMES_ZH[e] if e else '无（根）' for e in expected)}",
                "parent_id",
                expected,
                parent_level,
            )
        )
    return failures


class Unit(Aggregate):
    class Registered(Aggregate.Created):
        code: str
        name: str
        name_zh: str
        level: str
        parent_code: str | None
        path: list[str]
        actor: dict[str, Any]

    class ChildAdded(Aggregate.Event):
        child_code: str
        child_level: str
        actor: dict[str, Any]

        def apply(self, aggregate: Unit) -> None:
            aggregate.children[self.child_code] = self.child_level

    def __init__(self, code: str, name: str, name_zh: str, level: str, parent_code: str | None, path: list[str], actor: dict[str, Any]) -> None:
        self.code = code
        self.name = name
        self.name_zh = name_zh
        self.level = level
        self.parent_code = parent_code
        self.path = list(path)  # ancestor codes, root first
        self.children: dict[str, str] = {}
        self.registered_by = actor

    @classmethod
    def register(cls, code: str, name: str, name_zh: str, level: str, parent: Unit | None, actor: dict[str, Any], at: Any = None) -> Unit:
        failures = unit_placement_failures(code, level, parent, name, name_zh)
        if failures:
            raise InvalidUnitError(failures)
        path = [*parent.path, parent.code] if parent else []
        unit = cls._create(
            cls.Registered,
            id=unit_uuid(code),
            timestamp=at,
            code=code,
            name=name,
            name_zh=name_zh,
            level=level,
            parent_code=parent.code if parent else None,
            path=path,
            actor=actor,
        )
        if parent is not None:
            parent.trigger_event(Unit.ChildAdded, timestamp=at, child_code=code, child_level=level, actor=actor)
        return unit

    def is_within(self, ancestor_code: str) -> bool:
        """True when this unit is ``ancestor_code`` or lies in its subtree (its jurisdiction)."""
        return ancestor_code == self.code or ancestor_code in self.path

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.code,
            "name": self.name,
            "name_zh": self.name_zh,
            "level": self.level,
            "parent_id": self.parent_code,
            "path": list(self.path),
            "children": sorted(self.children),
        }
