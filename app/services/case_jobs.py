"""What falls due on cases without a request (`flask tick`): overdue alerts and closing unconfirmed cases."""
from datetime import datetime

from sqlalchemy import or_, select

from ..database import begin_write
from ..extensions import db
from ..models import Case
from ..models.case import CONFIRM_WINDOW, IN_HAND
from .cases import level_handlers, record_step, tell_reporter
from .notifications import notify


def alert_overdue_cases(now: datetime) -> int:
    """Tell the handlers once per case and deadline that it has passed (the alert time is kept on the case)."""
    begin_write()
    late = db.session.scalars(select(Case).where(or_(
        (Case.status == "reported") & (Case.accept_due < now) & Case.accept_alerted_at.is_(None),
        Case.status.in_(IN_HAND) & (Case.resolve_due < now) & Case.resolve_alerted_at.is_(None),
    )).order_by(Case.id)).all()
    for case in late:
        step = "accept" if case.status == "reported" else "resolve"
        setattr(case, f"{step}_alerted_at", now)
        notify(level_handlers(case), "case_overdue", title=case.title, case_id=case.id, step=step)
    db.session.flush()
    return len(late)


def close_unconfirmed_cases(now: datetime) -> int:
    """Close the cases resolved more than 7 days ago that the reporter neither confirmed nor reopened."""
    begin_write()
    due = db.session.scalars(select(Case).where(Case.status == "resolved", Case.resolved_at <= now - CONFIRM_WINDOW)
                             .order_by(Case.id)).all()
    for case in due:
        case.status, case.closed_at = "closed", now
        record_step(None, case, "close", now)
        tell_reporter(case, "case_closed")
    db.session.flush()
    return len(due)
