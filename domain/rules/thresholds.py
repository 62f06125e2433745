"""Measurable standards on declaration-form fields (seed 001: operation rate ≥ 95 %, …),
checked at pre-review. Every failed threshold is named, not only the first.

An any-of standard holds when one of its alternatives holds (seed 003's study-and-apply model:
at least one practical technique mastered *or* one market's supply-and-demand information);
its failure names every alternative, in Chinese and English, on the first alternative's field."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

from domain.errors import RuleFailure
from domain.values import Alternative, Category, Threshold

OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}
OPERATOR_WORDS_ZH = {">=": "不低于", ">": "高于", "<=": "不高于", "<": "低于", "==": "等于"}


def _holds(op: str, expected: Any, value: Any) -> bool:
    if op == "is_true":
        return value is True
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return bool(OPERATORS[op](value, expected))


def threshold_holds(threshold: Threshold, value: Any, form: Mapping[str, Any] | None = None) -> bool:
    """Whether ``value`` (the threshold's field) meets it; an any-of threshold reads each
    alternative's field from ``form``."""
    if threshold.any_of:
        form = form or {}
        return any(_holds(a.op, a.value, form.get(a.field)) for a in threshold.any_of)
    return _holds(threshold.op, threshold.value, value)


def _wording(op: str, value: Any) -> tuple[str, str]:
    """A standard said in English and Chinese ("≥ 1" / "不低于 1")."""
    if op == "is_true":
        return "required", "须具备"
    return f"{op} {value}", f"{OPERATOR_WORDS_ZH[op]} {value}"


def _alternative_text(a: Alternative, form: Mapping[str, Any]) -> tuple[str, str]:
    en, zh = _wording(a.op, a.value)
    declared = form.get(a.field)
    return (
        f"{a.name_en} ({en}, declared {declared!r})",
        f"{a.name_zh}（{zh}，申报为 {declared!r}）",
    )


def _any_of_failure(threshold: Threshold, form: Mapping[str, Any]) -> RuleFailure:
    texts = [_alternative_text(a, form) for a in threshold.any_of]
    return RuleFailure(
        threshold.code,
        f"{threshold.name_en}: needs one of " + " or ".join(en for en, _ in texts),
        f"{threshold.name_zh}：须满足其一：" + "，或".join(zh for _, zh in texts),
        f"form.{threshold.field}",
        " or ".join(f"{a.field} {_wording(a.op, a.value)[0]}" for a in threshold.any_of),
        {a.field: form.get(a.field) for a in threshold.any_of},
    )


def threshold_failures(
    category: Category, form: Mapping[str, Any], nominee_level: str = ""
) -> list[RuleFailure]:
    failures: list[RuleFailure] = []
    for threshold in category.thresholds:
        if threshold.levels and nominee_level not in threshold.levels:
            continue
        value = form.get(threshold.field)
        if threshold_holds(threshold, value, form):
            continue
        if threshold.any_of:
            failures.append(_any_of_failure(threshold, form))
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
