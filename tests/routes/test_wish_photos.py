"""Photos of a fulfilled wish over HTTP: sent from a phone with the fulfil form, shown on the wish page, served
only to those who may see the wish; bad or refused uploads answer 422 and leave neither a row nor a file."""
import io
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Grid, RoleGrant, User, Wish, WishPhoto
from app.services.photos import MAX_PHOTO_BYTES
from tests.photos import exif_of, photo


@pytest.fixture
def place(app, community, make_user):
    """西苑社区's 第一网格 with its grid worker, a resident who wishes, the member who claims and another member."""
    with app.app_context():
        grid = Grid(community_id=community["community"].id, name="第一网格")
        db.session.add(grid)
        db.session.commit()
        grid_id = grid.id
    worker = make_user(name="网格员小赵", member_type=None, community_id=community["community"].id)
    with app.app_context():
        db.session.add(RoleGrant(user_id=worker.id, role="grid_worker", org_id=community["community"].id,
                                 grid_id=grid_id))
        db.session.commit()
    return {"grid_id": grid_id, "worker": worker,
            "resident": make_user(name="张居民", member_type=None, community_id=community["community"].id),
            "member": make_user(name="李党员", branch=community["branch"]),
            "other_member": make_user(name="王党员", branch=community["branch"])}


def _wish(app, place, title="冬天的棉衣", photos=None) -> int:
    """A wish of the resident, approved and claimed by the member; fulfilled too when `photos` is given."""
    from app.services import wishes

    with app.test_request_context():
        resident, worker, member = (db.session.get(User, place[k].id) for k in ("resident", "worker", "member"))
        wish = wishes.create_wish(resident, {"title": title, "grid_id": place["grid_id"]})
        db.session.commit()
        wishes.approve_wish(worker, wish.id)
        wishes.claim_wish(member, wish.id)
        if photos is not None:
            wishes.fulfil_wish(member, wish.id, "送到了", Decimal("1"), photos)
        db.session.commit()
        return wish.id


def _photo_ids(app, wish_id) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(WishPhoto.id).where(WishPhoto.wish_id == wish_id).order_by(WishPhoto.id)))


def _files(tmp_path) -> list[str]:
    folder = tmp_path / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _fulfil(client, wish_id, files):
    return client.post(f"/wishes/{wish_id}/fulfil", data={"note": "送去了棉衣", "hours": "1.5", "photo": files},
                       content_type="multipart/form-data")


def test_the_fulfil_form_takes_photos_from_the_phone(app, client, login, place):
    wish_id = _wish(app, place)
    login(place["member"])
    page = client.get(f"/wishes/{wish_id}").get_data(as_text=True)
    form = page[page.index(f'action="/wishes/{wish_id}/fulfil"') - 40:]
    form = form[:form.index("</form>")]
    assert 'enctype="multipart/form-data"' in form and f'hx-post="/wishes/{wish_id}/fulfil"' in form
    assert 'type="file"' in form and 'accept="image/*"' in form and "multiple" in form and 'name="photo"' in form


