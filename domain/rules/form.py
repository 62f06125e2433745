"""The declaration form (《申报表》): required fields present, values of the declared type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.errors import RuleFailure
from domain.values import Category, FormField


def _type_ok(spec: FormField, value: Any) -> bool:
    if spec.type in ("number", "percent"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return ok and (spec.type != "percent" or 0 <= value <= 100)
    if spec.type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if spec.type == "boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


def form_failures(category: Category, form: Mapping[str, Any]) -> list[RuleFailure]:
    """Every field the form does not declare, every missing required field and every value of
    the wrong type."""
    declared = {spec.code for spec in category.form_fields}
    failures: list[RuleFailure] = [
        RuleFailure(
            "form_field_known",
            f"'{key}' is not a field of the {category.code} declaration form",
            f"「{key}」不是该类别申报表的栏目",
            f"form.{key}",
            sorted(declared),
            key,
        )
        for key in form
        if key not in declared
    ]
    for spec in category.form_fields:
        value = form.get(spec.code)
        if value is None:
            if spec.required:
                failures.append(
                    RuleFailure(
                        "form_field_required",
                        f"the declaration form needs '{spec.code}' ({spec.name_en})",
                        f"申报表缺少必填项「{spec.name_zh}」",
                        f"form.{spec.code}",
                    )
                )
            continue
        if not _type_ok(spec, value):
            failures.append(
                RuleFailure(
                    "form_field_type",
                    f"'{spec.code}' must be a {spec.type}",
                    f"「{spec.name_zh}」的格式应为 {spec.type}",
                    f"form.{spec.code}",
                    spec.type,
                    value,
                )
            )
    return failures
