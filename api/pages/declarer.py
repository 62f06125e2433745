"""The declarer's pages (申报单位) under /ui/declare.

- ``/ui/declare``: the campaigns open to my unit, each phase's deadline and time left, and
  every nomination my unit (and the units below it) declared, with its state, the reasons it
  was rejected or closed, and a link to withdraw it.
- ``/ui/declare/{campaign}``: the campaign's categories (the template's nominee kind and
  levels, minimum material, quota), the bulk declaration (templates to download, a file to
  upload) and my nominations in it.
- ``/ui/declare/{campaign}/{category}``: the declaration form generated from the category:
  the nominee chosen from my subtree, the fields the category's form declares, the typical
  material with a live count (``…/count``, the rule's own count) and the activity-day
  warnings the command will answer with (``…/warnings``, the query the command asks).
- ``/ui/declare/nominations/{id}/withdraw``: withdrawal with a reason, at the version shown.

Every write is a command through the safe form (``api.pages.forms.submit``); the rules speak
through its refusal, next to the field each failure names. Declarers act; an admin reads the
same pages for its subtree without the forms."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import App
from api.imports import (
    NOMINATION_COLUMNS,
    declaration_of_row,
    import_table,
    refuse_foreign_declaring_units,
)
from api.pages.formatting import phase_countdowns
from api.pages.forms import ActionForm, errors_by_field, submit
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from api.tabular import FORMULA_PREFIXES, XLSX, workbook_bytes
from domain.actors import Actor
from domain.application import Laurel
from domain.campaigns import Campaign
from domain.commands import Declare, Withdraw
from domain.errors import DomainError, RuleFailure, RuleViolationError
from domain.nominations import WITHDRAWABLE, Nomination
from domain.rules.jurisdiction import authorize, can_read_campaign, can_read_unit_records, require_read
from domain.rules.jurisdiction import require_role as require_role_for
from domain.rules.material import count_characters, material_failures
from domain.units import Unit
from domain.values import Category, FormField, Nominee
from domain.vocabulary import Level, NominationState, Role, Step

router = APIRouter(prefix="/ui/declare", route_class=PageRoute, include_in_schema=False)

MINE_SHOWN = 200  # nominations a list shows
TEMPLATE_ROWS = 1000  # pre-filled rows of a bulk template at most


# --- who sees what -----------------------------------------------------------------------------


def refusal(check: Callable[[], object]) -> DomainError | None:
    """What the domain says against ``check`` (None: nothing)."""
    try:
        check()
    except DomainError as exc:
        return exc
    return None


def require_declarer_pages(actor: Actor) -> None:
    """Declarers, and admins reading their subtree; anyone else is refused as the API would."""
    if actor.role != Role.ADMIN:
        require_role_for(actor, "declare")


def may_declare(actor: Actor) -> bool:
    """Whether the forms are offered: a declarer's token scoped to a unit (the command decides)."""
    return actor.unit_id is not None and refusal(lambda: require_role_for(actor, "declare")) is None


@dataclass(frozen=True)
class Desk:
    """A campaign open to my unit: its phases as the page shows them (deadline, time left) and,
    when declaring is not possible now, the domain's reason."""

    campaign: Campaign
    phases: list[dict[str, Any]]
    closed: DomainError | None

    @property
    def declaration(self) -> dict[str, Any]:
        code = self.campaign.steps[Step.DECLARATION]
        return next(p for p in self.phases if p["code"] == code)


def desk(campaign: Campaign, now: datetime) -> Desk:
    phases = [
        dict(p, seconds_left=max(0.0, (p["closes_at"] - now).total_seconds()))
        for p in campaign.summary()["phases"]
    ]
    closed = refusal(lambda: campaign.require_step_open(Step.DECLARATION, now))
    return Desk(campaign, phase_countdowns({"as_of": now, "phases": phases}), closed)


def desks(app: Laurel, actor: Actor) -> list[Desk]:
    """The campaigns whose organiser's jurisdiction covers my unit, newest first."""
    actor_unit = app.get_unit(actor.unit_id) if actor.unit_id else None
    now = app.clock()
    found = [
        desk(app.get_campaign(entry["campaign_id"]), now)
        for entry in app.list_campaigns()
        if can_read_campaign(actor, app.get_unit(entry["organiser_unit_id"]), actor_unit)
    ]
    return sorted(found, key=lambda d: (d.campaign.year or 0, d.campaign.created_on), reverse=True)


