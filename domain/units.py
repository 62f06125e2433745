"""Organisational units: city/prefecture > county > township/street > village/community,
with agencies (机关) under a county. In a county-level city (seed 000) townships sit straight
under the city; some townships keep a management district (管理区, seed 002) above their
villages. Each unit knows its ancestors, so "is X within Y's jurisdiction" is answered from X
alone, and its children, so a subtree can be walked. Units are renamed and moved by events
with actor and reason; a move rewrites the ancestors of every unit in the moved subtree."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from domain.actors import Actor, upcast_actor
from domain.errors import InvalidUnitError, RuleFailure
from domain.ids import unit_uuid
from domain.vocabulary import Level

__all__ = [  # Level: some callers still import it from here
    "PARENT_LEVELS",
    "Level",
    "Unit",
    "parent_level_failures",
    "reason_failures",
    "unit_name_failures",
    "unit_placement_failures",
]


# Which level a unit's parent may have.
PARENT_LEVELS: dict[Level, tuple[Level | None, ...]] = {
    Level.CITY: (None,),
    Level.COUNTY: (Level.CITY,),
    Level.TOWNSHIP: (
        Level.COUNTY,
        Level.CITY,
    ),  # a county-level city's towns report to the city (seed 000)
    Level.MANAGEMENT_DISTRICT: (Level.TOWNSHIP,),
    Level.VILLAGE: (Level.TOWNSHIP, Level.MANAGEMENT_DISTRICT),
    Level.AGENCY: (Level.COUNTY,),
}


def unit_name_failures(name: str, name_zh: str) -> list[RuleFailure]:
    if not (name or "").strip() and not (name_zh or "").strip():
        return [RuleFailure("unit_name_required", "a unit needs a name", "单位须有名称", "name")]
    return []


def unit_placement_failures(
    code: str, level: Level | str, parent: Unit | None, name: str, name_zh: str
) -> list[RuleFailure]:
    """Every reason a unit cannot be registered under ``parent``."""
    failures: list[RuleFailure] = []
    if not code or not code.strip() or len(code) > 64:
        failures.append(
            RuleFailure(
                "unit_id_format", "unit id must be 1-64 characters", "单位编号须为 1-64 个字符", "id"
            )
        )
    failures += unit_name_failures(name, name_zh)
    failures += parent_level_failures(level, parent)
    return failures


def parent_level_failures(level: Level | str, parent: Unit | None) -> list[RuleFailure]:
    """Why a unit of ``level`` cannot sit under ``parent`` (empty: it can)."""
    term = Level.parse(level)
    if term is None:
        return [
            RuleFailure(
                "unit_level_known",
                f"unknown level {level!r}",
                f"未知层级 {level!r}",
                "level",
                Level.codes(),
                level,
            )
        ]
    parent_level = parent.level if parent else None
    allowed = PARENT_LEVELS[term]
    if parent_level in allowed:
        return []
    return [
        RuleFailure(
            "unit_parent_level",
            f"a {term} must sit under {' or '.join(p or 'nothing (root)' for p in allowed)}",
            f"{term.zh} 的上级须为 {'或'.join(p.zh if p else '无（根）' for p in allowed)}",
            "parent_id",
            [str(p) if p else None for p in allowed],
            parent_level,
        )
    ]


def reason_failures(reason: str) -> list[RuleFailure]:
    if not (reason or "").strip():
        return [RuleFailure("reason_required", "a reason is required", "须说明理由", "reason")]
    return []


class Unit(Aggregate):
    """A unit holds its level as a term behind ``level``: a snapshot gives back the stored code."""

    class_version = 2  # version-1 snapshots: ``registered_by`` a dict, the level as ``level``

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        upcast_actor(state, "registered_by")
        state["_level"] = state.pop("level")

    class Event(Aggregate.Event):
        """Version 2 events carry the actor as an ``Actor``; version 1 kept a dict."""

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            upcast_actor(state)

    class Registered(Event, Aggregate.Created):
        code: str
        name: str
        name_zh: str
        level: Level
        parent_code: str | None
        path: list[str]
        actor: Actor

    class ChildAdded(Event):
        child_code: str
        child_level: Level
        actor: Actor

        def apply(self, aggregate: Unit) -> None:
            aggregate.children[self.child_code] = self.child_level

    class ChildRemoved(Event):
        """The child moved under another parent."""

        child_code: str
        reason: str
        actor: Actor

        def apply(self, aggregate: Unit) -> None:
            aggregate.children.pop(self.child_code, None)

    class Renamed(Event):
        code: str
        name: str
        name_zh: str
        previous_name: str
        previous_name_zh: str
        reason: str
        actor: Actor

        def apply(self, aggregate: Unit) -> None:
            aggregate.name, aggregate.name_zh = self.name, self.name_zh

    class Moved(Event):
        """The unit (``moved == code``) or an ancestor of it (``moved``) now sits under another
        parent: ``path`` is the unit's new list of ancestors."""

        code: str
        moved: str
        parent_code: str | None
        path: list[str]
        previous_path: list[str]
        reason: str
        actor: Actor

        def apply(self, aggregate: Unit) -> None:
            aggregate.path = list(self.path)
            aggregate.parent_code = self.path[-1] if self.path else None

    def __init__(
        self,
        code: str,
        name: str,
        name_zh: str,
        level: Level,
        parent_code: str | None,
        path: list[str],
        actor: Actor,
    ) -> None:
        self.code = code
        self.name = name
        self.name_zh = name_zh
        self._level = Level(level)
        self.parent_code = parent_code
        self.path = list(path)  # ancestor codes, root first
        self.children: dict[str, str] = {}  # child code -> its level's code
        self.registered_by = actor

    @property
    def level(self) -> Level:
        return Level(self._level)

    @classmethod
    def register(
        cls,
        code: str,
        name: str,
        name_zh: str,
        level: Level | str,
        parent: Unit | None,
        actor: Actor,
        at: Any = None,
    ) -> Unit:
        failures = unit_placement_failures(code, level, parent, name, name_zh)
        if failures:
            raise InvalidUnitError(failures)
        level = Level(level)
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
            parent.trigger_event(
                Unit.ChildAdded, timestamp=at, child_code=code, child_level=level, actor=actor
            )
        return unit

    def rename(self, name: str, name_zh: str, reason: str, actor: Actor, at: Any) -> bool:
        """False when the names are what they were (nothing to record)."""
        failures = unit_name_failures(name, name_zh) + reason_failures(reason)
        if failures:
            raise InvalidUnitError(failures)
        if (name, name_zh) == (self.name, self.name_zh):
            return False
        self.trigger_event(
            self.Renamed,
            timestamp=at,
            code=self.code,
            name=name,
            name_zh=name_zh,
            previous_name=self.name,
            previous_name_zh=self.name_zh,
            reason=reason,
            actor=actor,
        )
        return True

    def move_under(
        self,
        parent: Unit,
        old_parent: Unit | None,
        descendants: list[Unit],
        reason: str,
        actor: Actor,
        at: Any,
    ) -> None:
        """This unit and ``descendants`` (its whole subtree) now under ``parent``."""
        failures = parent_level_failures(self.level, parent) + reason_failures(reason)
        if parent.is_within(self.code):
            failures.append(
                RuleFailure(
                    "unit_move_not_into_itself",
                    "a unit cannot move into its own subtree",
                    "单位不能移入其自身的下级",
                    "parent_id",
                    None,
                    parent.code,
                )
            )
        if failures:
            raise InvalidUnitError(failures)
        new_path = [*parent.path, parent.code]
        for unit in [self, *descendants]:
            # A descendant keeps the part of its path below this unit.
            below = unit.path[unit.path.index(self.code) :] if unit is not self else []
            unit.trigger_event(
                Unit.Moved,
                timestamp=at,
                code=unit.code,
                moved=self.code,
                parent_code=parent.code,
                path=[*new_path, *below],
                previous_path=list(unit.path),
                reason=reason,
                actor=actor,
            )
        if old_parent is not None:
            old_parent.trigger_event(
                Unit.ChildRemoved, timestamp=at, child_code=self.code, reason=reason, actor=actor
            )
        parent.trigger_event(
            Unit.ChildAdded, timestamp=at, child_code=self.code, child_level=self.level, actor=actor
        )

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
