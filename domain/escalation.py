"""The escalation ladder (督办阶梯, issue 24, item 4): who hears of the townships still silent
once declaration has closed.

A template's ``escalation:`` key lists the steps in order, each ``{grace_days, levels_up,
roles}``: ``grace_days`` after the declaration's recorded close, the townships still silent are
each reported to their ancestor ``levels_up`` above, to the ``roles`` named. Without the key the
ladder is ``DEFAULT_LADDER`` (the county's reviewers at the close, three days on the next level
up, reviewers and admins); ``[]`` turns escalation off. A campaign keeps the ladder it was
created with (``Campaign.escalation``), as plain dicts.

Never above the organiser: a township's ancestor ``levels_up`` above is taken within the
campaign's organiser and below, so a county's campaign escalates to the county at most (the
units above do not run it); a township without that many ancestors goes to the topmost it has
there."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.errors import RuleFailure
from domain.vocabulary import Role

MAX_STEPS = 5
MAX_GRACE_DAYS = 60
MAX_LEVELS_UP = 3
ROLES = (Role.ADMIN, Role.DECLARER, Role.REVIEWER, Role.INSPECTOR)  # who may be told


@dataclass(frozen=True)
class EscalationStep:
    grace_days: int
    levels_up: int
    roles: tuple[Role, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "grace_days": self.grace_days,
            "levels_up": self.levels_up,
            "roles": [str(r) for r in self.roles],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> EscalationStep:
        return cls(int(raw["grace_days"]), int(raw["levels_up"]), tuple(Role(r) for r in raw["roles"]))


DEFAULT_LADDER: tuple[EscalationStep, ...] = (
    EscalationStep(grace_days=0, levels_up=1, roles=(Role.REVIEWER,)),
    EscalationStep(grace_days=3, levels_up=2, roles=(Role.REVIEWER, Role.ADMIN)),
)


def ladder_dicts(ladder: Iterable[EscalationStep]) -> list[dict[str, Any]]:
    return [s.as_dict() for s in ladder]


def ladder_of(stored: Iterable[Mapping[str, Any]]) -> tuple[EscalationStep, ...]:
    return tuple(EscalationStep.from_dict(s) for s in stored)


def _whole(value: Any, low: int, high: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high


def ladder_failures(raw: Any, field: str = "escalation") -> list[RuleFailure]:
    """Every rule the ladder ``raw`` (as written in a template) breaks, each naming its field."""
    if not isinstance(raw, list):
        return [
            RuleFailure(
                "escalation_list",
                "escalation is a list of steps ([] turns it off)",
                "督办阶梯须为步骤列表（[] 表示不督办）",
                field,
            )
        ]
    failures = []
    if len(raw) > MAX_STEPS:
        failures.append(
            RuleFailure(
                "escalation_steps_at_most",
                f"an escalation ladder has at most {MAX_STEPS} steps",
                f"督办阶梯最多 {MAX_STEPS} 步",
                field,
                MAX_STEPS,
                len(raw),
            )
        )
    previous = 0
    for i, step in enumerate(raw):
        at = f"{field}[{i}]"
        if not isinstance(step, Mapping):
            failures.append(
                RuleFailure(
                    "escalation_step_shape",
                    "a step is {grace_days, levels_up, roles}",
                    "每一步须为 {grace_days, levels_up, roles}",
                    at,
                )
            )
            continue
        unknown = sorted(set(step) - {"grace_days", "levels_up", "roles"})
        if unknown:
            failures.append(
                RuleFailure(
                    "escalation_step_keys",
                    f"unknown key(s) in an escalation step: {', '.join(map(str, unknown))}",
                    f"督办步骤含未知的键：{', '.join(map(str, unknown))}",
                    at,
                    ["grace_days", "levels_up", "roles"],
                    unknown,
                )
            )
        grace = step.get("grace_days", 0)
        if not _whole(grace, 0, MAX_GRACE_DAYS):
            failures.append(
                RuleFailure(
                    "escalation_grace_days",
                    f"grace_days is a whole number from 0 to {MAX_GRACE_DAYS}",
                    f"宽限天数须为 0 至 {MAX_GRACE_DAYS} 的整数",
                    f"{at}.grace_days",
                    f"0..{MAX_GRACE_DAYS}",
                    grace,
                )
            )
        elif grace < previous:
            failures.append(
                RuleFailure(
                    "escalation_steps_in_order",
                    "each step's grace_days is at least the previous step's (steps run in order)",
                    "各步宽限天数不得少于前一步（按顺序督办）",
                    f"{at}.grace_days",
                    f">= {previous}",
                    grace,
                )
            )
        else:
            previous = grace
        levels = step.get("levels_up")
        if not _whole(levels, 1, MAX_LEVELS_UP):
            failures.append(
                RuleFailure(
                    "escalation_levels_up",
                    f"levels_up is a whole number from 1 to {MAX_LEVELS_UP}",
                    f"上报层级须为 1 至 {MAX_LEVELS_UP} 的整数",
                    f"{at}.levels_up",
                    f"1..{MAX_LEVELS_UP}",
                    levels,
                )
            )
        roles = step.get("roles")
        known = [str(r) for r in ROLES]
        if (
            not isinstance(roles, list)
            or not roles
            or any(not isinstance(r, str) or r not in known for r in roles)
        ):
            failures.append(
                RuleFailure(
                    "escalation_roles",
                    f"roles is a non-empty list of {', '.join(known)}",
                    f"角色须为非空列表，取值：{'、'.join(known)}",
                    f"{at}.roles",
                    known,
                    roles,
                )
            )
    return failures


def parse_ladder(raw: Any, field: str = "escalation") -> tuple[EscalationStep, ...]:
    """The template's ladder: absent (None) is the default; ``[]`` none. Raises ValueError
    naming every broken rule (a template is package data: a bad one fails at load)."""
    if raw is None:
        return DEFAULT_LADDER
    failures = ladder_failures(raw, field)
    if failures:
        raise ValueError("; ".join(f"{f.field}: {f.message_en}" for f in failures))
    return tuple(
        EscalationStep(
            grace_days=int(s.get("grace_days", 0)),
            levels_up=int(s["levels_up"]),
            roles=tuple(dict.fromkeys(Role(r) for r in s["roles"])),
        )
        for s in raw
    )


def notified_unit(code: str, path: Sequence[str], levels_up: int, organiser_unit_id: str) -> str:
    """Who hears of township ``code`` (its ancestors ``path``, root first): the ancestor
    ``levels_up`` above, never above the organiser; the topmost it has within those."""
    if code == organiser_unit_id:
        return code
    path = list(path)
    floor = path.index(organiser_unit_id) if organiser_unit_id in path else 0
    if not path:
        return code
    return path[max(len(path) - levels_up, floor)]


def notified_groups(
    townships: Iterable[tuple[str, Sequence[str]]], step: EscalationStep, organiser_unit_id: str
) -> list[dict[str, Any]]:
    """The step's ``notified``: one entry per unit told, the silent townships below it in the
    order given, in the order first reached: ``[{unit_id, roles, units}]``."""
    grouped: dict[str, list[str]] = {}
    for code, path in townships:
        target = notified_unit(code, path, step.levels_up, organiser_unit_id)
        grouped.setdefault(target, []).append(code)
    roles = [str(r) for r in step.roles]
    return [{"unit_id": u, "roles": list(roles), "units": units} for u, units in grouped.items()]
