"""`flask seed-scale` works for any size from 50 users up (the benchmark's data set, small here)."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, ServiceRecord, Signup, User
from app.cli.scale import FIRST_PHONE


@pytest.mark.parametrize("users, records", [(50, 0), (210, 0), (120, 300)])
def test_seed_scale_works_for_small_sizes(app, users, records):
    args = ["seed-scale", "--users", str(users), "--records", str(records)]
    with app.app_context():
        result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    with app.app_context():
        scale_people = select(User.id).where(User.phone >= str(FIRST_PHONE))
        assert db.session.scalar(select(func.count()).select_from(scale_people.subquery())) == users
        assert db.session.scalar(select(func.count(ServiceRecord.id))
                                 .where(ServiceRecord.user_id.in_(scale_people))) == records
        counted = db.session.execute(select(Activity.confirmed_count, func.count(Signup.id))
                                     .outerjoin(Signup, (Signup.activity_id == Activity.id) & (Signup.status == "confirmed"))
                                     .group_by(Activity.id)).all()
        assert counted and all(stored == real for stored, real in counted)
        again = app.test_cli_runner().invoke(args=args)
    assert again.exit_code == 0 and "already" in again.output
