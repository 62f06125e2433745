"""Recusal (回避) from the organisational tree (issue 22, item 2).

A member of an inspection team (考核验收组) whose home unit is

- the nominee's unit or the declaring unit (``recusal_own_unit``), or
- an ancestor of either that lies *below the organiser* (``recusal_ancestor``: the township
  above a village site, the county above a township),

is recused from that nomination automatically; a member may also declare a conflict of interest
on a nomination with a reason (``recusal_declared_conflict``). The organiser itself, and any
unit above it, is never a reason to recuse: every campaign's inspectors come from there. A
sibling (another township of the same county), or a unit below the nominee, is not either.

"The organiser" here is the **boundary** the caller passes: the unit acting for the nominee's
level — the organiser, or the unit the campaign delegated that level to
(``domain/handlers/team_checks.py`` ``recusal_boundary``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from domain.errors import RuleFailure
from domain.units import Unit

OWN_UNIT = "recusal_own_unit"
ANCESTOR = "recusal_ancestor"
DECLARED_CONFLICT = "recusal_declared_conflict"
RULES = (OWN_UNIT, ANCESTOR, DECLARED_CONFLICT)


@dataclass(frozen=True)
class Recusal:
    """Why ``member`` (a member key) may not inspect a nomination."""

    member: str
    rule: str
    unit_id: str | None  # the unit that recuses (none for a declared conflict)
    reason: str = ""  # a declared conflict's reason

    def as_dict(self) -> dict[str, str | None]:
        return {"member": self.member, "rule": self.rule, "unit_id": self.unit_id, "reason": self.reason}

    def failure(self, name: str = "") -> RuleFailure:
        who = name or self.member
        if self.rule == OWN_UNIT:
            return RuleFailure(
                OWN_UNIT,
                f"{who} is recused: their home unit '{self.unit_id}' is the nominee's or the "
                "declaring unit",
                f"{who} 须回避：其所在单位「{self.unit_id}」即被申报对象或申报单位",
                "member",
                "a member from another unit",
                self.unit_id,
            )
        if self.rule == ANCESTOR:
            return RuleFailure(
                ANCESTOR,
                f"{who} is recused: their home unit '{self.unit_id}' is above the nominee's or "
                "the declaring unit, below the organiser",
                f"{who} 须回避：其所在单位「{self.unit_id}」"
                "是被申报对象或申报单位的上级（组织单位以下）",
                "member",
                "a member from outside the nominee's line of units",
                self.unit_id,
            )
        return RuleFailure(
            DECLARED_CONFLICT,
            f"{who} declared a conflict of interest on this nomination: {self.reason}",
            f"{who} 已就该申报声明利益冲突：{self.reason}",
            "member",
        )


def line_below_organiser(unit: Unit, organiser: Unit) -> list[str]:
    """``unit`` and its ancestors, leaving out the organiser and every unit above it."""
    above = {*organiser.path, organiser.code}
    return [code for code in (*unit.path, unit.code) if code not in above]


def tree_recusal(
    member: str, home_unit_id: str, nominee_unit: Unit, declaring_unit: Unit, organiser: Unit
) -> Recusal | None:
    """The recusal the tree imposes on a member from ``home_unit_id``, if any."""
    if home_unit_id in {organiser.code, *organiser.path}:
        return None
    own = {nominee_unit.code, declaring_unit.code}
    if home_unit_id in own:
        return Recusal(member, OWN_UNIT, home_unit_id)
    line = {
        *line_below_organiser(nominee_unit, organiser),
        *line_below_organiser(declaring_unit, organiser),
    }
    if home_unit_id in line:
        return Recusal(member, ANCESTOR, home_unit_id)
    return None


def recusals(
    member: str,
    home_unit_id: str,
    nominee_unit: Unit,
    declaring_unit: Unit,
    organiser: Unit,
    declared: Collection[tuple[str, str]] = (),
) -> list[Recusal]:
    """Every reason ``member`` may not inspect the nomination: the tree's, and the conflicts
    declared on it (``declared``: (member key, reason) pairs)."""
    found: list[Recusal] = []
    by_tree = tree_recusal(member, home_unit_id, nominee_unit, declaring_unit, organiser)
    if by_tree is not None:
        found.append(by_tree)
    found += [
        Recusal(member, DECLARED_CONFLICT, None, reason) for key, reason in declared if key == member
    ]
    return found


def recused_members(
    members: Sequence[tuple[str, str]],
    nominee_unit: Unit,
    declaring_unit: Unit,
    organiser: Unit,
    declared: Collection[tuple[str, str]] = (),
) -> list[Recusal]:
    """The recusals of every member of a team (``members``: (key, home unit) pairs)."""
    return [
        r
        for key, home in members
        for r in recusals(key, home, nominee_unit, declaring_unit, organiser, declared)
    ]
