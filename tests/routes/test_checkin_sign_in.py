"""A signed-out person scanning the check-in QR is sent to sign in and back, and the code still counts."""
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from app.extensions import db
from app.models import Activity, Signup
from app.services import checkin
from app.services.errors import CheckinExpired


@pytest.fixture
def running(app, community, make_user, make_activity):
    activity = make_activity(community["community"], starts_in=timedelta(minutes=-10))
    member = make_user()
    with app.app_context():
        db.session.add(Signup(activity_id=activity.id, user_id=member.id, status="confirmed"))
        db.session.commit()
        code = checkin.current_code(activity.id)
    return activity, member, code


def test_signed_out_scan_goes_to_sign_in_and_back_then_checks_in(app, client, running, login):
    activity, member, code = running
    response = client.get(f"/activities/{activity.id}/checkin/{code}")
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/login"
    back = parse_qs(urlsplit(response.headers["Location"]).query)["next"][0]
    assert back.startswith(f"/activities/{activity.id}/checkin/{code}?t=")
    login(member)
    page = client.get(back).get_data(as_text=True)
    assert 'data-checkin="ready"' in page and "?t=" in page.split('<form method="post" action="')[1].split('"')[0]
    done = client.post(back)
    assert done.status_code == 200 and 'data-checkin="done"' in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Activity, activity.id) and db.session.scalar(
            db.select(Signup.attendance).where(Signup.user_id == member.id)) == "attended"


def test_a_wrong_code_signed_out_says_so_without_sending_to_sign_in(client, running):
    activity, _member, _code = running
    response = client.get(f"/activities/{activity.id}/checkin/123-abc")
    assert response.status_code == 422 and 'data-checkin="error"' in response.get_data(as_text=True)


def test_the_scan_token_keeps_an_aged_code_good_for_that_code_only(ctx, running):
    activity, _member, code = running
    activity = db.session.get(Activity, activity.id)
    later = time.time() + 5 * 60
    with pytest.raises(CheckinExpired):
        checkin.verify_code(activity, code, now=later)
    checkin.verify_code(activity, code, now=later, scanned=checkin.scan_token(activity.id, code))
    other = checkin.current_code(activity.id, now=time.time() - 3 * 60)
    with pytest.raises(CheckinExpired):
        checkin.verify_code(activity, other, now=later, scanned=checkin.scan_token(activity.id, code))
    with pytest.raises(CheckinExpired):
        checkin.verify_code(activity, code, now=later, scanned="forged")
