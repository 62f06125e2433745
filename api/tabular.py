"""CSV/XLSX in (imports with a per-row report) and XLSX out (the commendation list)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook, load_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TableFormatError(ValueError):
    pass


def _header_key(raw: Any, known: Sequence[str]) -> str:
    """'编号 / id', 'ID', ' form.operation_rate ' -> the known English key it names."""
    text = str(raw or "").strip()
    for part in [text, *[p.strip() for p in text.replace("／", "/").split("/")]]:
        if part.lower() in known or part.lower().startswith("form."):
            return part.lower()
    return text.lower()


def read_rows(body: bytes, content_type: str, known: Sequence[str]) -> list[dict[str, Any]]:
    """Rows as dicts keyed by English column names; empty rows dropped."""
    if not body:
        raise TableFormatError("the request body is empty: send CSV (text/csv) or XLSX")
    if content_type.startswith(XLSX) or body[:2] == b"PK":
        try:
            sheet = load_workbook(io.BytesIO(body), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # noqa: BLE001 - any parse failure is the client's file
            raise TableFormatError(f"not a readable XLSX workbook: {type(exc).__name__}") from None
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    else:
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TableFormatError("CSV must be UTF-8") from None
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise TableFormatError(f"not a readable CSV table: {exc}") from None
    if not rows:
        raise TableFormatError("no header row")
    header = [_header_key(h, known) for h in rows[0]]
    out = []
    for values in rows[1:]:
        if not any(v not in (None, "") for v in values):
            continue
        out.append({header[i]: v for i, v in enumerate(values) if i < len(header) and header[i]})
    return out


def workbook_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(12, width + 4), 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
