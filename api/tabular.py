"""CSV/XLSX in (imports with a per-row report) and XLSX out (the commendation list).

Reading is bounded before and while it parses: an XLSX whose members would unzip to more than
``max_unzipped`` bytes is refused before openpyxl opens it (a zip bomb), the sheet's own claim
of its size is ignored, a row is read only as wide as the header's last known column, and
reading stops at the first row past ``max_rows`` without parsing the rest (openpyxl's
read-only mode parses rows as they are asked for)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a spreadsheet program may read as the start of a formula (OWASP, "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Rows = Callable[[int], Iterator[Sequence[Any]]]  # the data rows, each cut to a width


class TableFormatError(ValueError):
    """A file that cannot be imported as a table, with the rule it breaks (field ``body``)."""

    def __init__(
        self,
        message_en: str,
        message_zh: str,
        rule: str = "table_readable",
        expected: Any = None,
        actual: Any = None,
    ) -> None:
        super().__init__(message_en)
        self.message_en, self.message_zh, self.rule, self.expected, self.actual = (
            message_en,
            message_zh,
            rule,
            expected,
            actual,
        )


def unreadable(what: str, exc: BaseException | str) -> TableFormatError:
    detail = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"[:300]
    return TableFormatError(f"not a readable {what}: {detail}", f"无法读取{what}：{detail}")


def _header_key(raw: Any, known: Sequence[str]) -> str:
    """'编号 / id', 'ID', ' form.operation_rate ' -> the known English key it names."""
    text = str(raw or "").strip()
    for part in [text, *[p.strip() for p in text.replace("／", "/").split("/")]]:
        if _is_known(part.lower(), known):
            return part.lower()
    return text.lower()


def _is_known(key: str, known: Sequence[str]) -> bool:
    return key in known or key.startswith("form.")


def read_rows(
    body: bytes, content_type: str, known: Sequence[str], *, max_rows: int, max_unzipped: int
) -> list[dict[str, Any]]:
    """Rows as dicts keyed by English column names; blank rows skipped. Raises
    TableFormatError for an unreadable file, a header naming no known column, no data row,
    more than ``max_rows`` rows (or as many blank ones), or an XLSX unzipping past
    ``max_unzipped`` bytes."""
    if not body:
        raise TableFormatError(
            "the request body is empty: send CSV (text/csv) or XLSX",
            "请求内容为空：请上传 CSV（text/csv）或 XLSX 文件",
        )
    if content_type.startswith(XLSX) or body[:2] == b"PK":
        refuse_zip_bomb(body, max_unzipped)
        what, table = "XLSX workbook", _xlsx_table
    else:
        what, table = "CSV table", _csv_table
    try:
        header, rows = table(body)
        return _records(header, rows, known, max_rows)
    except TableFormatError:
        raise
    except Exception as exc:
        raise unreadable(what, exc) from None


def refuse_zip_bomb(body: bytes, max_unzipped: int) -> None:
    """Refuses an XLSX whose members declare more than ``max_unzipped`` bytes in all. Python's
    zipfile never inflates a member past its declared size (a member that lies fails its CRC),
    so the declared sizes bound what openpyxl can hold: it reads the shared strings whole."""
    try:
        declared = sum(member.file_size for member in zipfile.ZipFile(io.BytesIO(body)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise unreadable("XLSX workbook", exc) from None
    if declared > max_unzipped:
        raise TableFormatError(
            f"the XLSX workbook unzips to {declared} bytes, more than {max_unzipped}",
            f"XLSX 文件解压后为 {declared} 字节，超过 {max_unzipped} 字节的上限",
            "xlsx_unzipped_max_bytes",
            max_unzipped,
            declared,
        )


class _UnsizedSheet(ReadOnlyWorksheet):  # type: ignore[misc]  # openpyxl is untyped
    def _get_size(self) -> None:
        """The sheet's <dimension> is the file's own claim, never read: "A1:XFD1000" made every
        row 16,384 cells wide and a short claim cut rows off; without one, openpyxl parsed the
        whole sheet looking for it (to </sheetData>) before the first row, past any row cap."""


class _FirstSheetReader(ExcelReader):  # type: ignore[misc]  # openpyxl is untyped
    """openpyxl's read-only loader, opening only the first worksheet, as an ``_UnsizedSheet``."""

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target in self.valid_files and "chartsheet" not in rel.Type:
                self.wb._sheets.append(
                    _UnsizedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
                )
                return
        raise ValueError("the workbook has no worksheet")


