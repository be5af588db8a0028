"""Cases through HTTP: each step as a plain form and with htmx, 422 with the form on bad input, photos."""
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.models import Case, CasePhoto, Grid, Notification, RoleGrant, ServiceRecord
from app.services.photos import MAX_PHOTO_BYTES
from tests.photos import exif_of, photo


@pytest.fixture
def place(app, community, make_user, make_org):
    """A grid of 西苑社区, its worker, a member, a resident who reports, and a co-building unit."""
    with app.app_context():
        grid = Grid(community_id=community["community"].id, name="第一网格")
        db.session.add(grid)
        db.session.commit()
        grid_id = grid.id
    unit = make_org("西苑物业服务中心", "unit", parent=community["community"])
    worker = make_user("李强", branch=community["branch"])
    with app.app_context():
        db.session.add(RoleGrant(user_id=worker.id, role="grid_worker", org_id=community["community"].id, grid_id=grid_id))
        db.session.commit()
    resident = make_user("周小梅", member_type=None, grid_id=grid_id, community_id=community["community"].id)
    member = make_user("张伟", branch=community["branch"])
    organizer = make_user("王丽", role="organizer", org=community["community"])
    return {"grid_id": grid_id, "worker": worker, "resident": resident, "member": member, "organizer": organizer,
            "unit": unit}


def form(**kw):
    return {"title": "楼道灯不亮", "description": "三单元楼道灯坏了一周", "category": "urban", "urgency": "normal",
            "grid_id": "0", "location": "12号楼三单元", **kw}


def report(client, place, **kw):
    response = client.post("/cases/new", data=form(grid_id=str(place["grid_id"]), **kw),
                           content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def status(app, case_id):
    with app.app_context():
        return db.session.get(Case, case_id).status


def test_the_report_form_preselects_my_grid_and_takes_photos_from_the_camera(client, login, place):
    login(place["resident"])
    body = client.get("/cases/new").get_data(as_text=True)
    assert f'<option selected value="{place["grid_id"]}">' in body or f'value="{place["grid_id"]}" selected' in body
    assert 'accept="image/*"' in body and 'capture="environment"' in body and "multiple" in body


@pytest.mark.parametrize("bad, field", [
    ({"title": ""}, "title"), ({"category": "weather"}, "category"), ({"urgency": "now"}, "urgency"),
    ({"grid_id": "0"}, "grid_id"),
])
def test_a_bad_report_is_422_with_the_form_and_changes_nothing(app, client, login, place, bad, field):
    login(place["resident"])
    data = {**form(grid_id=str(place["grid_id"])), **bad}
    response = client.post("/cases/new", data=data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Case)) is None


