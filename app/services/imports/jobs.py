"""The import job: the checked rows wait in an ImportJob for the preview, then are imported a chunk a step."""
import json
from collections import Counter

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...database import begin_write
from ...extensions import db
from ...models import ImportJob, Org, User
from ...textutil import has_control_characters
from ..accounts import new_placeholder
from ..audit import record_event
from ..errors import DomainError
from ..scope import org_in_scope
from .rows import changes_to, check_rows, people_by_phone
from .sheet import HEADERS, REQUIRED, XLSX_MAX_COLUMNS, ColumnsNotChosen, RosterColumnsMissing, parse_roster

CHUNK = 200


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
    people = people_by_phone(actor, (r["phone"] for r in chunk))
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
        elif changes := changes_to(person, {"grid": "", "employer": "", **r}):
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
