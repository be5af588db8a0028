"""Importing party members from a roster: upload, a preview of every row, then the import in steps."""
import io

from flask import Blueprint, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..forms_admin import ImportForm
from ..labels import IMPORT_ACTIONS, IMPORT_PROBLEMS, MEMBER_TYPE_LABELS
from ..services import imports
from .guards import organizer_required
from .loaders import my_import
from .perform import perform

bp = Blueprint("admin_import", __name__, url_prefix="/admin/import")


@bp.get("")
@organizer_required
def new():
    """The upload form, with the columns a roster needs."""
    return render_template("admin/import_new.html", form=ImportForm())


@bp.post("")
@organizer_required
def upload():
    """Read and check a roster; nothing is imported before the preview is confirmed."""
    form = ImportForm()

    def read():
        upload = form.file.data
        return imports.create_import(current_user, upload.filename, imports.read_upload(upload.stream))

    done = perform(read, _read_message, lambda job: url_for(".show", job_id=job.id), form=form, field="file")
    return done or (render_template("admin/import_new.html", form=form), 422)


def _read_message(job):
    """A kept file lacking a column is no success: the page asks which column is which."""
    if job.status == "columns":
        return _("The file is kept, but its first row lacks a column: choose which column is which."), "error"
    return _("The file is checked. Nothing is imported yet: look at the rows below.")


@bp.get("/template.xlsx")
@organizer_required
def template():
    """The roster template to fill in: 姓名 and 手机号 required; 党支部, 党员类型, 网格, 工作单位 optional."""
    return send_file(io.BytesIO(imports.template_workbook()), download_name="党员名单模板.xlsx", as_attachment=True,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/<int:job_id>/columns")
@organizer_required
def choose_columns(job_id: int):
    """Say which column of the kept file holds what; then the rows are checked as after any upload."""
    job = my_import(job_id)
    chosen = {f: request.form.get(f, type=int) for f in imports.HEADERS}

    def read():
        return imports.choose_columns(current_user, job, chosen)

    return perform(read, _("The file is checked. Nothing is imported yet: look at the rows below."),
                   url_for(".show", job_id=job.id))


@bp.get("/<int:job_id>")
@organizer_required
def show(job_id: int):
    """The preview of an import, its progress, or its result."""
    job = my_import(job_id)
    if job.status == "columns":
        header, missing = imports.kept_header(job)
        return render_template("admin/import_columns.html", job=job, header=header, missing=missing,
                               missing_names=[imports.COLUMN_NAMES[f] for f in missing], names=imports.COLUMN_NAMES,
                               required=imports.REQUIRED)
    rows, counts = imports.preview(job)
    return render_template("admin/import_show.html", job=job, rows=rows, counts=counts, problems=IMPORT_PROBLEMS,
                           actions=IMPORT_ACTIONS, member_type_labels=MEMBER_TYPE_LABELS)


@bp.post("/<int:job_id>/step")
@organizer_required
def step(job_id: int):
    """Import the next chunk of rows; htmx gets the progress bar, which asks for the next step itself."""
    my_import(job_id)
    return perform(lambda: imports.run_import_step(current_user, job_id), None, url_for(".show", job_id=job_id),
                   fragment=lambda job: render_template("admin/_import_progress.html", job=job), reread=False)
