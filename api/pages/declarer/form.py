"""The declaration form (``/ui/declare/{campaign}/{category}``) generated from the category: the
nominee chosen from my subtree, the fields the category's form declares, the typical material
with a live count (``…/count``, the rule's own count) and the activity-day warnings the command
will answer with (``…/warnings``, the query the command asks)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App
from api.pages.common import campaign_label
from api.pages.declarer.common import may_declare, nominee_choices, readable_desk, text_of
from api.pages.forms import ActionForm, submit
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.campaigns import Campaign
from domain.commands import Declare
from domain.errors import RuleFailure, RuleViolationError
from domain.nominations import Nomination
from domain.rules.declaration import BASE
from domain.rules.jurisdiction import can_read_unit_records, require_read
from domain.rules.material import count_characters, material_failures
from domain.values import Category, FormField, Nominee
from domain.vocabulary import BaseKind

router = APIRouter(prefix="/ui/declare", route_class=PageRoute, include_in_schema=False)


def input_of(spec: FormField) -> dict[str, Any]:
    """How a declared field is typed in: the macro and its attributes (the rule checks the value)."""
    if spec.type == "boolean":
        return {"macro": "select"}
    if spec.type == "text":
        return {"macro": "text"}
    step = "1" if spec.type == "integer" else "any"
    hint = {"percent": "declare.percent_hint", "integer": "declare.integer_hint"}.get(spec.type)
    return {"macro": "number", "step": step, "hint": hint}


def typed(kind: str, text: str) -> Any:
    """A posted value as the type the form declares, when it reads as one; otherwise the text,
    which the form rule then refuses with its own message."""
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if kind in ("number", "percent", "integer"):
        for parse in (int,) if kind == "integer" else (int, float):
            try:
                value = parse(text)
            except ValueError:
                continue
            if math.isfinite(value):
                return value
    return text


NAMED_KINDS = ("person", "base")  # nominees named by the declarer, never after their unit

BASE_KIND_LABEL = {
    "zh": ("示范基地类型", "合作社、龙头企业、产业基地等"),
    "en": (
        "Kind of base",
        "A cooperative, a leading enterprise, an industrial base…",
    ),
}


def nominee_name(app: Laurel, category: Category, values: Mapping[str, Any]) -> str:
    """The name typed; for a site or unit left blank, the chosen unit's name."""
    name = text_of(values, "nominee.name")
    unit_id = text_of(values, "nominee.unit_id")
    named = category.nominee_kind in NAMED_KINDS
    if name or named or not unit_id or not app.unit_exists(unit_id):
        return name
    return app.get_unit(unit_id).name_zh or app.get_unit(unit_id).name


def declaration_from(
    app: Laurel, actor: Actor, campaign: Campaign, category: Category, values: Mapping[str, Any]
) -> Declare:
    """The ``Declare`` command of a posted form. A nominee that was not chosen (or is no unit)
    is refused here, next to its field: the command could only answer "not found"."""
    unit_id = text_of(values, "nominee.unit_id")
    if not unit_id or not app.unit_exists(unit_id):
        raise RuleViolationError(
            [RuleFailure("nominee_chosen", "choose the nominee", "请选择被推荐对象", "nominee.unit_id")],
            "choose the nominee",
            "请选择被推荐对象",
        )
    form = {
        spec.code: typed(spec.type, text)
        for spec in category.form_fields
        if (text := text_of(values, f"form.{spec.code}"))
    }
    nominee: dict[str, Any] = {
        "kind": category.nominee_kind,
        "unit_id": unit_id,
        "name": nominee_name(app, category, values),
        "person_id": text_of(values, "nominee.person_id") or None,
    }
    if category.nominee_kind == BASE:
        nominee["base_kind"] = text_of(values, "nominee.base_kind")
    return Declare(
        campaign_id=str(campaign.id),
        category=category.code,
        declaring_unit_id=actor.unit_id or "",
        nominee=nominee,
        form=form,
        material=str(values.get("material") or ""),
    )


def count_context(category: Category, material: str) -> dict[str, Any]:
    """The material's count as the rule counts it, its minimum, and whether the rule passes."""
    return {
        "count": count_characters(material),
        "minimum": category.min_material_chars,
        "short": bool(material_failures(material, category.min_material_chars)),
    }


