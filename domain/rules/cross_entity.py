"""Seed 003 rules that span aggregates and campaigns: a model township needs every village
site in its jurisdiction to meet the model-village standard, an advanced county every village
site in the county. A site meets it when it holds a model-village title in force, granted by
any campaign at any level (``domain.title_register``), or passed inspection as a model village
in this campaign. The typical-case counts (≥ 3 / ≥ 2) are form thresholds."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from domain.errors import RuleFailure
from domain.values import CrossEntityRule

NAMED_AT_MOST = 200  # a failure message names this many units; ``actual`` lists every code


class NamedUnit(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def name_zh(self) -> str: ...


def cross_entity_failures(
    rule: CrossEntityRule, units: Sequence[NamedUnit], qualified: Collection[str]
) -> list[RuleFailure]:
    """``units``: the units of ``rule.unit_level`` under the nominee; ``qualified``: the codes
    of those that meet ``rule.category``'s standard. The failure names each unit missing."""
    missing = sorted((u for u in units if u.code not in qualified), key=lambda u: u.code)
    if not missing:
        return []
    shown = missing[:NAMED_AT_MOST]
    more_en = f" and {len(missing) - len(shown)} more" if len(missing) > len(shown) else ""
    more_zh = f"等，另有 {len(missing) - len(shown)} 个" if len(missing) > len(shown) else ""
    names_en = ", ".join(f"{u.name or u.name_zh} ({u.code})" for u in shown)
    names_zh = "、".join(f"{u.name_zh or u.name}（{u.code}）" for u in shown)
    return [
        RuleFailure(
            rule.code,
            f"{rule.name_en}: {len(missing)} of {len(units)} {rule.unit_level} sites hold no "
            f"'{rule.category}' title in force and did not pass inspection for it in this "
            f"campaign: {names_en}{more_en}",
            f"{rule.name_zh}：辖区 {len(units)} 个{rule.unit_level.zh}站点中有 {len(missing)} 个"
            f"既未持有有效的「{rule.category}」称号，也未在本次评选中通过其考核：{names_zh}{more_zh}",
            None,
            "all",
            [u.code for u in missing],
        )
    ]
