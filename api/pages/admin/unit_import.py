"""Units imported from a CSV or XLSX upload, each row a ``RegisterUnit`` run by the API's own
import (``api.imports.import_rows``), with its per-row report; and the template to fill in.

The paths end in ":import" so that the request guard allows an import's size (``api.guard``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, Response, UploadFile
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App
from api.imports import import_rows
from api.pages.admin.common import admin_of, lang, level_options, page, with_sections
from api.pages.forms import ActionForm, refused
from api.pages.rendering import PageActor, PageRoute
from api.tabular import XLSX, workbook_bytes
from domain.commands import RegisterUnit
from domain.errors import RuleFailure, RuleViolationError

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)

COLUMNS = ("id", "name", "name_zh", "level", "parent_id")  # as POST /v1/units:import reads them
HEADERS = ("编号 / id", "英文名称 / name", "中文名称 / name_zh", "层级 / level", "上级编号 / parent_id")
TEMPLATE_KINDS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX}


@router.get("/admin/units:import", response_class=HTMLResponse)
def import_form(request: Request, actor: PageActor) -> Response:
    admin_of(actor)
    return page(request, "admin_units_import.html", actor, {"levels": level_options(lang(request))})


@router.get("/admin/units-template.{kind}")
def import_template(kind: str, actor: PageActor) -> Response:
    """The columns the import reads, headed in Chinese and English (the import takes either)."""
    admin_of(actor)
    if kind == "xlsx":
        body = workbook_bytes("units", HEADERS, [])
    else:
        kind, body = "csv", ("\ufeff" + ",".join(HEADERS) + "\r\n").encode()  # a BOM: Excel reads UTF-8
    disposition = f'attachment; filename="units-template.{kind}"'
    return Response(body, media_type=TEMPLATE_KINDS[kind], headers={"Content-Disposition": disposition})


def as_import(request: Request, body: bytes, content_type: str) -> Request:
    """The request as ``import_rows`` reads an import: the uploaded file as its body."""
    scope = dict(request.scope, headers=[(b"content-type", content_type.encode("latin-1"))])

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


@router.post("/admin/units:import", response_class=HTMLResponse)
async def import_units(
    request: Request,
    app: App,
    actor: PageActor,
    form: ActionForm,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """A row's refusal never stops the others; the form's key makes a repeated upload replay
    each row instead of registering it twice."""
    admin_of(actor)
    context = {"levels": level_options(lang(request))}
    body = await file.read() if file is not None else b""
    content_type = (file.content_type if file is not None else None) or "text/csv"

    def one(row: dict[str, Any], row_key: str | None) -> dict[str, Any]:
        unit = RegisterUnit(
            code=str(row.get("id") or "").strip(),
            name=str(row.get("name") or ""),
            name_zh=str(row.get("name_zh") or ""),
            level=str(row.get("level") or "").strip(),
            parent_id=str(row.get("parent_id") or "").strip() or None,
        )
        return app.execute(unit, actor, idempotency_key=row_key)

    try:
        report = await import_rows(as_import(request, body, content_type), COLUMNS, one, form.key)
    except RuleViolationError as exc:  # the file as a whole: not a table, no rows, too many rows
        failures = [RuleFailure(f.rule, f.message_en, f.message_zh, "file") for f in exc.failures]
        again = ("admin_units_import.html", with_sections(actor, context))
        return await refused(request, form, again, RuleViolationError(failures), stale=False)
    return await run_in_threadpool(
        page, request, "admin_units_import.html", actor, {**context, "report": report}
    )
