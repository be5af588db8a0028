"""Sharing: addresses people take away come from FLASK_PUBLIC_URL; the WeChat poster of an activity."""
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import zxingcpp
from PIL import Image, ImageFont

from app.extensions import db
from app.models import Activity, ServiceRecord
from app.services import images
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
    assert "data-print" in body and f'href="/me/hours/certificate/{year}.png"' in body
    picture = client.get(f"/me/hours/certificate/{year}.png")
    assert picture.mimetype == "image/png" and f"{number}.png" in picture.headers["Content-Disposition"]
    image = Image.open(io.BytesIO(picture.data))
    assert image.size == (1200, 850)
    (found,) = zxingcpp.read_barcodes(image)
    assert found.text == url


def test_check_in_qr_points_at_the_public_address(app, client, org, make_user, make_activity, login):
    activity = make_activity(org, starts_in=timedelta(minutes=20))
    login(make_user(role="organizer", org=org))
    page = client.get(f"/manage/activities/{activity.id}/checkin").get_data(as_text=True)
    url = re.search(r'data-checkin-url="([^"]+)"', page).group(1)
    assert url.startswith(f"{PUBLIC}/activities/{activity.id}/checkin/")
    assert qr_svg(url) in page  # the code drawn is the code of that address


def poster_of(client, activity_id, **kw):
    return client.get(f"/activities/{activity_id}/poster.png", **kw)


def test_poster_is_a_png_whose_qr_code_opens_the_activity(client, org, make_activity):
    activity = make_activity(org, title="小广告清理", location="文锦西苑3号楼")
    response = poster_of(client, activity.id)
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "PNG" and image.size == (750, 1200) and len(response.data) < 200_000
    (found,) = zxingcpp.read_barcodes(image)
    assert found.format == zxingcpp.BarcodeFormat.QRCode and found.text == f"{PUBLIC}/activities/{activity.id}"


def test_poster_is_drawn_in_a_cjk_font(app):
    """Chinese on the poster needs a CJK font: fonts-noto-cjk (make browser) provides one."""
    with app.app_context():
        face = images.font(40)
    assert isinstance(face, ImageFont.FreeTypeFont) and face.getlength("红心") > 60
    assert face.font.getsize("红")[0][0] > 0 and face.getmask("红").getbbox() is not None


def test_poster_is_kept_until_what_it_shows_changes(app, client, org, make_activity):
    activity = make_activity(org, title="读书会第四期")
    first = poster_of(client, activity.id)
    etag = first.headers["ETag"]
    again = poster_of(client, activity.id, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    with app.app_context():
        db.session.get(Activity, activity.id).title = "读书会第五期"
        db.session.commit()
    changed = poster_of(client, activity.id, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag and changed.data != first.data


def test_poster_of_a_draft_is_only_for_its_organizers(client, org, make_org, make_user, make_activity, login):
    draft = make_activity(org, status="draft")
    assert poster_of(client, draft.id).status_code == 404
    login(make_user())
    assert poster_of(client, draft.id).status_code == 404
    login(make_user(role="organizer", org=make_org("太和社区")))
    assert poster_of(client, draft.id).status_code == 404
    login(make_user(role="organizer", org=org))
    response = poster_of(client, draft.id)
    assert response.status_code == 200 and response.headers["Cache-Control"] in ("no-store", "private, no-cache")


def test_activity_page_offers_the_link_to_copy_and_the_poster(client, org, make_activity):
    activity = make_activity(org)
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert f'value="{PUBLIC}/activities/{activity.id}"' in page and "data-copy" in page
    assert f'href="/activities/{activity.id}/poster.png"' in page and "<script>" not in page


def test_a_poster_font_setting_that_names_no_file_falls_back_to_the_cjk_font(app, client, org, make_activity, caplog):
    app.config["POSTER_FONT"] = "/nonexistent/font.ttc"
    assert poster_of(client, make_activity(org).id).status_code == 200
    with app.app_context():
        assert images.font(40).getmask("红").getbbox() is not None
    assert "FLASK_POSTER_FONT=/nonexistent/font.ttc is not a file" in caplog.text
