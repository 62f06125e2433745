"""What both the reviewer's and the inspector's page show of one nomination: its campaign and
category, the declared form with the thresholds on each field and which fail now, its material,
and the labels of the checks its category asks for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import Request

from api.pages.common import campaign_label
from api.pages.i18n import MESSAGES, Translator, language_of
from api.pages.rendering import unit_names
from domain.application import Laurel
from domain.errors import RuleFailure
from domain.nominations import Nomination
from domain.rules.material import count_characters
from domain.rules.thresholds import threshold_failures
from domain.values import Category, Threshold

OPERATOR_SIGNS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}


def check_labeller(t: Translator) -> Callable[[str], str]:
    """A pre-review check's question (its code when the catalogue has none)."""
    return lambda code: t(f"review.check.{code}") if f"review.check.{code}" in MESSAGES else code


@dataclass
class FormValue:
    """A declared form field, the thresholds on it (those for the nominee's level) and which
    of them fail now."""

    code: str  # the field a refusal names: form.<field>
    label: Any
    value: Any
    thresholds: list[Threshold] = field(default_factory=list)
    failures: list[RuleFailure] = field(default_factory=list)


def shown_thresholds(threshold: Threshold) -> list[Threshold]:
    """A threshold as the form table shows it beside each field it reads: an any-of one as
    each alternative on its own field, named as one of the ways to meet the standard."""
    if not threshold.any_of:
        return [threshold]
    return [
        replace(
            threshold,
            field=a.field,
            op=a.op,
            value=a.value,
            name_zh=f"{threshold.name_zh}（{a.name_zh}，满足其一即可）",
            name_en=f"{threshold.name_en} ({a.name_en}; any one will do)",
            any_of=(),
        )
        for a in threshold.any_of
    ]


def form_values(category: Category, nomination: Nomination) -> tuple[list[FormValue], list[RuleFailure]]:
    """The declared form with what the category's thresholds say of it now; and every
    threshold failure (the domain's, as admitting would find them)."""
    level = nomination.nominee.level
    failing = threshold_failures(category, nomination.form, level)
    rows = {
        spec.code: FormValue(f"form.{spec.code}", spec, nomination.form.get(spec.code))
        for spec in category.form_fields
    }
    for key, value in nomination.form.items():
        rows.setdefault(key, FormValue(f"form.{key}", None, value))
    for threshold in category.thresholds:
        if threshold.levels and level not in threshold.levels:
            continue
        for shown in shown_thresholds(threshold):
            if shown.field in rows:
                rows[shown.field].thresholds.append(shown)
    read_by = {t.code: t.fields for t in category.thresholds}  # an any-of one reads several
    for failure in failing:
        first = (failure.field or "").removeprefix("form.")
        for name in read_by.get(failure.rule, (first,)):
            if name in rows:
                rows[name].failures.append(failure)
    return list(rows.values()), failing


def nomination_facts(request: Request, app: Laurel, nomination: Nomination) -> dict[str, Any]:
    """What both the reviewer's and the inspector's page show of a nomination."""
    t = Translator(language_of(request))
    names = unit_names(app, t)
    campaign = app.get_campaign(nomination.campaign_id)
    category = campaign.category(nomination.category)
    values, failing = form_values(category, nomination)
    return {
        "nomination": nomination,
        "campaign": campaign,
        "category": category,
        "form_values": values,
        "precheck_failures": failing,
        "material_chars": count_characters(nomination.material),
        "unit_name": names,
        "campaign_label": campaign_label(campaign, t, names),
        "operator_signs": OPERATOR_SIGNS,
        "check_label": check_labeller(t),
    }
