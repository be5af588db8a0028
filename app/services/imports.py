"""Importing party members from a roster (CSV or XLSX): parse, check every row, then import in chunks.

Nothing is written until the preview is confirmed; the valid rows then wait in an ImportJob and
each step imports one chunk in its own transaction, so a progress bar can follow a long file.
Rows are matched by phone, so importing the same file twice changes nothing.
"""
import csv
import io
import json
import re
import zipfile
import zlib
from collections import Counter
from xml.etree.ElementTree import ParseError

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..database import begin_write
from ..extensions import db
from ..models import Grid, ImportJob, Org, User
from ..textutil import has_control_characters
from .accounts import new_placeholder
from .audit import record_event
from .errors import DomainError
from .scope import can_manage_person
from .phones import normalize_phone
from .scope import org_in_scope, person_in_scope

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
# A workbook is a zip of XML: its parts are checked by their declared sizes before anything is parsed,
# so a small file cannot unpack into hundreds of megabytes or declare a sheet of a million rows.
XLSX_MAX_UNPACKED = 20 * 1024 * 1024
XLSX_MAX_PARTS = 200
XLSX_MAX_COLUMNS = 50
XLSX_MAX_CELL = 500
DIMENSION_RE = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+[0-9]+)(?::([A-Z]+[0-9]+))?"')
CHUNK = 200
NAME_MAX = 50
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
EMPLOYER_MAX = 100
MEMBER_TYPE_NAMES = {
    "社区党员": "community", "社区": "community", "community": "community",
    "在职党员": "in_service", "在职": "in_service", "in_service": "in_service", "in-service": "in_service",
    "inservice": "in_service",
    "离退休党员": "retired", "离退休": "retired", "退休党员": "retired", "退休": "retired", "retired": "retired",
    "流动党员": "flowing", "流动": "flowing", "flowing": "flowing",
}
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


def _key(header: str) -> str:
    return header.replace(" ", "").replace("_", "").replace("\u3000", "").lower()


def _columns(header: list[str]) -> dict[str, int]:
    wanted = {_key(spelling): field for field, spellings in HEADERS.items() for spelling in spellings}
    columns: dict[str, int] = {}
    for index, text in enumerate(header):
        field = wanted.get(_key(text))
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


def _branches(actor: User) -> tuple[dict[str, list[int]], set[str]]:
    """Branch ids in scope by name (also "parent/name", for names that repeat), and every branch's names."""
    parent = aliased(Org)
    in_scope: dict[str, list[int]] = {}
    known: set[str] = set()
    rows = db.session.execute(select(Org.id, Org.name, parent.name, org_in_scope(actor))
                              .outerjoin(parent, parent.id == Org.parent_id).where(Org.kind == "branch"))
    for org_id, name, parent_name, managed in rows:
        for key in (name, f"{parent_name}/{name}"):
            known.add(key)
            if managed:
                in_scope.setdefault(key, []).append(org_id)
    return in_scope, known


def _grids(actor: User) -> dict[str, list[tuple[int, int]]]:
    """(grid id, community id) of the grids in scope by name, also "community/name" (every community has a 第一网格)."""
    found: dict[str, list[tuple[int, int]]] = {}
    rows = db.session.execute(select(Grid.id, Grid.name, Org.id, Org.name).join(Org, Org.id == Grid.community_id)
                              .where(org_in_scope(actor)))
    for grid_id, name, community_id, community in rows:
        for key in (name, f"{community}/{name}"):
            found.setdefault(key, []).append((grid_id, community_id))
    return found


def _home_org(actor: User) -> int | None:
    """Where an imported person with neither branch nor grid belongs: the top org the organizer manages."""
    orgs = [g.org for g in actor.grants if g.role == "organizer" and g.org is not None]
    return min(orgs, key=lambda o: o.path).id if orgs else None


def _people_by_phone(actor: User, phones) -> dict[str, User | None]:
    """The people holding these phones; None for those the actor may not change (out of scope or protected)."""
    phones, found = sorted(set(phones)), {}
    for start in range(0, len(phones), 500):
        for user, in_scope in db.session.execute(select(User, person_in_scope(actor))
                                                 .where(User.phone.in_(phones[start:start + 500]))):
            found[user.phone] = user if in_scope and can_manage_person(actor, user) else None
    return found