def readable_desk(app: Laurel, actor: Actor, campaign_id: str) -> Desk:
    require_declarer_pages(actor)
    return desk(app.access.readable_campaign(campaign_id, actor), app.clock())


def campaign_label(campaign: Campaign, t: Translator, unit_name: Callable[[str], str]) -> str:
    """Tells identical campaigns apart: name, year and organiser."""
    year = f" {campaign.year}" if campaign.year else ""
    return f"{t.name(campaign)}{year} · {unit_name(campaign.organiser_unit_id)}"


# --- my nominations ----------------------------------------------------------------------------


def reasons_of(nomination: Nomination) -> list[str]:
    """Why it stopped: the rejection's reasons, or the reason it was withdrawn, lapsed, revoked."""
    if nomination.state == NominationState.REJECTED and nomination.pre_review_result:
        return list(nomination.pre_review_result.get("reasons") or [])
    return [nomination.closing_reason] if nomination.closing_reason else []


def mine(app: Laurel, actor: Actor, campaigns: list[Campaign]) -> tuple[list[dict[str, Any]], bool]:
    """The nominations declared within my unit's subtree (every one for a root admin), newest
    first, each with what the list shows; and whether there were more than it shows."""
    rows: list[dict[str, Any]] = []
    more = False
    for campaign in campaigns:
        page, rest = app.queries.nomination_page(
            campaign.id, declared_within=actor.unit_id, limit=MINE_SHOWN
        )
        more = more or rest is not None
        categories = {c.code: c for c in campaign.categories}
        for nomination in page:
            withdrawable = nomination.state in WITHDRAWABLE and may_withdraw(app, actor, nomination)
            rows.append(
                {
                    "nomination": nomination,
                    "campaign": campaign,
                    "category": categories.get(nomination.category),
                    "reasons": reasons_of(nomination),
                    "withdrawable": withdrawable,
                }
            )
    rows.sort(key=lambda r: r["nomination"].declared_at, reverse=True)
    return rows[:MINE_SHOWN], more or len(rows) > MINE_SHOWN


def may_withdraw(app: Laurel, actor: Actor, nomination: Nomination) -> bool:
    unit = app.get_unit(nomination.declaring_unit_id)
    return refusal(lambda: authorize(actor, "withdraw", [unit])) is None


# --- the declaration form ----------------------------------------------------------------------


def nominee_choices(
    app: Laurel, actor: Actor, category: Category, t: Translator
) -> list[tuple[str, str]]:
    """The units of my subtree at the category's nominee levels, as (code, label): the label
    names the units between mine and it, and its level."""
    if actor.unit_id is None:
        return []
    units = app.queries.units_in_subtree(actor.unit_id)
    names = {u.code: t.name(u) for u in units}

    def label(unit: Unit) -> str:
        below_mine = (
            unit.path[unit.path.index(actor.unit_id) + 1 :] if actor.unit_id in unit.path else []
        )
        trail = " › ".join([*(names.get(code, code) for code in below_mine), names[unit.code]])
        return f"{trail} · {t.term(Level, unit.level)}"

    levels = category.nominee_levels
    return [(u.code, label(u)) for u in units if not levels or u.level in levels]


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


def text_of(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name, "")
    return (value if isinstance(value, str) else (value[0] if value else "")).strip()


def nominee_name(app: Laurel, category: Category, values: Mapping[str, Any]) -> str:
    """The name typed; for a site or unit left blank, the chosen unit's name."""
    name = text_of(values, "nominee.name")
    unit_id = text_of(values, "nominee.unit_id")
    if name or category.nominee_kind == "person" or not unit_id or not app.unit_exists(unit_id):
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
    return Declare(
        campaign_id=str(campaign.id),
        category=category.code,
        declaring_unit_id=actor.unit_id or "",
        nominee={
            "kind": category.nominee_kind,
            "unit_id": unit_id,
            "name": nominee_name(app, category, values),
            "person_id": text_of(values, "nominee.person_id") or None,
        },
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
    return app.queries.activity_day_failures(draft, category.collective, campaign.year, now)


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
    }


