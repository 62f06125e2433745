"""Inspection (考核验收): methods, a score for every criterion, a verdict consistent with them,
and the category's checklists (持证上岗, 三簿一册, 五防, 八有四防) recorded item by item, met or
not, beside the score and never in it. A checklist marked ``required`` blocks a pass verdict
while any of its items is unmet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from domain.actors import Actor
from domain.errors import RuleFailure
from domain.values import Category, ChecklistMark, Inspection
from domain.vocabulary import InspectionMethod, InspectionVerdict, Role

SCORE_RANGE: Final = (0, 100)  # the lowest and the highest score a criterion may be given
MAX_CHECKLIST_NOTE: Final = 500  # characters of a note on one checklist item


def weighted_score(category: Category, scores: Mapping[str, float]) -> float:
    total_weight = sum(c.weight for c in category.criteria)
    if total_weight <= 0:
        return 0.0
    return round(sum(float(scores[c.code]) * c.weight for c in category.criteria) / total_weight, 4)


def _mark_parts(value: Any) -> tuple[Any, Any]:
    """``met`` and ``note`` of a posted item: ``true``/``false``, or ``{"met": …, "note": …}``."""
    if isinstance(value, Mapping):
        return value.get("met"), value.get("note", "")
    return value, ""


def checklist_failures(
    category: Category,
    checklist: Mapping[str, Any] | None,
    verdict: InspectionVerdict | str,
    level: str = "",
) -> list[RuleFailure]:
    """Every item of every checklist the category asks of a nominee at ``level`` recorded met
    or not (a missing one named); no unknown checklist or item; a note within its limit; and a
    pass verdict only with every item of a required checklist met."""
    failures: list[RuleFailure] = []
    given: Mapping[str, Any] = checklist or {}
    asked = {c.code: c for c in category.checklists_for(level)}
    for code in sorted(set(given) - set(asked)):
        failures.append(
            RuleFailure(
                "checklist_known",
                f"'{code}' is not a checklist of {category.code} for this nominee",
                f"「{code}」不是该类别对该对象的检查清单",
                f"checklist.{code}",
                sorted(asked),
                code,
            )
        )
    for spec in asked.values():
        raw = given.get(spec.code)
        items: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        known = {i.code for i in spec.items}
        for extra in sorted(set(items) - known):
            failures.append(
                RuleFailure(
                    "checklist_item_known",
                    f"'{extra}' is not an item of the checklist '{spec.name_en}'",
                    f"「{extra}」不是「{spec.name_zh}」的检查项",
                    f"checklist.{spec.code}.{extra}",
                    sorted(known),
                    extra,
                )
            )
        for item in spec.items:
            field = f"checklist.{spec.code}.{item.code}"
            if item.code not in items:
                failures.append(
                    RuleFailure(
                        "checklist_item_recorded",
                        f"{spec.name_en}: item '{item.name_en}' ({item.code}) is not recorded "
                        "as met or not met",
                        f"「{spec.name_zh}」之「{item.name_zh}」未记录是否符合",
                        field,
                    )
                )
                continue
            met, note = _mark_parts(items[item.code])
            if not isinstance(met, bool):
                failures.append(
                    RuleFailure(
                        "checklist_item_value",
                        f"{spec.name_en}: item '{item.name_en}' is met (true) or not met (false)",
                        f"「{spec.name_zh}」之「{item.name_zh}」须记录为符合（true）或不符合（false）",
                        field,
                        "true | false",
                        met,
                    )
                )
            elif not isinstance(note, str) or len(note) > MAX_CHECKLIST_NOTE:
                failures.append(
                    RuleFailure(
                        "checklist_note_length",
                        f"{spec.name_en}: the note on '{item.name_en}' is text of at most "
                        f"{MAX_CHECKLIST_NOTE} characters",
                        f"「{spec.name_zh}」之「{item.name_zh}」的备注须为不超过 "
                        f"{MAX_CHECKLIST_NOTE} 字的文字",
                        f"{field}.note",
                        MAX_CHECKLIST_NOTE,
                        len(note) if isinstance(note, str) else note,
                    )
                )
            elif not met and spec.required and verdict == InspectionVerdict.PASS:
                failures.append(
                    RuleFailure(
                        "checklist_required_met",
                        f"a pass verdict needs every item of '{spec.name_en}' met; "
                        f"'{item.name_en}' is not",
                        f"「{spec.name_zh}」须逐项符合方可判定为合格，「{item.name_zh}」不符合",
                        field,
                        True,
                        False,
                    )
                )
    return failures


def checklist_marks(
    category: Category, checklist: Mapping[str, Any] | None, level: str = ""
) -> tuple[ChecklistMark, ...]:
    """The marks to record (after ``checklist_failures`` found none), in the template's order."""
    given: Mapping[str, Any] = checklist or {}
    marks = []
    for spec in category.checklists_for(level):
        items = given.get(spec.code) or {}
        for item in spec.items:
            met, note = _mark_parts(items[item.code])
            marks.append(ChecklistMark(spec.code, item.code, bool(met), (note or "").strip()))
    return tuple(marks)


def all_met(category: Category, level: str = "") -> dict[str, dict[str, bool]]:
    """Every item of every checklist asked of a nominee at ``level``, met: what a sound
    nominee's inspection records (for callers that inspect on a seed's standard)."""
    return {c.code: {i.code: True for i in c.items} for c in category.checklists_for(level)}


def inspection_failures(
    category: Category,
    methods: Sequence[InspectionMethod | str],
    scores: Mapping[str, Any],
    verdict: InspectionVerdict | str,
    checklist: Mapping[str, Any] | None = None,
    level: str = "",
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
    failures += checklist_failures(category, checklist, verdict, level)
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


def blind_view(view: dict[str, Any], actor: Actor, inspections: Sequence[Inspection]) -> dict[str, Any]:
    """A nomination as an inspector who has not inspected it yet may read it (judging on its
    own): its own inspections only, no aggregate score, and no lower level's scores in the
    provenance of a nomination forwarded from below."""
    if sees_other_inspections(actor, inspections):
        return view
    own = [i for i in view.get("inspections", []) if i["inspector"]["token_id"] == actor.token_id]
    provenance = view.get("forwarded_from")
    if provenance:
        provenance = {k: v for k, v in provenance.items() if k not in ("score", "inspections")}
    return {**view, "inspections": own, "score": None, "passed": None, "forwarded_from": provenance}


BLIND_EVENTS = frozenset({"nomination.inspected", "nomination.lower_inspection_accepted"})


def blind_history(
    events: Sequence[dict[str, Any]], actor: Actor, inspections: Sequence[Inspection]
) -> list[dict[str, Any]]:
    """A nomination's history as ``blind_view`` reads it: others' inspections left out, and
    the lower level's scores out of the declaration's provenance."""
    if sees_other_inspections(actor, inspections):
        return list(events)
    shown = []
    for event in events:
        if (
            event["type"] in BLIND_EVENTS
            and (event.get("actor") or {}).get("token_id") != actor.token_id
        ):
            continue
        provenance = (event.get("data") or {}).get("forwarded_from")
        if provenance:
            data = dict(event["data"])
            data["forwarded_from"] = {
                k: v for k, v in provenance.items() if k not in ("score", "inspections")
            }
            event = {**event, "data": data}
        shown.append(event)
    return shown
