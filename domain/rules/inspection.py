"""Inspection (考核验收): methods, a score for every criterion, a verdict consistent with them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from domain.actors import Actor
from domain.errors import RuleFailure
from domain.values import Category, Inspection
from domain.vocabulary import InspectionMethod, InspectionVerdict, Role

SCORE_RANGE: Final = (0, 100)  # the lowest and the highest score a criterion may be given


def weighted_score(category: Category, scores: Mapping[str, float]) -> float:
    total_weight = sum(c.weight for c in category.criteria)
    if total_weight <= 0:
        return 0.0
    return round(sum(float(scores[c.code]) * c.weight for c in category.criteria) / total_weight, 4)


def inspection_failures(
    category: Category,
    methods: Sequence[InspectionMethod | str],
    scores: Mapping[str, Any],
    verdict: InspectionVerdict | str,
) -> list[RuleFailure]:
    failures: list[RuleFailure] = []
    if not methods:
        failures.append(
            RuleFailure(
                "inspection_methods_required",
                "at least one inspection method is required",
                "须至少采用一种考核方式",
                "methods",
            )
        )
    unknown_methods = sorted(str(m) for m in methods if InspectionMethod.parse(m) is None)
    if unknown_methods:
        failures.append(
            RuleFailure(
                "inspection_method_known",
                f"unknown methods {unknown_methods}",
                f"未知考核方式 {unknown_methods}",
                "methods",
                InspectionMethod.codes(),
                unknown_methods,
            )
        )
    codes = {c.code for c in category.criteria}
    low, high = SCORE_RANGE
    for criterion in category.criteria:
        value = scores.get(criterion.code)
        if value is None:
            failures.append(
                RuleFailure(
                    "criterion_scored",
                    f"criterion '{criterion.code}' ({criterion.name_en}) has no score",
                    f"标准「{criterion.name_zh}」未评分",
                    f"scores.{criterion.code}",
                )
            )
        elif isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            failures.append(
                RuleFailure(
                    "score_range",
                    f"score for '{criterion.code}' must be {low}-{high}",
                    f"「{criterion.name_zh}」得分须在 {low}-{high} 之间",
                    f"scores.{criterion.code}",
                    f"{low}-{high}",
                    value,
                )
            )
    for extra in sorted(set(scores) - codes):
        failures.append(
            RuleFailure(
                "criterion_known",
                f"'{extra}' is not a criterion of {category.code}",
                f"「{extra}」不是该类别的评选标准",
                f"scores.{extra}",
            )
        )
    if InspectionVerdict.parse(verdict) is None:
        failures.append(
            RuleFailure(
                "verdict_known",
                "verdict must be pass or fail",
                "结论须为 pass（合格）或 fail（不合格）",
                "verdict",
                InspectionVerdict.codes(),
                verdict,
            )
        )
    if not failures and verdict == InspectionVerdict.PASS:
        score = weighted_score(category, scores)
        if score < category.pass_mark:
            failures.append(
                RuleFailure(
                    "verdict_consistent_with_scores",
                    f"a pass verdict needs a weighted score of at least {category.pass_mark}; "
                    f"scored {score}",
                    f"加权得分 {score} 低于合格线 {category.pass_mark}，不能判定为合格",
                    "verdict",
                    category.pass_mark,
                    score,
                )
            )
    return failures


def sees_other_inspections(actor: Actor, inspections: Sequence[Inspection]) -> bool:
    """An inspector judges on its own: the other inspections of a nomination, and the score
    they make, are shown to it only once it has submitted its own."""
    return actor.role != Role.INSPECTOR or any(
        i.inspector.token_id == actor.token_id for i in inspections
    )
