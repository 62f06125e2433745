"""Bulk declaration: a category's template (CSV or XLSX, pre-filled with the units I may
nominate) and the upload (``…/nominations:import``) through the API's import, every row a
``Declare``, the per-row report as a table."""

from __future__ import annotations

import csv
import io
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
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
from api.pages.declarer.campaigns import campaign_context
from api.pages.declarer.common import nominee_choices, readable_desk
from api.pages.forms import ActionForm, errors_by_field
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render
from api.tabular import FORMULA_PREFIXES, XLSX, workbook_bytes
from domain.actors import Actor
from domain.application import Laurel
from domain.campaigns import Campaign
from domain.errors import RuleFailure, RuleViolationError
from domain.rules.jurisdiction import require_role as require_role_for
from domain.values import Category

router = APIRouter(prefix="/ui/declare", route_class=PageRoute, include_in_schema=False)

TEMPLATE_ROWS = 1000  # pre-filled rows of a bulk template at most


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
        return await run_in_threadpool(bulk_refused, request, context, [failure])

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
        return await run_in_threadpool(bulk_refused, request, context, list(exc.failures))
    labels = field_labels(context["campaign"], Translator(language_of(request)))
    shown = {**context, "report": report, "field_labels": labels}
    return await run_in_threadpool(render, request, "declare_import.html", shown)


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
