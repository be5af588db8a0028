"""Reading a roster (CSV or XLSX) into rows of texts: the file's limits, its columns found by their names."""
import csv
import io
import re
import zipfile
import zlib
from xml.etree.ElementTree import ParseError

from flask_babel import lazy_gettext as _l

from ..errors import DomainError

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
# A workbook is a zip of XML: its parts are checked by their declared sizes before anything is parsed,
# so a small file cannot unpack into hundreds of megabytes or declare a sheet of a million rows.
XLSX_MAX_UNPACKED = 20 * 1024 * 1024
XLSX_MAX_PARTS = 200
XLSX_MAX_COLUMNS = 50
XLSX_MAX_CELL = 500
DIMENSION_RE = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+[0-9]+)(?::([A-Z]+[0-9]+))?"')
# Header spellings people use, Chinese and English, compared without spaces, case or underscores.
HEADERS = {
    "name": ("姓名", "名字", "name"),
    "phone": ("手机号", "手机", "手机号码", "联系电话", "电话", "phone", "mobile"),
    "branch": ("党支部", "支部", "所在支部", "所在党支部", "branch"),
    "member_type": ("党员类型", "类型", "类别", "membertype", "type"),
    "grid": ("网格", "所在网格", "grid"),
    "employer": ("工作单位", "单位", "employer", "workplace"),
}
REQUIRED = ("name", "phone")
# The template's own column names, which an error names.
COLUMN_NAMES = {field: spellings[0] for field, spellings in HEADERS.items()}
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls


class RosterUnreadable(DomainError):
    message = _l("This file cannot be read. Save it as an Excel workbook (.xlsx) or a CSV file and try again.")


class RosterTooLarge(DomainError):
    message = _l("The file is larger than 2 MB.")


class RosterTooLong(DomainError):
    message = _l("The file has more than 5000 rows; split it into smaller files.")


class RosterTooWide(DomainError):
    message = _l("The sheet has more than 50 columns; keep only the columns of the template.")


class RosterCellTooLong(DomainError):
    message = _l("A cell holds more than 500 characters; this is not a roster of members.")


class RosterEmpty(DomainError):
    message = _l("The file has no rows of members.")


class RosterColumnsMissing(DomainError):
    """The first row lacks a required column; the header read is kept so the organizer can say which is which."""

    def __init__(self, missing: list[str], header: list[str]):
        super().__init__(_l("The first row has no column %(columns)s. Choose which column holds it below, or download "
                            "the template.", columns="、".join(COLUMN_NAMES[f] for f in missing)))
        self.missing, self.header = missing, header


class ColumnsNotChosen(DomainError):
    message = _l("Choose the columns that hold 姓名 and 手机号.")


def read_upload(stream) -> bytes:
    """The uploaded bytes, refusing more than MAX_BYTES without reading the rest."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise RosterTooLarge()
    return data


def _decode(data: bytes) -> str:
    """UTF-8 with or without BOM, else GB18030 (Excel on Chinese Windows saves CSV in GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise RosterUnreadable() from exc


def _csv_rows(data: bytes):
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _check_xlsx(data: bytes) -> None:
    """Refuse a workbook whose parts unpack too large or whose sheets declare too many rows or columns."""
    from openpyxl.utils.cell import coordinate_to_tuple

    with zipfile.ZipFile(io.BytesIO(data)) as book:
        parts = book.infolist()
        if len(parts) > XLSX_MAX_PARTS or sum(p.file_size for p in parts) > XLSX_MAX_UNPACKED:
            raise RosterTooLarge()
        for part in parts:
            if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
                with book.open(part) as sheet:
                    found = DIMENSION_RE.search(sheet.read(64 * 1024))
                if found:
                    rows, columns = coordinate_to_tuple((found.group(2) or found.group(1)).decode())
                    if columns > XLSX_MAX_COLUMNS:
                        raise RosterTooWide()
                    if rows > 4 * MAX_ROWS:
                        raise RosterTooLong()


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        _check_xlsx(data)
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for row in book.worksheets[0].iter_rows(max_col=XLSX_MAX_COLUMNS, values_only=True):
                if any(isinstance(v, str) and len(v) > XLSX_MAX_CELL for v in row):
                    raise RosterCellTooLong()
                yield row
        finally:
            book.close()
    # openpyxl and the zip and XML readers under it fail in many ways on a damaged or hostile file.
    except (zipfile.BadZipFile, zlib.error, EOFError, InvalidFileException, OSError, ValueError, LookupError, TypeError,
            AttributeError, ParseError, SyntaxError) as exc:
        raise RosterUnreadable() from exc


def _cell(value) -> str:
    """A cell as text; Excel keeps a phone typed without quotes as a number (13800000003.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def fold_key(header: str) -> str:
    """A header or type as compared: without spaces (also full-width), underscores or case."""
    return header.replace(" ", "").replace("_", "").replace("\u3000", "").lower()


def _columns(header: list[str]) -> dict[str, int]:
    wanted = {fold_key(spelling): field for field, spellings in HEADERS.items() for spelling in spellings}
    columns: dict[str, int] = {}
    for index, text in enumerate(header):
        field = wanted.get(fold_key(text))
        if field and field not in columns:
            columns[field] = index
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        raise RosterColumnsMissing(missing, header)
    return columns


def parse_roster(data: bytes, chosen: dict[str, int] | None = None) -> list[dict]:
    """The data rows of a roster as {line, name, phone, branch, member_type, grid, employer} texts (empty when the
    file has no such column); the columns are found by their names in the first row, or `chosen` by the organizer."""
    if data.startswith(OLE_MAGIC):
        raise RosterUnreadable()
    rows = _xlsx_rows(data) if data.startswith(XLSX_MAGIC) else _csv_rows(data)
    columns, parsed = None, []
    try:
        for line, row in enumerate(rows, start=1):
            # A sheet padded with a million empty rows must not keep the request busy.
            if line > 4 * MAX_ROWS:
                raise RosterTooLong()
            cells = [_cell(v) for v in row]
            if not any(cells):
                continue
            if columns is None:
                columns = chosen if chosen is not None else _columns(cells)
                continue
            if len(parsed) == MAX_ROWS:
                raise RosterTooLong()
            parsed.append({"line": line, **{f: cells[columns[f]] if columns.get(f, 99) < len(cells) else ""
                                            for f in HEADERS}})
    except csv.Error as exc:
        raise RosterUnreadable() from exc
    if not parsed:
        raise RosterEmpty()
    return parsed


def template_workbook() -> bytes:
    """The roster template: the six columns (姓名 and 手机号 required) and one example row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "党员名单"
    sheet.append([COLUMN_NAMES[f] for f in HEADERS])
    sheet.append(["张建国", "13800000003", "第一党支部", "社区党员", "第一网格", ""])
    for letter, width in zip("ABCDEF", (12, 16, 16, 14, 12, 24)):
        sheet.column_dimensions[letter].width = width
    sheet["B2"].number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
