"""Seed 003 rules that span aggregates: a model township needs every village site in its
jurisdiction to meet the model-village standard (its model-village nomination in the same
campaign passed inspection or was commended); an advanced county needs every village site
in it to meet that standard. The typical-case counts (≥ 3 / ≥ 2) are form thresholds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.errors import RuleFailure
from domain.values import CrossEntityRule


def cross_entity_failures(
    rule: CrossEntityRule, units_in_subtree: Sequence[str], qualified_units: Mapping[str, bool]
) -> list[RuleFailure]:
    """``units_in_subtree``: codes of the units of ``rule.unit_level`` under the nominee;
    ``qualified_units``: unit code -> whether it met ``rule.category``'s standard."""
    missing = sorted(code for code in units_in_subtree if not qualified_units.get(code))
    if not missing:
        return []
    shown = missing[:20]
    more = f" (+{len(missing) - len(shown)} more)" if len(missing) > len(shown) else ""
    return [
        RuleFailure(
            rule.code,
            f"{rule.name_en}: {len(missing)} of {len(units_in_subtree)} {rule.unit_level} sites "
            f"do not meet the standard: {shown}{more}",
            f"{rule.name_zh}：辖区 {len(units_in_subtree)} 个站点中"
            f"有 {len(missing)} 个未达标：{shown}{more}",
            None,
            "all",
            missing,
        )
    ]
