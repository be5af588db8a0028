"""The signup services against a simple model: a Hypothesis state machine.

The model of one activity is a list of live signups in arrival order and a capacity; the first
`capacity` of them are confirmed, the rest wait. Signing up, cancelling and changing the capacity
in any order must leave the database exactly as the model says, and the errors must be the ones
the model expects.
"""
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import select

from app.extensions import db
from app.models import Activity, Signup, User
from app.models.base import utcnow
from app.services import activities as activity_service
from app.services import signups
from app.services.errors import AlreadySignedUp, CapacityBelowConfirmed, DomainError, NotSignedUp
from tests.invariants import assert_invariants

PEOPLE = 6


def test_signup_services_agree_with_the_model(app, community, make_user):
    people = [make_user().id for _ in range(PEOPLE)]
    organizer = make_user(role="organizer", org=community["community"]).id

    class SignupMachine(RuleBasedStateMachine):
        @initialize(capacity=st.one_of(st.none(), st.integers(1, 4)))
        def open_activity(self, capacity):
            self.ctx = app.test_request_context(method="POST")
            self.ctx.push()
            starts = utcnow() + timedelta(days=2)
            activity = Activity(title="模型活动", kind="reading", location="西苑", org_id=community["community"].id,
                                starts_at=starts, ends_at=starts + timedelta(hours=1), capacity=capacity,
                                audience="all", hours=Decimal("1"), status="published")
            db.session.add(activity)
            db.session.commit()
            self.activity_id, self.capacity, self.live = activity.id, capacity, []

        def teardown(self):
            if hasattr(self, "ctx"):
                db.session.rollback()
                assert_invariants(db.session)
                db.session.rollback()
                self.ctx.pop()

        def _user(self, i) -> User:
            return db.session.get(User, people[i])

        def _expect(self, action, error):
            """Run a service; it must raise `error` (a DomainError class) or, for None, succeed."""
            try:
                action()
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                assert isinstance(exc, error or ()), f"unexpected {type(exc).__name__}"
            else:
                assert error is None, f"expected {error.__name__}"

        @rule(i=st.integers(0, PEOPLE - 1))
        def sign_up(self, i):
            uid = people[i]
            self._expect(lambda: signups.sign_up(self._user(i), self.activity_id),
                         AlreadySignedUp if uid in self.live else None)
            if uid not in self.live:
                self.live.append(uid)

        @rule(i=st.integers(0, PEOPLE - 1))
        def cancel(self, i):
            uid = people[i]
            self._expect(lambda: signups.cancel_signup(self._user(i), self.activity_id),
                         None if uid in self.live else NotSignedUp)
            if uid in self.live:
                self.live.remove(uid)

        @rule(capacity=st.one_of(st.none(), st.integers(1, 5)))
        def change_capacity(self, capacity):
            activity = db.session.get(Activity, self.activity_id)
            data = {k: getattr(activity, k) for k in activity_service.EDITABLE}
            data["capacity"] = capacity
            confirmed = len(self.confirmed())
            too_small = capacity is not None and capacity < confirmed
            self._expect(lambda: activity_service.update_activity(db.session.get(User, organizer), self.activity_id, data),
                         CapacityBelowConfirmed if too_small else None)
            if not too_small:
                self.capacity = capacity

        def confirmed(self):
            return self.live if self.capacity is None else self.live[: self.capacity]

        @precondition(lambda self: hasattr(self, "activity_id"))
        @invariant()
        def database_matches_the_model(self):
            db.session.rollback()
            rows = db.session.execute(select(Signup.user_id, Signup.status).where(
                Signup.activity_id == self.activity_id, Signup.status != "cancelled")
                .order_by(Signup.created_at, Signup.id)).all()
            expected = [(u, "confirmed" if u in self.confirmed() else "waitlisted") for u in self.live]
            assert sorted(rows) == sorted(expected)
            waiting = [u for u, status in rows if status == "waitlisted"]
            assert waiting == [u for u in self.live if u not in self.confirmed()], "the waitlist is in arrival order"
            activity = db.session.get(Activity, self.activity_id)
            assert (activity.confirmed_count, activity.waitlisted_count) == (len(self.confirmed()), len(waiting))
            db.session.rollback()

    run_state_machine_as_test(SignupMachine, settings=settings(
        max_examples=50, stateful_step_count=20, deadline=None, database=None, derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
