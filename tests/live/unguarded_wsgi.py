"""The app with its capacity guard taken out, for the control race test: `gunicorn tests.live.unguarded_wsgi:app`.

Signing up is replaced by the obvious code (count the confirmed, then insert, no lock), so the test
can show that its harness catches an overbooking. The guard's off switch lives here, in the test
tree, and nowhere in the app.
"""
import time

from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import Activity, Signup, User
from app.models.base import utcnow
from app.services import signups


def unguarded_sign_up(user: User, activity_id: int) -> Signup:
    """Count, then insert, without a lock; the seat counters are left alone so the CHECK stays quiet."""
    db.session.rollback()  # leave the request's write transaction: the obvious code reads without a lock
    activity = db.session.get(Activity, activity_id)
    confirmed = db.session.scalar(select(func.count()).select_from(Signup).where(
        Signup.activity_id == activity_id, Signup.status == "confirmed"))
    capacity = activity.capacity
    db.session.commit()
    # Real code does work between deciding and writing (rendering, notifying): without that time the
    # window is so narrow that whether the control sees a race depends on the machine's load.
    time.sleep(0.05)
    status = "confirmed" if capacity is None or confirmed < capacity else "waitlisted"
    signup = Signup(activity_id=activity_id, user_id=user.id, status=status, created_at=utcnow())
    db.session.add(signup)
    db.session.flush()
    return signup


signups.sign_up = unguarded_sign_up
app = create_app()
