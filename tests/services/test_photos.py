"""Photo files follow their transaction: a commit keeps them, anything else deletes them (cases and wishes alike)."""
from decimal import Decimal
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import CasePhoto, Grid, RoleGrant, Wish, WishPhoto
from app.services import cases, wishes
from app.services.errors import PhotoNotImage, TooManyPhotos, WishNotClaimedByYou
from tests.photos import exif_of, photo


@pytest.fixture
def place(ctx, community, make_user):
    """A grid of 西苑社区, its grid worker, a resident who reports and wishes, and two members."""
    comm = community["community"]
    grid = Grid(community_id=comm.id, name="第一网格")
    db.session.add(grid)
    db.session.commit()
    worker = make_user(name="网格员", member_type=None, community_id=comm.id)
    worker.grants.append(RoleGrant(role="grid_worker", org_id=comm.id, grid_id=grid.id))
    db.session.commit()
    return {"grid": grid, "worker": worker, "resident": make_user(name="张居民", member_type=None, community_id=comm.id),
            "member": make_user(name="李党员", branch=community["branch"]),
            "other_member": make_user(name="王党员", branch=community["branch"])}


def files() -> list[str]:
    """The photo files in the upload folder (the storage's own temporary files are never left behind either)."""
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _report(place, photos):
    fields = {"title": "楼道灯不亮", "category": "urban", "urgency": "normal", "grid_id": place["grid"].id}
    return cases.report_case(place["resident"], fields, photos)


def _claimed(place) -> int:
    wish = wishes.create_wish(place["resident"], {"title": "冬天的棉衣", "grid_id": place["grid"].id})
    db.session.commit()
    wishes.approve_wish(place["worker"], wish.id)
    wishes.claim_wish(place["member"], wish.id)
    db.session.commit()
    return wish.id


def test_a_report_rolled_back_after_its_photos_were_stored_leaves_no_file(place):
    """Failed before the session events: the file stayed in the folder with no row naming it."""
    case = _report(place, [photo(), photo("PNG")])
    assert len(files()) == 2 and sorted(p.name for p in case.photos) == files()
    db.session.rollback()
    assert files() == []
    assert db.session.scalar(select(func.count()).select_from(CasePhoto)) == 0


def test_a_session_closed_without_a_commit_leaves_no_file(place):
    """The end of a request that never committed (an error page, a lock not obtained) closes the session."""
    _report(place, [photo()])
    db.session.close()
    assert files() == []


def test_committed_photos_stay_whatever_the_session_does_next(place):
    case = _report(place, [photo()])
    db.session.commit()
    kept = files()
    assert kept == [case.photos[0].name]
    _report(place, [photo("WEBP")])
    db.session.rollback()
    db.session.close()
    assert files() == kept


def test_a_photo_refused_by_its_content_stores_nothing_of_the_others(place):
    with pytest.raises(PhotoNotImage):
        _report(place, [photo(), b"%PDF-1.4 not a picture"])
    with pytest.raises(TooManyPhotos):
        _report(place, [photo()] * 4)
    assert files() == []


def test_fulfilling_with_photos_stores_them_cleaned_on_the_wish(place):
    wish_id = _claimed(place)
    wish = wishes.fulfil_wish(place["member"], wish_id, "送去了棉衣", Decimal("1"),
                              [photo(size=(3000, 2000), gps=True), photo("PNG")])
    db.session.commit()
    assert wish.status == "fulfilled" and [p.content_type for p in wish.photos] == ["image/jpeg", "image/png"]
    assert files() == sorted(p.name for p in wish.photos)
    first = Path(current_app.config["UPLOAD_FOLDER"]) / wish.photos[0].name
    assert exif_of(first.read_bytes()) == {} and (wish.photos[0].width, wish.photos[0].height) == (1600, 1067)


def test_a_refused_fulfil_with_a_valid_photo_leaves_no_row_and_no_file(place):
    wish_id = _claimed(place)
    with pytest.raises(WishNotClaimedByYou):
        wishes.fulfil_wish(place["other_member"], wish_id, "送去了", Decimal("1"), [photo()])
    db.session.rollback()
    wishes.fulfil_wish(place["member"], wish_id, "送去了", Decimal("1"), [photo()])
    db.session.commit()
    kept = files()
    with pytest.raises(WishNotClaimedByYou):  # a second tap on "Mark fulfilled"
        wishes.fulfil_wish(place["member"], wish_id, "送去了", Decimal("1"), [photo("PNG")])
    db.session.rollback()
    assert len(kept) == 1 and files() == kept
    assert db.session.scalar(select(func.count()).select_from(WishPhoto)) == 1


def test_a_bad_photo_refuses_the_fulfil_and_changes_nothing(place):
    wish_id = _claimed(place)
    with pytest.raises(PhotoNotImage):
        wishes.fulfil_wish(place["member"], wish_id, "送去了", Decimal("1"), [photo(), photo("GIF")])
    db.session.rollback()
    assert db.session.get(Wish, wish_id).status == "claimed" and files() == []