# --- bulk declaration ----------------------------------------------------------------------------


def template_table(
    app: Laurel, actor: Actor, category: Category, t: Translator
) -> tuple[list[str], list[list[Any]]]:
    """A category's bulk template: a header naming each column in the reader's language and by
    its key (the import reads either), then a row for each unit of my subtree it may nominate."""
    keys = [*NOMINATION_COLUMNS, *(f"form.{spec.code}" for spec in category.form_fields)]
    names = [t(f"declare.column.{key}") for key in NOMINATION_COLUMNS]
    names += [t.name(spec) for spec in category.form_fields]
    header = [f"{name} / {key}" for name, key in zip(names, keys, strict=True)]

    def prefilled(code: str) -> list[Any]:
        row = dict.fromkeys(keys, "")
        row.update(
            category=category.code,
            declaring_unit_id=actor.unit_id or "",
            nominee_kind=category.nominee_kind,
            nominee_unit_id=code,
            nominee_name="" if category.nominee_kind == "person" else app.get_unit(code).name_zh,
        )
        return [row[key] for key in keys]

    return header, [
        prefilled(code) for code, _ in nominee_choices(app, actor, category, t)[:TEMPLATE_ROWS]
    ]


def csv_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 with a byte-order mark (Excel then reads the Chinese); a cell that starts like a
    formula gets a leading quote (OWASP, "CSV Injection")."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in [header, *rows]:
        writer.writerow(
            [f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_PREFIXES) else v for v in row]
        )
    return ("\ufeff" + out.getvalue()).encode()


# --- pages -------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def home(request: Request, app: App, actor: PageActor) -> Response:
    require_declarer_pages(actor)
    t = Translator(language_of(request))
    found = desks(app, actor)
    rows, more = mine(app, actor, [d.campaign for d in found])
    names = unit_names(app, t)
    return render(
        request,
        "declare_home.html",
        {
            "desks": found,
            "rows": rows,
            "more": more,
            "shown": MINE_SHOWN,
            "unit_name": names,
            "labels": {str(d.campaign.id): campaign_label(d.campaign, t, names) for d in found},
            "may_declare": may_declare(actor),
        },
    )


def campaign_context(request: Request, app: Laurel, actor: Actor, campaign_id: str) -> dict[str, Any]:
    t = Translator(language_of(request))
    found = readable_desk(app, actor, campaign_id)
    rows, more = mine(app, actor, [found.campaign])
    names = unit_names(app, t)
    return {
        "desk": found,
        "campaign": found.campaign,
        "label": campaign_label(found.campaign, t, names),
        "rows": rows,
        "more": more,
        "shown": MINE_SHOWN,
        "unit_name": names,
        "may_declare": may_declare(actor),
    }


@router.get("/{campaign_id}", response_class=HTMLResponse)
def campaign_page(request: Request, campaign_id: str, app: App, actor: PageActor) -> Response:
    return render(request, "declare_campaign.html", campaign_context(request, app, actor, campaign_id))


@router.post("/{campaign_id}/nominations:import", response_class=HTMLResponse)
async def bulk_declare(request: Request, campaign_id: str, app: App, form: ActionForm) -> Response:
    """The uploaded file through the API's import (``import_table``): every row a ``Declare``,
    idempotent per row under the form's key; the per-row report as a table."""
    actor = form.actor
    context = await run_in_threadpool(campaign_context, request, app, actor, campaign_id)
    require_role_for(actor, "declare")
    upload = (await request.form()).get("file")
    body = await upload.read() if isinstance(upload, UploadFile) else b""
    if not body:
        failure = RuleFailure("file_chosen", "choose a file to upload", "请选择要上传的文件", "file")
        return bulk_refused(request, context, [failure])

    def one(row: dict[str, Any], key: str | None) -> dict[str, Any]:
        return app.execute(declaration_of_row(campaign_id, row), actor, idempotency_key=key)

    content_type = (upload.content_type if isinstance(upload, UploadFile) else None) or "text/csv"
    try:
        report = await import_table(
            request,
            body,
            content_type,
            NOMINATION_COLUMNS,
            one,
            form.key,
            check=lambda rows: run_in_threadpool(refuse_foreign_declaring_units, app, actor, rows),
        )
    except RuleViolationError as exc:  # the file as a whole (unreadable, too many rows)
        return bulk_refused(request, context, list(exc.failures))
    labels = field_labels(context["campaign"], Translator(language_of(request)))
    return render(request, "declare_import.html", {**context, "report": report, "field_labels": labels})