def _xlsx_table(body: bytes) -> tuple[Sequence[Any], Rows]:
    reader = _FirstSheetReader(io.BytesIO(body), read_only=True, data_only=True)
    reader.read()
    sheet = reader.wb.worksheets[0]
    header = next(sheet.iter_rows(max_row=1, values_only=True), ())
    return header, lambda width: sheet.iter_rows(min_row=2, max_col=width, values_only=True)


def _csv_table(body: bytes) -> tuple[Sequence[Any], Rows]:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableFormatError("CSV must be UTF-8", "CSV 文件必须为 UTF-8 编码") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    return header, lambda width: (values[:width] for values in reader)


def _records(
    raw_header: Sequence[Any], rows: Rows, known: Sequence[str], max_rows: int
) -> list[dict[str, Any]]:
    header = [_header_key(h, known) for h in raw_header]
    width = 1 + max((i for i, key in enumerate(header) if _is_known(key, known)), default=-1)
    if width == 0:
        names = ", ".join(known)
        raise TableFormatError(
            f"the first row names none of the columns {names}",
            f"首行（表头）未包含任何所需列：{names}",
            "table_header",
            list(known),
        )
    out: list[dict[str, Any]] = []
    blank = 0
    for values in rows(width):
        if not any(v not in (None, "") for v in values):
            blank += 1  # skipped, but a sheet of a million blank rows is not read to its end
            if blank > max_rows:
                raise _too_many(max_rows)
            continue
        if len(out) == max_rows:
            raise _too_many(max_rows)  # the first row past the cap: the rest is never parsed
        out.append({header[i]: v for i, v in enumerate(values) if header[i]})
    if not out:
        raise TableFormatError(
            "the table has a header and no data row", "表格只有表头，没有数据行", "table_has_rows", 1, 0
        )
    return out


def _too_many(max_rows: int) -> TableFormatError:
    return TableFormatError(
        f"at most {max_rows} rows per import (and at most as many blank rows); split the file",
        f"每次最多导入 {max_rows} 行（空行也不得超过 {max_rows} 行），请拆分文件",
        "table_max_rows",
        max_rows,
        f"more than {max_rows}",
    )


def text_safe_cell(sheet: Worksheet, value: Any) -> Any:
    """``value`` as a cell that no spreadsheet program evaluates.

    openpyxl stores a str starting with '=' as a formula, so names people typed (a nominee
    called ``=HYPERLINK(...)``) would run when the list is opened. A str is stored as a string
    cell, its visible text unchanged; one that starts like a formula also gets Excel's quote
    prefix (the hidden leading apostrophe), so editing the cell keeps it text. Numbers, dates
    and empty cells are left as they are: a negative score is a number, not text. (Laurel
    writes no CSV; a CSV writer would put a single quote before such a cell, as OWASP
    recommends, since CSV has no cell types.)"""
    if not isinstance(value, str):
        return value
    # Text recorded before control characters were refused (openpyxl cannot write them)
    # shows them as U+FFFD rather than failing the whole list.
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell = Cell(sheet, value=value)
    cell.data_type = "s"
    if value.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True
    return cell


def workbook_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """One sheet: ``headers`` then ``rows``, every text cell stored as text (never a formula)."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for row in [headers, *rows]:
        sheet.append([text_safe_cell(sheet, value) for value in row])
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(12, width + 4), 60)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