def test_photos_sent_with_the_fulfil_show_on_the_wish_page_without_their_exif(app, client, login, place, tmp_path):
    wish_id = _wish(app, place)
    login(place["member"])
    big = photo(size=(3000, 2000), gps=True)
    response = _fulfil(client, wish_id, [(io.BytesIO(big), "IMG_0001.JPG"), (io.BytesIO(photo("PNG")), "b.png")])
    assert response.status_code == 303 and response.headers["Location"] == f"/wishes/{wish_id}"
    ids = _photo_ids(app, wish_id)
    assert len(ids) == 2 and len(_files(tmp_path)) == 2
    page = client.get(f"/wishes/{wish_id}").get_data(as_text=True)
    assert 'data-wish-status="fulfilled"' in page
    assert all(f'src="/wishes/{wish_id}/photos/{i}"' in page for i in ids)
    served = client.get(f"/wishes/{wish_id}/photos/{ids[0]}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert "public" not in served.headers["Cache-Control"]
    assert exif_of(served.data) == {} and max(Image.open(io.BytesIO(served.data)).size) == 1600
    assert not any(b"HongxinPhone" in (tmp_path / "uploads" / n).read_bytes() for n in _files(tmp_path))


def test_an_htmx_fulfil_with_a_photo_swaps_the_panel_with_it(app, hx, login, place):
    wish_id = _wish(app, place)
    login(place["member"])
    response = hx.post(f"/wishes/{wish_id}/fulfil", data={"note": "送去了", "hours": "1", "photo": [
        (io.BytesIO(photo()), "a.jpg")]}, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    (photo_id,) = _photo_ids(app, wish_id)
    assert response.status_code == 200 and 'id="wish-panel"' in body and 'data-wish-status="fulfilled"' in body
    assert f'src="/wishes/{wish_id}/photos/{photo_id}"' in body


def test_a_fulfil_without_photos_still_works(app, client, login, place, tmp_path):
    wish_id = _wish(app, place)
    login(place["member"])
    response = client.post(f"/wishes/{wish_id}/fulfil", data={"note": "送去了", "hours": "1", "photo": (io.BytesIO(b""), "")},
                           content_type="multipart/form-data")
    assert response.status_code == 303 and _photo_ids(app, wish_id) == [] and _files(tmp_path) == []


@pytest.mark.parametrize("files, english, chinese", [
    (lambda: [(io.BytesIO(b"%PDF-1.4 not a picture"), "a.jpg")], "JPEG, PNG or WebP", "JPEG、PNG 或 WebP"),
    (lambda: [(io.BytesIO(photo()), "a.jpg"), (io.BytesIO(photo("GIF")), "b.gif")], "JPEG, PNG or WebP", "JPEG、PNG 或 WebP"),
    (lambda: [(io.BytesIO(photo()), f"{n}.jpg") for n in range(4)], "At most 3 photos", "最多上传 3 张照片"),
    (lambda: [(io.BytesIO(b"\xff\xd8" + b"0" * MAX_PHOTO_BYTES), "big.jpg")], "at most 5 MB", "不能超过 5 MB"),
])
def test_bad_photos_get_the_form_back_with_422_in_my_language_and_change_nothing(
        app, client, hx, login, place, tmp_path, files, english, chinese):
    wish_id = _wish(app, place)
    login(place["member"])
    for sender, language, message, whole_page in ((client, "en", english, True), (hx, "zh", chinese, False)):
        client.set_cookie("lang", language)
        response = _fulfil(sender, wish_id, files())
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and 'id="photo-error"' in body and message in body
        assert f'action="/wishes/{wish_id}/fulfil"' in body and "送去了棉衣" in body and 'id="wish-panel"' in body
        assert (english in body) is (language == "en")
        assert ("<html" in body) is whole_page
    with app.app_context():
        assert db.session.get(Wish, wish_id).status == "claimed"
    assert _photo_ids(app, wish_id) == [] and _files(tmp_path) == []


def test_a_refused_fulfil_with_a_valid_photo_leaves_no_row_and_no_file(app, client, login, place, tmp_path):
    wish_id = _wish(app, place)
    login(place["other_member"])
    response = _fulfil(client, wish_id, [(io.BytesIO(photo()), "a.jpg")])
    assert response.status_code == 422
    login(place["member"])
    assert _fulfil(client, wish_id, [(io.BytesIO(photo()), "a.jpg")]).status_code == 303
    kept = _files(tmp_path)
    assert _fulfil(client, wish_id, [(io.BytesIO(photo("PNG")), "b.png")]).status_code == 422  # a second tap
    assert len(kept) == 1 and _files(tmp_path) == kept and len(_photo_ids(app, wish_id)) == 1


def test_a_photo_is_served_only_with_its_own_wish_and_only_to_who_may_see_it(app, client, login, place):
    wish_id = _wish(app, place, photos=[photo()])
    other_id = _wish(app, place, title="一台收音机", photos=[photo("PNG")])
    (mine,), (theirs,) = _photo_ids(app, wish_id), _photo_ids(app, other_id)
    assert client.get(f"/wishes/{wish_id}/photos/{mine}").status_code == 200  # a fulfilled wish is on the wall
    assert client.get(f"/wishes/{wish_id}/photos/{theirs}").status_code == 404
    assert client.get(f"/wishes/{wish_id}/photos/999999").status_code == 404
    with app.app_context():  # should a wish with photos ever leave the wall, its photos leave with it
        db.session.execute(update(Wish).where(Wish.id == wish_id).values(status="pending", claimer_id=None))
        db.session.commit()
    for viewer in (None, place["member"], place["other_member"]):
        if viewer:
            login(viewer)
        assert client.get(f"/wishes/{wish_id}/photos/{mine}").status_code == 404
    for viewer in (place["resident"], place["worker"]):
        login(viewer)
        assert client.get(f"/wishes/{wish_id}/photos/{mine}").status_code == 200


def test_the_wall_shows_no_photos_the_wish_page_does(app, client, place):
    wish_id = _wish(app, place, photos=[photo()])
    wall = client.get("/wishes?status=fulfilled").get_data(as_text=True)
    assert f'data-wish-id="{wish_id}"' in wall and "/photos/" not in wall
    assert "/photos/" in client.get(f"/wishes/{wish_id}").get_data(as_text=True)


def test_the_wish_page_loads_its_photos_in_one_query(app, client, place):
    """One statement for the photos, however many there are."""
    from sqlalchemy import event

    wish_id = _wish(app, place, photos=[photo(), photo("PNG"), photo("WEBP")])
    statements = []
    with app.app_context():
        engine = db.engine
    note = lambda _c, _cur, statement, *_a: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get(f"/wishes/{wish_id}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert sum("FROM wish_photos" in s for s in statements) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WishPhoto)) == 3


def test_my_data_download_holds_my_wishes_and_the_ones_i_fulfilled_with_their_photos(app, client, login, place):
    wish_id = _wish(app, place, title="一副老花镜")
    login(place["member"])
    assert _fulfil(client, wish_id, [(io.BytesIO(photo()), "a.jpg")]).status_code == 303
    (photo_id,) = _photo_ids(app, wish_id)
    (done,) = client.get("/me/data.json").get_json()["wishes_fulfilled"]
    assert (done["id"], done["title"], done["note"]) == (wish_id, "一副老花镜", "送去了棉衣")
    assert [p["id"] for p in done["photos"]] == [photo_id]
    login(place["resident"])
    data = client.get("/me/data.json").get_json()
    assert [(w["id"], w["status"]) for w in data["wishes"]] == [(wish_id, "fulfilled")] and data["wishes_fulfilled"] == []