def field_labels(campaign: Campaign, t: Translator) -> dict[str, str]:
    """The name of each field a row's failure may concern, as the template's columns say it."""
    labels = {
        "category": t("declare.column.category"),
        "declaring_unit_id": t("declare.column.declaring_unit_id"),
        "nominee.kind": t("declare.column.nominee_kind"),
        "nominee.unit_id": t("declare.column.nominee_unit_id"),
        "nominee.name": t("declare.column.nominee_name"),
        "nominee.person_id": t("declare.column.nominee_person_id"),
        "material": t("declare.column.material"),
    }
    for category in campaign.categories:
        labels.update({f"form.{spec.code}": t.name(spec) for spec in category.form_fields})
    return labels


def bulk_refused(request: Request, context: dict[str, Any], failures: list[RuleFailure]) -> Response:
    t = Translator(language_of(request))
    placed = [
        RuleFailure(f.rule, f.message_en, f.message_zh, "file", f.expected, f.actual) for f in failures
    ]
    errors = errors_by_field(placed, t)
    shown = {**context, "errors": errors, "refusal": t("form.refused", n=len(placed))}
    return render(request, "declare_campaign.html", shown, status=422)


@router.get("/nominations/{nomination_id}/withdraw", response_class=HTMLResponse)
def withdraw_page(request: Request, nomination_id: str, app: App, actor: PageActor) -> Response:
    return render(request, "declare_withdraw.html", withdraw_context(request, app, actor, nomination_id))


def withdraw_context(request: Request, app: Laurel, actor: Actor, nomination_id: str) -> dict[str, Any]:
    require_declarer_pages(actor)
    t = Translator(language_of(request))
    nomination = app.access.readable_nomination(nomination_id, actor)
    campaign = app.get_campaign(nomination.campaign_id)
    names = unit_names(app, t)
    return {
        "nomination": nomination,
        "campaign": campaign,
        "category": campaign.category(nomination.category),
        "label": campaign_label(campaign, t, names),
        "reasons": reasons_of(nomination),
        "withdrawable": nomination.state in WITHDRAWABLE and may_withdraw(app, actor, nomination),
        "unit_name": names,
    }


@router.post("/nominations/{nomination_id}/withdraw", response_class=HTMLResponse)
async def withdraw(request: Request, nomination_id: str, app: App, form: ActionForm) -> Response:
    t = Translator(language_of(request))
    context = await run_in_threadpool(withdraw_context, request, app, form.actor, nomination_id)
    nomination = context["nomination"]
    command = Withdraw(nomination_id=str(nomination.id), reason=text_of(form.values, "reason"))
    return await submit(
        request,
        form,
        command,
        done=f"/ui/declare/{nomination.campaign_id}",
        again=lambda: (
            "declare_withdraw.html",
            withdraw_context(request, app, form.actor, nomination_id),
        ),
        flash=t("declare.withdrawn", name=nomination.nominee.name),
    )


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
    name = nominee_name(app, cat, values)

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
        again=("declare_form.html", context),
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


@router.get("/{campaign_id}/{category}/template.{extension}")
def bulk_template(
    request: Request,
    campaign_id: str,
    category: str,
    extension: Literal["csv", "xlsx"],
    app: App,
    actor: PageActor,
) -> Response:
    """The category's bulk template, CSV or XLSX, pre-filled with the units I may nominate."""
    t = Translator(language_of(request))
    found = readable_desk(app, actor, campaign_id)
    cat = found.campaign.category(category)
    header, rows = template_table(app, actor, cat, t)
    if extension == "xlsx":
        body, media = workbook_bytes(cat.code, header, rows), XLSX
    else:
        body, media = csv_bytes(header, rows), "text/csv; charset=utf-8"
    disposition = f'attachment; filename="laurel-{cat.code}.{extension}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})
