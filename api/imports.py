"""Bulk imports: every row is one command (idempotent per row when a key is sent); the
report lists each row's outcome, and a bad row never stops or undoes the good ones.

The file is bounded before any row runs: its bytes while they arrive (``api.guard``: 413 past
``LAUREL_MAX_IMPORT_BYTES``), then its rows while a worker thread parses it (422 past
``LAUREL_MAX_IMPORT_ROWS``, and for an XLSX its unzipped size); a refused file appends nothing.
Parsing never runs on the event loop, so /healthz and every other request stay answered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import Any

import structlog
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.problems import status_for
from api.tabular import XLSX, TableFormatError, read_rows
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import Declare
from domain.errors import DomainError, ImportInvalidError, RuleFailure
from domain.rules.jurisdiction import authorize

# An XLSX may unzip to this many times the import byte limit (128 MiB at 8 MiB): a spreadsheet's
# XML compresses a few times over, a zip bomb a thousand times.
UNZIPPED_PER_IMPORT_BYTE = 16


def table_body() -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }


Check = Callable[[list[dict[str, Any]]], Awaitable[None]]


async def import_rows(
    request: Request,
    columns: Sequence[str],
    one: Callable[[dict[str, Any], str | None], dict[str, Any]],
    key: str | None,
    *,
    check: Check | None = None,
) -> dict[str, Any]:
    """Reads the file, then ``check(rows)`` (a refusal of the whole file, e.g. a 403), then runs
    ``one`` per row in a worker thread; returns the per-row report."""
    # Bounded by api.guard as it arrived (LAUREL_MAX_IMPORT_BYTES, 413 beyond).
    body = await request.body()
    # The raw body and its media type come from the Request, as FastAPI reads a body declared in
    # openapi_extra; OpenAPI ignores a header parameter named Content-Type.
    content_type = request.headers.get("content-type", "")
    return await import_table(request, body, content_type, columns, one, key, check=check)


async def import_table(
    request: Request,
    body: bytes,
    content_type: str,
    columns: Sequence[str],
    one: Callable[[dict[str, Any], str | None], dict[str, Any]],
    key: str | None,
    *,
    check: Check | None = None,
) -> dict[str, Any]:
    """``import_rows`` of a file already in hand (a page's upload: one field of its form)."""
    settings = request.app.state.services.settings
    parse = partial(
        read_rows,
        body,
        content_type,
        columns,
        max_rows=settings.max_import_rows,
        max_unzipped=settings.max_import_bytes * UNZIPPED_PER_IMPORT_BYTE,
    )
    try:
        rows = await run_in_threadpool(parse)
    except TableFormatError as exc:
        raise ImportInvalidError(
            [RuleFailure(exc.rule, exc.message_en, exc.message_zh, "body", exc.expected, exc.actual)]
        ) from None
    if check is not None:
        await check(rows)

    def run_all() -> dict[str, Any]:
        report: list[dict[str, Any]] = []
        for number, row in enumerate(rows, start=2):  # row 1 is the header
            try:
                result = one(row, f"{key}:row{number}" if key else None)
                report.append(
                    {
                        "row": number,
                        "status": "replayed" if result.get("replayed") else "created",
                        "id": str(result.get("id")),
                    }
                )
            except DomainError as exc:
                failures = [f.as_dict() for f in getattr(exc, "failures", ())] or [
                    {"rule": exc.code, "message_en": exc.message_en, "message_zh": exc.message_zh}
                ]
                report.append(
                    {
                        "row": number,
                        "status": "error",
                        "errors": [dict(f, status=status_for(exc)) for f in failures],
                    }
                )
            # A cell the row's command cannot convert ('four' hours): that row's error, not a 500.
            except (ValueError, TypeError) as exc:
                structlog.get_logger("laurel.imports").warning(
                    "row refused", row=number, error=f"{type(exc).__name__}: {exc}"
                )
                failure = {
                    "rule": "row_readable",
                    "message_en": f"a cell of this row cannot be read: {exc}",
                    "message_zh": f"该行有单元格无法读取：{exc}",
                    "status": 422,
                }
                report.append({"row": number, "status": "error", "errors": [failure]})
        created = sum(1 for r in report if r["status"] != "error")
        return {"created": created, "failed": len(report) - created, "rows": report}

    return await run_in_threadpool(run_all)


# --- bulk declaration (the API's nominations import and the declarer's page) -------------------

NOMINATION_COLUMNS = (
    "category",
    "declaring_unit_id",
    "nominee_kind",
    "nominee_unit_id",
    "nominee_name",
    "nominee_person_id",
    "material",
)


def cell(value: Any) -> Any:
    """CSV cells are text: numbers and true/false become what the form expects."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.lower() in ("true", "yes", "是"):
        return True
    if text.lower() in ("false", "no", "否"):
        return False
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def declaration_of_row(campaign_id: str, row: Mapping[str, Any]) -> Declare:
    """One row of a bulk declaration (``NOMINATION_COLUMNS`` and ``form.<field>``) as a command."""
    form = {k[5:]: cell(v) for k, v in row.items() if k.startswith("form.") and v not in (None, "")}
    return Declare(
        campaign_id=campaign_id,
        category=str(row.get("category") or ""),
        declaring_unit_id=str(row.get("declaring_unit_id") or ""),
        nominee={
            "kind": str(row.get("nominee_kind") or ""),
            "unit_id": str(row.get("nominee_unit_id") or ""),
            "name": str(row.get("nominee_name") or ""),
            "person_id": (str(row.get("nominee_person_id") or "") or None),
        },
        form=form,
        material=str(row.get("material") or ""),
    )


def refuse_foreign_declaring_units(app: Laurel, actor: Actor, rows: list[dict[str, Any]]) -> None:
    """403 before any row when the file declares for a unit outside the declarer's subtree."""
    for unit_id in sorted({str(row.get("declaring_unit_id") or "").strip() for row in rows} - {""}):
        if app.unit_exists(unit_id):  # an unknown unit fails its own row (404)
            authorize(actor, "declare", [app.get_unit(unit_id)])
