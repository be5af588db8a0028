"""Importing party members from a roster: upload, a preview of every row, then the import in steps."""
from flask import Blueprint, render_template, url_for
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

    done = perform(read, _("The file is checked. Nothing is imported yet: look at the rows below."),
                   lambda job: url_for(".show", job_id=job.id), form=form, field="file")
    return done or (render_template("admin/import_new.html", form=form), 422)


@bp.get("/<int:job_id>")
@organizer_required
def show(job_id: int):
    """The preview of an import, its progress, or its result."""
    job = my_import(job_id)
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