def test_photos_lose_their_exif_gps_and_are_served_only_to_who_sees_the_case(app, client, login, place, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    login(place["resident"])
    big = photo(size=(3000, 2000), gps=True)
    assert exif_of(big)[2] == (40.0, 5.0, 24.0)
    case_id = report(client, place, photo=[(io.BytesIO(big), "IMG_0001.JPG"), (io.BytesIO(photo("PNG")), "b.png")])
    with app.app_context():
        photos = db.session.scalars(select(CasePhoto).where(CasePhoto.case_id == case_id)).all()
        names = [p.name for p in photos]
    assert len(photos) == 2 and all("IMG" not in n for n in names)
    url = f"/cases/{case_id}/photos/{photos[0].id}"
    served = client.get(url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert exif_of(served.data) == {}
    assert max(Image.open(io.BytesIO(served.data)).size) == 1600
    assert not any(b"HongxinPhone" in (tmp_path / "uploads" / n).read_bytes() for n in names)
    login(place["member"])
    assert client.get(url).status_code == 404
    login(place["worker"])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("files, message", [
    (lambda: [(io.BytesIO(b"%PDF-1.4 not a picture"), "a.jpg")], "JPEG"),
    (lambda: [(io.BytesIO(photo("GIF")), "a.gif")], "JPEG"),
    (lambda: [(io.BytesIO(photo()), f"{n}.jpg") for n in range(4)], "3"),
    (lambda: [(io.BytesIO(b"\xff\xd8" + b"0" * MAX_PHOTO_BYTES), "big.jpg")], "5 MB"),
])
def test_bad_photos_are_refused_with_a_clear_message(app, client, login, place, tmp_path, files, message):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    login(place["resident"])
    response = client.post("/cases/new", data=form(grid_id=str(place["grid_id"]), photo=files()),
                           headers={"Accept-Language": "en"}, content_type="multipart/form-data")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="photo-error"' in body and message in body
    with app.app_context():
        assert db.session.scalar(select(Case)) is None


def test_each_step_as_a_plain_form(app, client, login, place):
    login(place["resident"])
    case_id = report(client, place)
    login(place["worker"])
    response = client.post(f"/cases/{case_id}/accept")
    assert (response.status_code, response.headers["Location"]) == (303, f"/cases/{case_id}")
    assert client.post(f"/cases/{case_id}/assign", data={"user_id": str(place["member"].id), "org_id": "0"}).status_code == 303
    login(place["member"])
    assert client.post(f"/cases/{case_id}/resolve", data={"note": "换了灯泡", "hours": "1.5"}).status_code == 303
    login(place["resident"])
    body = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'data-case-id="{case_id}"' in body and 'data-case-status="resolved"' in body
    assert client.post(f"/cases/{case_id}/confirm", data={"score": "5", "comment": "谢谢"}).status_code == 303
    assert status(app, case_id) == "closed"
    with app.app_context():
        record = db.session.scalar(select(ServiceRecord).where(ServiceRecord.source == "case"))
        assert (record.user_id, record.hours, record.status) == (place["member"].id, Decimal("1.5"), "pending")


def test_each_step_with_htmx_swaps_the_case(app, client, hx, login, place):
    login(place["resident"])
    case_id = report(client, place)
    login(place["worker"])
    for path, data, state in [("accept", {}, "accepted"), ("escalate", {"reason": "需要物业配合"}, "reported")]:
        response = hx.post(f"/cases/{case_id}/{path}", data=data)
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert body.lstrip().startswith(f'<article id="case-{case_id}"') and f'data-case-status="{state}"' in body
        assert 'hx-swap-oob="true"' in body
    login(place["organizer"])
    assert 'data-case-level="community"' in hx.post(f"/cases/{case_id}/accept").get_data(as_text=True)
    body = hx.post(f"/cases/{case_id}/resolve", data={"note": "协调物业修好", "hours": "0"}).get_data(as_text=True)
    assert 'data-case-status="resolved"' in body
    login(place["resident"])
    body = hx.post(f"/cases/{case_id}/reopen", data={"reason": "又坏了"}).get_data(as_text=True)
    assert 'data-case-status="reopened"' in body


@pytest.mark.parametrize("path, data, field", [
    ("resolve", {"note": "", "hours": "1"}, "note"),
    ("resolve", {"note": "好了", "hours": "1.25"}, "hours"),
    ("escalate", {"reason": ""}, "escalate-reason"),
    ("assign", {"user_id": "0", "org_id": "0"}, "user_id"),
])
def test_bad_step_input_is_422_with_the_form_plain_and_htmx(app, client, hx, login, place, path, data, field):
    login(place["resident"])
    case_id = report(client, place)
    login(place["worker"])
    client.post(f"/cases/{case_id}/accept")
    for c in (client, hx):
        response = c.post(f"/cases/{case_id}/{path}", data=data)
        assert response.status_code == 422
        assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert status(app, case_id) == "accepted"


def test_the_second_accept_gets_a_clear_422(app, client, hx, login, place):
    login(place["resident"])
    case_id = report(client, place)
    login(place["worker"])
    client.post(f"/cases/{case_id}/accept")
    login(place["organizer"])
    response = hx.post(f"/cases/{case_id}/accept")
    assert response.status_code == 422
    assert "已有其他人刚刚受理了此事项" in response.get_data(as_text=True)


def test_an_anonymous_reporter_is_hidden_from_the_assignee_not_the_handler(app, client, login, place):
    login(place["resident"])
    case_id = report(client, place, anonymous="y")
    login(place["worker"])
    client.post(f"/cases/{case_id}/accept")
    assert "周小梅" in client.get(f"/cases/{case_id}").get_data(as_text=True)
    client.post(f"/cases/{case_id}/assign", data={"user_id": str(place["member"].id), "org_id": "0"})
    login(place["member"])
    client.post(f"/cases/{case_id}/resolve", data={"note": "修好了", "hours": "0"})
    login(place["resident"])
    client.post(f"/cases/{case_id}/reopen", data={"reason": "又坏了"})
    login(place["member"])
    body = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert response_ok(body) and 'data-step="reopen"' in body and "周小梅" not in body


def response_ok(body):
    return 'data-case-id="' in body


def test_the_list_filters_and_marks_overdue_cases(app, client, login, place):
    login(place["resident"])
    fresh = report(client, place)
    late = report(client, place, urgency="urgent")
    with app.app_context():
        case = db.session.get(Case, late)
        case.accept_due = case.reported_at - timedelta(minutes=1)
        db.session.commit()
    login(place["worker"])
    body = client.get("/cases?which=grids").get_data(as_text=True)
    assert f'data-case-id="{late}" data-case-status="reported"' in body.replace("\n", " ").replace("  ", " ") or \
        f'data-case-id="{late}"' in body
    assert body.count('data-overdue="true"') == 1
    body = client.get("/cases?overdue=1").get_data(as_text=True)
    assert f'data-case-id="{late}"' in body and f'data-case-id="{fresh}"' not in body
    assert client.get("/cases?which=mine").get_data(as_text=True).count("data-case-id=") == 0
    login(place["member"])
    assert "data-case-id=" not in client.get("/cases").get_data(as_text=True)


def test_notifications_link_to_the_case(app, client, login, place):
    login(place["resident"])
    case_id = report(client, place)
    login(place["worker"])
    client.post(f"/cases/{case_id}/accept")
    login(place["resident"])
    body = client.get("/notifications").get_data(as_text=True)
    assert 'data-notification-kind="case_accepted"' in body and f'href="/cases/{case_id}"' in body


def test_the_case_report_page_and_its_downloads(app, client, login, place, community):
    login(place["resident"])
    report(client, place)
    report(client, place, category="safety")
    login(place["organizer"])
    org = community["community"].id
    body = client.get(f"/reports/orgs/{org}/cases").get_data(as_text=True)
    assert body.count('data-category="') == 2 and 'data-total data-received="2"' in body.replace("\n", " ").replace("        ", "")
    csv = client.get(f"/reports/orgs/{org}/cases.csv")
    assert csv.status_code == 200 and csv.data.startswith(b"\xef\xbb\xbf")
    text = csv.data.decode("utf-8-sig")
    assert "第一网格" in text and "按时办结率（%）" in text and text.count("\r\n") == 4
    xlsx = client.get(f"/reports/orgs/{org}/cases.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    login(place["worker"])
    assert client.get(f"/reports/orgs/{org}/cases").status_code == 403


def test_my_data_download_holds_the_cases_i_reported_with_their_photos(app, client, login, place, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    login(place["resident"])
    case_id = report(client, place, title="路灯坏了", location="3号楼", photo=[(io.BytesIO(photo()), "a.jpg")])
    with app.app_context():
        (photo_id,) = db.session.scalars(select(CasePhoto.id).where(CasePhoto.case_id == case_id))
    (mine,) = client.get("/me/data.json").get_json()["cases_reported"]
    assert (mine["id"], mine["title"], mine["location"]) == (case_id, "路灯坏了", "3号楼")
    assert [p["id"] for p in mine["photos"]] == [photo_id]
    assert client.get(f"/cases/{case_id}/photos/{photo_id}").status_code == 200
    login(place["member"])
    assert client.get("/me/data.json").get_json()["cases_reported"] == []


def test_a_refused_htmx_step_clears_the_earlier_steps_flash(app, client, hx, login, place):
    login(place["resident"])
    case_id = report(client, place)
    login(place["worker"])
    assert hx.post(f"/cases/{case_id}/accept").status_code == 200
    response = hx.post(f"/cases/{case_id}/escalate", data={"reason": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.lstrip().startswith(f'<article id="case-{case_id}"')
    flash = body[body.index('<div id="flash"'):]
    assert 'hx-swap-oob="true"' in flash[:120] and '<p class="flash' not in flash


def test_the_case_list_goes_back_twenty_cases_at_a_time(app, client, login, place):
    login(place["resident"])
    ids = [report(client, place, title=f"第{n}件") for n in range(21)]
    first = client.get("/cases").get_data(as_text=True)
    assert [int(i) for i in re.findall(r'data-case-id="(\d+)"', first)] == ids[::-1][:20]
    assert 'href="/cases?which=all&amp;page=2"' in first or 'href="/cases?page=2&amp;which=all"' in first
    second = client.get("/cases?which=all&page=2").get_data(as_text=True)
    assert [int(i) for i in re.findall(r'data-case-id="(\d+)"', second)] == ids[:1]
    assert "page=1" in second and "page=3" not in second