def warnings_of(
    app: Laurel, actor: Actor, campaign: Campaign, category: Category, unit_id: str, person_id: str
) -> list[RuleFailure]:
    """The activity-day warnings declaring this nominee now would answer with: the query the
    ``declare`` handler asks, of a nomination built (never saved) as the command would build it."""
    unit = app.get_unit(unit_id)
    require_read(actor, can_read_unit_records(actor, unit), f"unit {unit_id}")
    now = app.clock()
    draft = Nomination.declare(
        campaign.id,
        category.code,
        actor.unit_id or unit.code,
        Nominee(category.nominee_kind, unit.code, "", person_id or None, level=unit.level),
        {},
        "",
        actor,
        now,
    )
    return app.queries.activity_day_failures(
        draft, category.collective, campaign.year, now, as_warnings=True
    )


def form_context(
    request: Request, app: Laurel, actor: Actor, campaign_id: str, code: str, values: Mapping[str, Any]
) -> dict[str, Any]:
    t = Translator(language_of(request))
    found = readable_desk(app, actor, campaign_id)
    category = found.campaign.category(code)
    names = unit_names(app, t)
    chosen = text_of(values, "nominee.unit_id")
    warnings = None  # a nominee outside my subtree: the command refuses it, next to its field
    if chosen and app.unit_exists(chosen) and can_read_unit_records(actor, app.get_unit(chosen)):
        person = text_of(values, "nominee.person_id")
        warnings = warnings_of(app, actor, found.campaign, category, chosen, person)
    return {
        "desk": found,
        "campaign": found.campaign,
        "category": category,
        "label": campaign_label(found.campaign, t, names),
        "unit_name": names,
        "choices": nominee_choices(app, actor, category, t),
        "inputs": {spec.code: input_of(spec) for spec in category.form_fields},
        "counted": count_context(category, str(values.get("material") or "")),
        "warnings": warnings,
        "may_declare": may_declare(actor),
        "base": f"/ui/declare/{found.campaign.id}/{category.code}",
        "base_kinds": [(k.value, k.label(t.lang)) for k in BaseKind],
        "base_kind_label": BASE_KIND_LABEL[t.lang],
    }


@router.get("/{campaign_id}/{category}", response_class=HTMLResponse)
def declaration_form(
    request: Request, campaign_id: str, category: str, app: App, actor: PageActor
) -> Response:
    context = form_context(request, app, actor, campaign_id, category, {})
    return render(request, "declare_form.html", context)


@router.post("/{campaign_id}/{category}", response_class=HTMLResponse)
async def declare(
    request: Request, campaign_id: str, category: str, app: App, form: ActionForm
) -> Response:
    t = Translator(language_of(request))
    actor, values = form.actor, form.values
    context = await run_in_threadpool(form_context, request, app, actor, campaign_id, category, values)
    campaign, cat = context["campaign"], context["category"]
    name = await run_in_threadpool(nominee_name, app, cat, values)

    def flash(result: dict[str, Any]) -> str:
        """Declared; with the first of the command's activity-day warnings, if it gave any."""
        warnings = result.get("warnings") or []
        if not warnings:
            return t("declare.done", name=name)
        first = warnings[0]["message_zh" if t.lang == "zh" else "message_en"]
        return t("declare.done_warnings", name=name, warning=first)

    return await submit(
        request,
        form,
        lambda: declaration_from(app, actor, campaign, cat, values),
        done=f"/ui/declare/{campaign.id}",
        # A stale form is shown again with the campaign as it is now.
        again=lambda: (
            "declare_form.html",
            form_context(request, app, actor, campaign_id, category, values),
        ),
        flash=flash,
    )


@router.post("/{campaign_id}/{category}/count", response_class=HTMLResponse)
def material_count(
    request: Request,
    campaign_id: str,
    category: str,
    app: App,
    actor: PageActor,
    material: Annotated[str, Form()] = "",
) -> Response:
    """The live count (htmx, debounced): the rule's count of what is typed, and its minimum."""
    found = readable_desk(app, actor, campaign_id)
    counted = count_context(found.campaign.category(category), material)
    return render(request, "declare_count.html", {"counted": counted})


@router.get("/{campaign_id}/{category}/warnings", response_class=HTMLResponse)
def activity_warnings(
    request: Request,
    campaign_id: str,
    category: str,
    app: App,
    actor: PageActor,
    unit_id: Annotated[str, Query(alias="nominee.unit_id", max_length=64)] = "",
    person_id: Annotated[str, Query(alias="nominee.person_id", max_length=64)] = "",
) -> Response:
    """The activity-day warnings of the chosen nominee (htmx, when the choice changes)."""
    found = readable_desk(app, actor, campaign_id)
    cat = found.campaign.category(category)
    warnings = (
        warnings_of(app, actor, found.campaign, cat, unit_id.strip(), person_id.strip())
        if unit_id.strip() and app.unit_exists(unit_id.strip())
        else None
    )
    return render(request, "declare_warnings.html", {"warnings": warnings})
