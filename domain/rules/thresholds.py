"""Measurable standards on declaration-form fields (seed 001: operation rate ≥ 95 %, …),
checked at pre-review. Every failed threshold is named, not only the first."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

from domain.errors import RuleFailure
from domain.values import Category, Threshold

OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}
OPERATOR_WORDS_ZH = {">=": "不低于", ">": "高于", "<=": "不高于", "<": "低于", "==": "等于"}


def threshold_holds(threshold: Threshold, value: Any) -> bool:
    if threshold.op == "is_true":
        return value is True
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return bool(OPERATORS[threshold.op](value, threshold.value))


def threshold_failures(
    category: Category, form: Mapping[str, Any], nominee_level: str = ""
) -> list[RuleFailure]:
    failures: list[RuleFailure] = []
    for threshold in category.thresholds:
        if threshold.levels and nominee_level not in threshold.levels:
            continue
        value = form.get(threshold.field)
        if threshold_holds(threshold, value):
            continue
        if threshold.op == "is_true":
            en = f"{threshold.name_en}: required, declared {value!r}"
            zh = f"{threshold.name_zh}：须具备，申报为 {value!r}"
        else:
            en = f"{threshold.name_en}: must be {threshold.op} {threshold.value}, declared {value!r}"
            words = OPERATOR_WORDS_ZH[threshold.op]
            zh = f"{threshold.name_zh}：须{words} {threshold.value}，申报为 {value!r}"
        failures.append(
            RuleFailure(
                threshold.code,
                en,
                zh,
                f"form.{threshold.field}",
                f"{threshold.op} {threshold.value}",
                value,
            )
        )
    return failures
