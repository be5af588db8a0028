"""My service hours: the records, reporting hours by hand, corrections, the yearly certificate."""
from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..database import begin_write
from ..extensions import db
from ..forms import HoursForm, ReasonForm
from ..services import posts, records
from ..services.certificates import find_certificate, issue_certificate, qr_svg
from ..services.exports import content_disposition
from ..services.images import draw_certificate
from ..templating import day, hours as hours_text
from ..timeutil import local_today
from ..urls import public_url
from .perform import perform
from .loaders import own_record

bp = Blueprint("hours", __name__)


def _hours_form() -> HoursForm:
    form = HoursForm()
    held = posts.my_posts(current_user)
    form.post_id.choices = [SelectChoice(0, _("No post: other service"))] + [SelectChoice(p.id, p.title) for p in held]
    if request.method == "GET":
        form.date.data = local_today()
        # Coming from a post's page: that post is chosen (a post I do not hold is ignored).
        chosen = request.args.get("post_id", type=int)
        if chosen in {p.id for p in held}:
            form.post_id.data = chosen
    return form


@bp.route("/me/hours", methods=["GET", "POST"])
@login_required
def mine():
    """My records of a year with the totals; the form to report hours by hand."""
    form = _hours_form()
    if request.method == "POST" and (done := perform(
            lambda: records.report_hours(current_user, form.date.data, form.hours.data, form.note.data.strip(),
                                         post_id=form.post_id.data or None),
            _("Your hours are recorded and wait for an organizer's approval."), url_for(".mine"),
            form=form, field="hours")):
        return done
    year = request.args.get("year", type=int)
    if year is None or not 2000 <= year <= local_today().year + 1:  # a huge number would overflow the database
        year = local_today().year
    totals, pending = records.hour_totals(current_user)
    context = {"form": form, "year": year, "items": records.my_records(current_user, year),
               "totals": totals, "pending": pending, "reason_form": ReasonForm()}
    return render_template("hours/mine.html", **context), 422 if form.errors else 200


@bp.post("/me/hours/<int:record_id>/correction")
@login_required
def request_correction(record_id: int):
    """Ask an organizer to correct one of my records."""
    record = own_record(record_id)
    return perform(lambda: records.request_correction(current_user, record, request.form.get("reason", "")),
                   _("Your request is sent to the organizers."), url_for(".mine", year=record.served_on.year),
                   fragment=lambda _r: render_template("hours/_record.html", r=record, reason_form=ReasonForm(),
                                                       oob_flash=True))


def _my_certificate(year: int):
    """My certificate of `year`, issued anew only when my hours changed."""
    if not 2000 <= year <= local_today().year:
        abort(404)
    begin_write()  # printing is a GET that may write: take the write lock before reading the totals
    issuer = current_user.community or (current_user.branch.parent if current_user.branch else None)
    cert = issue_certificate(current_user, year, issuer)
    db.session.commit()
    return cert


@bp.get("/me/hours/certificate/<int:year>")
@login_required
def certificate(year: int):
    """The printable certificate of my approved hours in a year."""
    cert = _my_certificate(year)
    items = [r for r in records.my_records(current_user, year) if r.status == "approved"]
    url = public_url(".verify", number=cert.number)
    return render_template("hours/certificate.html", cert=cert, items=items, qr=qr_svg(url), verify_url=url)


@bp.get("/me/hours/certificate/<int:year>.png")
@login_required
def certificate_image(year: int):
    """The same certificate as a picture, to save on the phone and forward."""
    cert = _my_certificate(year)
    body = _("This certifies that %(name)s (%(branch)s) did %(hours)s hours of volunteer service in %(year)d, "
             "in %(count)d records.", name=cert.user.name, branch=cert.branch_name or _("no branch"),
             hours=hours_text(cert.total_hours), year=cert.year, count=cert.record_count)
    footer = (_("Issued by: %(org)s", org=cert.issuing_org.name if cert.issuing_org else _("Hongxin")),
              _("Certificate number: %(number)s", number=cert.number),
              _("Issued on: %(day)s", day=day(cert.issued_at)))
    png = draw_certificate(_("Volunteer service record certificate"), body, footer,
                           public_url(".verify", number=cert.number), _("Scan to verify"))
    return Response(png, mimetype="image/png",
                    headers={"Content-Disposition": content_disposition(f"{cert.number}.png")})


@bp.get("/certificates/<number>")
def verify(number: str):
    """Public check of a certificate number: who, which year, how many hours."""
    cert = find_certificate(number)
    return render_template("hours/verify.html", cert=cert, number=number), 200 if cert else 404