def check_rows(actor: User, raw: list[dict]) -> list[dict]:
    """Each row with its problems (codes) and what importing it would do: create, update or nothing."""
    in_scope, all_branches = _branches(actor)
    grids, home = _grids(actor), _home_org(actor)
    first_line: dict[str, int] = {}
    rows = []
    for r in raw:
        r = {**dict.fromkeys(HEADERS, ""), **r}  # a column the file does not have reads as empty
        problems = []
        phone = normalize_phone(r["phone"])
        if not r["name"]:
            problems.append("name_missing")
        elif len(r["name"]) > NAME_MAX:
            problems.append("name_too_long")
        elif has_control_characters(r["name"]):
            problems.append("name_control_characters")
        if phone is None:
            problems.append("bad_phone")
        elif phone in first_line:
            problems.append("duplicate_phone")
        else:
            first_line[phone] = r["line"]
        branch = r["branch"].replace("／", "/")
        branch_ids = in_scope.get(branch, []) if branch else [None]
        if len(branch_ids) > 1:
            problems.append("ambiguous_branch")
        elif not branch_ids:
            problems.append("branch_out_of_scope" if branch in all_branches else "unknown_branch")
        # No type: a resident, or (with a branch) the common case, a community member.
        member_type = (MEMBER_TYPE_NAMES.get(_key(r["member_type"])) or MEMBER_TYPE_NAMES.get(r["member_type"])
                       if r["member_type"] else ("community" if branch else None))
        if r["member_type"] and member_type is None:
            problems.append("unknown_member_type")
        grid = grids.get(r["grid"].replace("／", "/"), []) if r["grid"] else [(None, None)]
        if len(grid) != 1:
            problems.append("ambiguous_grid" if grid else "unknown_grid")
        branch_id = branch_ids[0] if len(branch_ids) == 1 else None
        grid_id, community_id = grid[0] if len(grid) == 1 else (None, None)
        org_id = branch_id or community_id or home
        if org_id is None and not problems:
            problems.append("no_place")
        rows.append({**r, "phone": phone or r["phone"], "branch_id": branch_id, "member_type_code": member_type,
                     "grid_id": grid_id, "community_id": community_id, "org_id": org_id,
                     "employer": "".join(c for c in r["employer"] if not has_control_characters(c))[:EMPLOYER_MAX],
                     "problems": problems, "action": None,
                     "first_line": first_line.get(phone) if "duplicate_phone" in problems else None})
    people = _people_by_phone(actor, (r["phone"] for r in rows if "bad_phone" not in r["problems"]))
    for r in rows:
        person = people.get(r["phone"])
        # One problem for everyone the actor may not change: the preview must not tell where a phone is registered.
        if r["phone"] in people and person is None:
            r["problems"].append("protected")
        if not r["problems"]:
            r["action"] = _action(person, r)
    return rows


def _changes(person: User, row: dict) -> dict:
    """What a row changes on a person: branch and member type when it names either, grid and employer when given."""
    wanted = {}
    if row["branch"] or row["member_type"]:
        wanted.update(branch_id=row["branch_id"], member_type=row["member_type_code"])
    if row.get("grid_id"):
        wanted.update(grid_id=row["grid_id"], community_id=row["community_id"])
    if row.get("employer"):
        wanted["employer"] = row["employer"]
    return {k: v for k, v in wanted.items() if getattr(person, k) != v}


def _action(person: User | None, row: dict) -> str:
    if person is None:
        return "create"
    return "update" if _changes(person, row) else "unchanged"


def create_import(actor: User, filename: str, data: bytes) -> ImportJob:
    """Parse and check a roster; the job holds every row for the preview and nothing else is written.

    A readable file whose first row lacks 姓名 or 手机号 is kept in the job (status `columns`) with
    the header read, so the organizer says which column is which instead of choosing the file again."""
    filename = "".join(c for c in filename or "" if not has_control_characters(c))
    job = ImportJob(created_by_id=actor.id, filename=filename[:200])
    try:
        _fill(actor, job, parse_roster(data))
    except RosterColumnsMissing as exc:
        job.status, job.source = "columns", data
        job.rows_json = json.dumps({"header": exc.header[:XLSX_MAX_COLUMNS], "missing": exc.missing}, ensure_ascii=False)
    db.session.add(job)
    db.session.flush()
    return job


