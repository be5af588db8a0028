"""The report as a table for the CSV and Excel exports."""

from flask_babel import gettext as _

from ...labels import ORG_KIND_LABELS
from ...models import Org
from .fold import Pass
from .periods import Period
from .rows import OrgRow


def row_label(row: OrgRow, has_children: bool) -> str:
    """The org column of a row: the org's own row is marked when it stands beside children."""
    return _("%(name)s (direct)", name=row.name) if row.direct and has_children else row.name


def report_table(org: Org, period: Period) -> tuple[list[str], list[list]]:
    """The per-child table for an export: translated headers, the rows, and a total row."""
    one = Pass.load(org, period)
    rows, totals = one.rows(), one.counts()
    has_children = any(not r.direct for r in rows)
    header = [_("Org"), _("Org kind"), _("Members"), _("Members with hours"), _("Hours"), _("Activities")]
    body = [[row_label(r, has_children), str(ORG_KIND_LABELS.get(r.kind, r.kind)), r.members,
             r.members_with_hours, r.hours, r.activities] for r in rows]
    body.append([_("Total"), "", totals.members, totals.members_with_hours, totals.hours, totals.activities])
    return header, body
