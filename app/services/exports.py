"""Spreadsheet exports (reports, rosters): CSV in UTF-8 with BOM and XLSX, safe to open in Excel."""
import csv
import io
import re
import unicodedata
from decimal import Decimal
from urllib.parse import quote

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Control characters (C0 but tab and line breaks, DEL, C1): XML cannot hold most, and spreadsheets drop them.
CONTROL_CHARACTERS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Excel column widths, in characters: narrow columns still show their header, long text wraps past 50.
MIN_WIDTH, MAX_WIDTH = 8, 50
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralise(value):
    """A cell value a spreadsheet shows as text and never runs, for every export: control characters go first
    (else `\x01=HYPERLINK(…)` would pass the check and lose its \x01 later), then text that could start a
    formula gets a quote."""
    if not isinstance(value, str):
        return value
    value = CONTROL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"  # 2.0 → 2, never 1E+1
    return neutralise(value)


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    """The table as CSV; the BOM makes Excel read the UTF-8 (Chinese) correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in [header, *rows]:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def display_width(value) -> int:
    """How many Excel character widths a value takes: Chinese and other wide characters count two."""
    text = str(_csv_cell(value))
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def xlsx_bytes(header: list[str], rows: list[list], title: str = "Sheet", heading: str | None = None) -> bytes:
    """The table as an XLSX workbook with one sheet: a title row (`heading`, else `title`) over the header
    row, columns as wide as their contents, the header kept in view; numbers stay numbers."""
    workbook = Workbook()
    sheet = workbook.active
    # Sheet names: at most 31 characters, none of []:*?/\ .
    sheet.title = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet"
    sheet.append([neutralise(heading or title)])
    sheet["A1"].font = Font(bold=True, size=14)
    if len(header) > 1:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    for row in [header, *rows]:
        sheet.append([neutralise(v) for v in row])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A3"
    for index, column in enumerate(zip(header, *rows), start=1):
        width = max(display_width(v) for v in column) + 2
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width, MIN_WIDTH), MAX_WIDTH)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def content_disposition(filename: str) -> str:
    """An attachment header: an ASCII name for old clients and the UTF-8 name (RFC 5987) for the rest."""
    stem, dot, ext = filename.rpartition(".")
    ascii_stem = "".join(c for c in stem if c.isascii() and (c.isalnum() or c in "-_.")).strip("-_.")
    fallback = f"{ascii_stem or 'export'}{dot}{ext}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def table_bytes(fmt: str, header: list[str], rows: list[list], title: str = "Sheet", heading: str | None = None) -> bytes:
    """The table as `csv` (the rows alone) or `xlsx` (with `heading`, else `title`, above)."""
    return csv_bytes(header, rows) if fmt == "csv" else xlsx_bytes(header, rows, title, heading)


def send_bytes(fmt: str, filename: str, body: bytes) -> Response:
    """A download of a table made by table_bytes()."""
    response = Response(body, content_type=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = content_disposition(f"{filename}.{fmt}")
    return response


def send_table(fmt: str, filename: str, header: list[str], rows: list[list], title: str = "Sheet",
               heading: str | None = None) -> Response:
    """A download of the table as `csv` (the rows alone) or `xlsx` (with `heading`, else the file name, above)."""
    return send_bytes(fmt, filename, table_bytes(fmt, header, rows, title, heading or filename))