def kept_header(job: ImportJob) -> tuple[list[str], list[str]]:
    """The first row of a kept file and the required columns it lacked."""
    kept = json.loads(job.rows_json)
    return kept["header"], kept["missing"]


def choose_columns(actor: User, job: ImportJob, chosen: dict[str, int | None]) -> ImportJob:
    """Read the kept file again with the columns the organizer chose; then it is previewed as any upload."""
    if job.status != "columns" or job.source is None:
        raise DomainError(_l("This file has been read already."))
    header, _missing = kept_header(job)
    columns = {f: i for f, i in chosen.items() if f in HEADERS and i is not None and 0 <= i < len(header)}
    if any(f not in columns for f in REQUIRED) or len(set(columns.values())) != len(columns):
        raise ColumnsNotChosen()
    _fill(actor, job, parse_roster(job.source, columns))
    job.source = None
    db.session.flush()
    return job


def _fill(actor: User, job: ImportJob, raw: list[dict]) -> None:
    rows = check_rows(actor, raw)
    job.rows_json = json.dumps(rows, ensure_ascii=False)
    job.total, job.status = sum(1 for r in rows if not r["problems"]), "preview"


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


def job_rows(job: ImportJob) -> list[dict]:
    """Every checked row of the job, in file order."""
    return json.loads(job.rows_json)


def preview(job: ImportJob, limit: int = 300) -> tuple[list[dict], Counter]:
    """The rows to show, problems first, then updates, new people and rows that change nothing; and the counts."""
    order = {"problem": 0, "update": 1, "create": 2, "unchanged": 3}
    rows = sorted(job_rows(job), key=lambda r: (order[r["action"] or "problem"], r["line"]))
    return rows[:limit], Counter(r["action"] or "problem" for r in rows)


def run_import_step(actor: User, job_id: int) -> ImportJob:
    """Import the next chunk of a job's valid rows; its own transaction, idempotent by phone."""
    begin_write()
    job = db.session.execute(
        select(ImportJob).where(ImportJob.id == job_id, ImportJob.created_by_id == actor.id)
        .with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    if job.status == "finished":
        return job
    if job.status == "preview":
        job.status = "running"
        record_event(actor, "import.start", job, filename=job.filename, total=job.total)
    chunk = [r for r in job_rows(job) if not r["problems"]][job.done:job.done + CHUNK]
    try:
        created, updated = _import_chunk(actor, job, chunk)
    except IntegrityError as exc:  # someone registered one of these phones a moment ago
        raise DomainError(_l("Someone changed these people meanwhile; please try again.")) from exc
    job.done += len(chunk)
    job.created += created
    job.updated += updated
    if job.done >= job.total:
        job.status = "finished"
        record_event(actor, "import.finish", job, created=job.created, updated=job.updated)
    db.session.flush()
    return job


def _import_chunk(actor: User, job: ImportJob, chunk: list[dict]) -> tuple[int, int]:
    """Create people who are new and update those whose branch or member type differ."""
    # Scope is checked again: the actor's roles may have changed since the preview.
    org_ids = set(db.session.scalars(select(Org.id).where(org_in_scope(actor))))
    people = _people_by_phone(actor, (r["phone"] for r in chunk))
    new, updated = [], 0
    for r in chunk:
        person = people.get(r["phone"])
        place = r.get("org_id", r["branch_id"])
        if place not in org_ids or (r["phone"] in people and person is None):
            continue
        if person is None:
            new.append(new_placeholder(r["phone"], r["name"], place, member_type=r["member_type_code"],
                                       branch_id=r["branch_id"], grid_id=r.get("grid_id"),
                                       community_id=r.get("community_id"), employer=r.get("employer", "")))
        elif changes := _changes(person, {"grid": "", "employer": "", **r}):
            record_event(actor, "user.membership", person, import_job=job.id,
                         **{k: v for k, v in changes.items()}, was={k: getattr(person, k) for k in changes})
            for key, value in changes.items():
                setattr(person, key, value)
            updated += 1
    db.session.add_all(new)
    db.session.flush()
    for person in new:
        record_event(actor, "user.import", person, import_job=job.id, branch_id=person.branch_id)
    return len(new), updated
