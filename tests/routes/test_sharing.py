"""Sharing: addresses people take away come from FLASK_PUBLIC_URL; the WeChat poster of an activity."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import ServiceRecord
from app.services.certificates import qr_svg
from app.timeutil import local_today

PUBLIC = "https://hongxin.example.cn"


@pytest.fixture
def app_config():
    return {"PUBLIC_URL": PUBLIC + "/"}


@pytest.fixture
def org(community):
    return community["community"]


def test_calendar_file_links_to_the_public_address(client, org, make_activity):
    activity = make_activity(org)
    body = client.get(f"/activities/{activity.id}.ics").get_data(as_text=True)
    assert f"URL:{PUBLIC}/activities/{activity.id}" in body.replace("\r\n ", "") and "localhost" not in body


def test_calendar_feed_address_and_its_events_use_the_public_address(client, org, make_user, make_activity, login):
    login(make_user())
    page = client.get("/me").get_data(as_text=True)
    feed = re.search(r'value="(https://hongxin\.example\.cn/calendar/[^"]+\.ics)"', page).group(1)
    assert "localhost" not in feed


def test_certificate_verification_link_and_qr_use_the_public_address(app, client, make_user, login, community):
    user = login(make_user(branch=community["branch"]))
    with app.app_context():
        db.session.add(ServiceRecord(user_id=user.id, source="manual", served_on=local_today(), hours=Decimal("2"),
                                     content="值守", status="approved", branch_id=community["branch"].id))
        db.session.commit()
        year = local_today().year
    body = client.get(f"/me/hours/certificate/{year}").get_data(as_text=True)
    number = body.split('data-certificate-number="')[1].split('"')[0]
    url = f"{PUBLIC}/certificates/{number}"
    assert url in body and "localhost/certificates" not in body
    with app.app_context():
        assert qr_svg(url) in body


def test_check_in_qr_points_at_the_public_address(app, client, org, make_user, make_activity, login):
    activity = make_activity(org, starts_in=timedelta(minutes=20))
    login(make_user(role="organizer", org=org))
    page = client.get(f"/manage/activities/{activity.id}/checkin").get_data(as_text=True)
    url = re.search(r'data-checkin-url="([^"]+)"', page).group(1)
    assert url.startswith(f"{PUBLIC}/activities/{activity.id}/checkin/")
    assert qr_svg(url) in page  # the code drawn is the code of that address
