"""What falls due without a request (`flask tick`): each job does what is due at `now`, once.

A job is `job(now) -> int` (how many things it did). It decides and writes in its own transaction,
which `run_due` commits, and must do nothing the second time it runs for the same `now`: what it
did is recorded in the rows it changed, never only in memory. Messages a job queues are sent after
its commit, like a request's: the last step sends every notice due by SMS (deliveries.py), retries too.
"""
from collections.abc import Callable
from datetime import datetime

from ..extensions import db
from .allocation import allocate_due
from .deliveries import deliver_notices
from .errors import DomainError

Job = Callable[[datetime], int]


def due_jobs() -> list[tuple[str, Job]]:
    """The jobs in the order they run (a job appends itself here where it is built)."""
    from .case_jobs import alert_overdue_cases, close_unconfirmed_cases
    from .reminders import queue_reminders

    return [("allocations", allocate_due), ("case_alerts", alert_overdue_cases), ("case_closing", close_unconfirmed_cases),
            ("reminders", queue_reminders)]


def run_due(now: datetime) -> dict[str, int]:
    """Run every job at `now`, each in its own transaction; one job's refusal leaves the others."""
    done = {}
    for name, job in due_jobs():
        try:
            done[name] = job(now)
            db.session.commit()
        except DomainError:
            db.session.rollback()
            done[name] = 0
    done["sms"] = deliver_notices(now)
    return done
