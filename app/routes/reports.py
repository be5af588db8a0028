"""Roll-up reports for organizers: the org tree with hours, one org's report, and its exports."""
from flask import Blueprint, render_template, request
from flask_babel import get_locale, gettext as _
from flask_login import current_user

from ..errors import error_response
from ..kept import kept_bytes, kept_html, versions
from ..labels import ORG_KIND_LABELS, REPORT_SOURCE_LABELS, labels
from ..forms_cases import CATEGORY_LABELS
from ..services import reports as report_service
from ..services import reports_cases
from ..services.exports import send_bytes, send_table, table_bytes
from .guards import organizer_required
from .loaders import scoped_org

bp = Blueprint("reports", __name__, url_prefix="/reports")
# What a report shows: records (and the monthly sums their triggers keep), members, orgs and activity kinds.
REPORT_DATA = ("activities", "records", "people")


@bp.errorhandler(report_service.PeriodOutOfRange)
def period_out_of_range(exc):
    return error_response(400, str(exc))


def asked_period() -> report_service.Period:
    """The period in the query string (`from`, `to`), else this calendar year."""
    return report_service.parse_period(request.args.get("from"), request.args.get("to"))


@bp.get("")
@organizer_required
def index():
    """The orgs the organizer manages, each with its approved hours for the period."""
    period = asked_period()
    tree = report_service.scope_tree(current_user, period)
    return render_template("reports/index.html", tree=tree, period=period, org_kinds=ORG_KIND_LABELS)


@bp.get("/orgs/<int:org_id>")
@organizer_required
def show(org_id: int):
    """One org's report: per child (or per member of a branch), per month, per kind."""
    org = scoped_org(org_id)
    period = asked_period()
    locale = str(get_locale())
    body = kept_html("report", (org.id, period, locale), versions(*REPORT_DATA), "reports/_report.html",
                     lambda: {"report": report_service.org_report(org, period), "org_kinds": ORG_KIND_LABELS,
                              "kinds": labels(locale)["kinds"], "sources": REPORT_SOURCE_LABELS,
                              "row_label": report_service.row_label})
    return render_template("reports/show.html", org=org, period=period, body=body,
                           ancestors=report_service.ancestors_in_scope(current_user, org), org_kinds=ORG_KIND_LABELS)


@bp.get("/orgs/<int:org_id>.<any(csv, xlsx):fmt>")
@organizer_required
def export(org_id: int, fmt: str):
    """The per-child table as a CSV or XLSX download (kept, like the page, while the data holds)."""
    org = scoped_org(org_id)
    period = asked_period()
    filename = f"{org.name}-{period.start}-{period.end}"

    def build() -> bytes:
        header, rows = report_service.report_table(org, period)
        heading = f"{org.name} · {_('Report')} · {period.start} – {period.end}"
        return table_bytes(fmt, header, rows, title=_("Report"), heading=heading)

    body = kept_bytes("report", (org.id, period, fmt, str(get_locale())), versions(*REPORT_DATA), build)
    return send_bytes(fmt, filename, body)


@bp.get("/orgs/<int:org_id>/cases")
@organizer_required
def cases(org_id: int):
    """The case report of an org subtree: per grid and category, received, in time, rating, escalations."""
    org = scoped_org(org_id)
    period = asked_period()
    rows, total = reports_cases.case_rows(org, period)
    return render_template("reports/cases.html", org=org, period=period, rows=rows, total=total,
                           categories=CATEGORY_LABELS)


@bp.get("/orgs/<int:org_id>/cases.<any(csv, xlsx):fmt>")
@organizer_required
def cases_export(org_id: int, fmt: str):
    """The case report as a CSV or XLSX download."""
    org = scoped_org(org_id)
    period = asked_period()
    header, rows = reports_cases.case_table(org, period, CATEGORY_LABELS)
    return send_table(fmt, f"{org.name}-{_('Cases')}-{period.start}-{period.end}", header, rows, title=_("Cases"),
                      heading=f"{org.name} · {_('Cases')} · {period.start} – {period.end}")
