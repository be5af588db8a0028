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


def test_seed_scale_adds_the_grids_work_once_also_to_an_older_data_set(app):
    """Cases in every status and level (some overdue), wishes in every status, rules, and the burst people;
    a data set seeded before they existed gets them on the next run, and a third run adds nothing."""
    from app.cli.scale import seed_scale
    from app.cli.scale_grids import BURST_PEOPLE, FIRST_BURST_PHONE
    from app.models import Case, PointsRule, Wish
    from app.models.base import utcnow
    from app.passwords import HASH_METHOD
    from app.services.case_lists import overdue

    with app.app_context():
        seed_scale(200, 300, 50, 2000)  # the people, activities and hours only, as older data sets are
        db.session.commit()
        demo_cases = db.session.scalar(select(func.count(Case.id)))
        args = ["seed-scale", "--users", "200", "--records", "300", "--cases", "600", "--wishes", "300"]
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, result.output + repr(result.exception)
        assert db.session.scalar(select(func.count(Case.id))) == demo_cases + 600
        assert set(db.session.scalars(select(Case.status).distinct())) == {
            "reported", "accepted", "assigned", "resolved", "closed", "reopened"}
        assert set(db.session.scalars(select(Case.level).distinct())) == {"grid", "community", "street"}
        assert db.session.scalar(select(func.count(Case.id)).where(overdue(utcnow()))) > 0
        assert set(db.session.scalars(select(Wish.status).distinct())) == {
            "pending", "open", "claimed", "fulfilled", "confirmed", "rejected"}
        assert db.session.scalar(select(func.count(PointsRule.id))) > 0
        burst = list(db.session.scalars(select(User.password_hash).where(
            User.phone.between(str(FIRST_BURST_PHONE), str(FIRST_BURST_PHONE + BURST_PEOPLE - 1)))))
        assert len(burst) == BURST_PEOPLE and burst[0].startswith(HASH_METHOD)
        counts = {m: db.session.scalar(select(func.count()).select_from(m)) for m in (Case, Wish, PointsRule, User)}
        again = app.test_cli_runner().invoke(args=args)
        assert again.exit_code == 0 and "already" in again.output
        assert counts == {m: db.session.scalar(select(func.count()).select_from(m)) for m in (Case, Wish, PointsRule, User)}
