"""Bulk imports: every row is one command (idempotent per row when a key is sent); the
report lists each row's outcome, and a bad row never stops or undoes the good ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.problems import status_for
from api.tabular import XLSX, TableFormatError, read_rows
from domain.errors import DomainError, ImportInvalidError, RuleFailure

MAX_ROWS = 5000


def table_body() -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}, XLSX: {"schema": {"type": "string", "format": "binary"}}},
        }
    }


async def import_rows(request: Request, columns: Sequence[str], one: Callable[[dict[str, Any], str | None], dict[str, Any]], key: str | None) -> dict[str, Any]:
    body = await request.body()
    try:
        rows = read_rows(body, request.headers.get("content-type", ""), columns)
    except TableFormatError as exc:
        raise ImportInvalidError([RuleFailure("table_readable", str(exc), "无法读取表格：" + str(exc), "body")]) from None
    if len(rows) > MAX_ROWS:
        raise ImportInvalidError([RuleFailure("table_max_rows", f"at most {MAX_ROWS} rows per import", f"每次最多导入 {MAX_ROWS} 行", "body", MAX_ROWS, len(rows))])

    def run_all() -> dict[str, Any]:
        report = []
        for number, row in enumerate(rows, start=2):  # row 1 is the header
            try:
                result = one(row, f"{key}:row{number}" if key else None)
                report.append({"row": number, "status": "replayed" if result.get("replayed") else "created", "id": str(result.get("id"))})
            except DomainError as exc:
                failures = [f.as_dict() for f in getattr(exc, "failures", ())] or [{"rule": exc.code, "message_en": exc.message_en, "message_zh": exc.message_zh}]
                report.append({"row": number, "status": "error", "errors": [dict(f, status=status_for(exc)) for f in failures]})
        created = sum(1 for r in report if r["status"] != "error")
        return {"created": created, "failed": len(report) - created, "rows": report}

    return await run_in_threadpool(run_all)
