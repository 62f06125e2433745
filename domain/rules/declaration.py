"""What a declaration must be: a nominee of the category's kind and level, within the declaring
unit's jurisdiction, named; enough material; a complete form; and a declaring unit within the
campaign organiser's jurisdiction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.errors import RuleFailure
from domain.rules.form import form_failures
from domain.rules.material import material_failures
from domain.units import Unit
from domain.values import Category, Nominee
from domain.vocabulary import BaseKind

BASE = "base"  # the nominee kind of a model base (示范基地): named, inside a township or village


def nominee_failures(
    category: Category, nominee: Nominee, nominee_unit: Unit, declaring_unit: Unit
) -> list[RuleFailure]:
    failures: list[RuleFailure] = []
    if nominee.kind != category.nominee_kind:
        failures.append(
            RuleFailure(
                "nominee_kind",
                f"{category.code} nominates a {category.nominee_kind}",
                f"该类别的评选对象为 {category.nominee_kind}",
                "nominee.kind",
                category.nominee_kind,
                nominee.kind,
            )
        )
    if category.nominee_levels and nominee_unit.level not in category.nominee_levels:
        failures.append(
            RuleFailure(
                "nominee_level",
                f"{category.code} nominees sit at {list(category.nominee_levels)} level",
                "被推荐对象所在单位层级不符合该类别要求",
                "nominee.unit_id",
                list(category.nominee_levels),
                nominee_unit.level,
            )
        )
    if not nominee_unit.is_within(declaring_unit.code):
        failures.append(
            RuleFailure(
                "nominee_in_declaring_jurisdiction",
                "the nominee must lie in the declaring unit's jurisdiction",
                "被推荐对象须在申报单位辖区内",
                "nominee.unit_id",
                declaring_unit.code,
                nominee_unit.code,
            )
        )
    if not (nominee.name or "").strip():
        failures.append(
            RuleFailure(
                "nominee_name_required",
                "the nominee needs a name",
                "须填写被推荐对象名称",
                "nominee.name",
            )
        )
    return failures + nominee_extra_failures(nominee)


def nominee_extra_failures(nominee: Nominee) -> list[RuleFailure]:
    """A model base (kind ``base``, seed 003) says what it is (``base_kind``: cooperative,
    enterprise or other); no other nominee carries anything beyond its name and unit."""
    extra = dict(nominee.extra or {})
    allowed = {"base_kind"} if nominee.kind == BASE else set()
    failures = [
        RuleFailure(
            "nominee_extra_known",
            f"a {nominee.kind or 'nominee'} carries no '{key}'",
            f"该类被推荐对象没有「{key}」一项",
            f"nominee.{key}",
            sorted(allowed),
            key,
        )
        for key in sorted(set(extra) - allowed)
    ]
    if nominee.kind == BASE and BaseKind.parse(str(extra.get("base_kind") or "")) is None:
        failures.append(
            RuleFailure(
                "base_kind_known",
                "a model base is a cooperative, an enterprise or other (base_kind)",
                "示范基地须注明类型：合作社、企业或其他",
                "nominee.base_kind",
                BaseKind.codes(),
                extra.get("base_kind"),
            )
        )
    return failures


def declaration_failures(
    category: Category,
    nominee: Nominee,
    nominee_unit: Unit,
    declaring_unit: Unit,
    organiser_unit_id: str,
    form: Mapping[str, Any],
    material: str,
) -> list[RuleFailure]:
    failures = nominee_failures(category, nominee, nominee_unit, declaring_unit)
    failures += material_failures(material, category.min_material_chars)
    failures += form_failures(category, form)
    if not declaring_unit.is_within(organiser_unit_id):
        failures.append(
            RuleFailure(
                "declaring_unit_in_campaign",
                "the declaring unit is outside the campaign organiser's jurisdiction",
                "申报单位不在本次评选组织单位辖区内",
                "declaring_unit_id",
                organiser_unit_id,
                declaring_unit.code,
            )
        )
    return failures
