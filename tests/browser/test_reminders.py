"""The day-before reminder on a phone (360 px): the text's link opens without signing in, "no" gives the
seat back, and the first person waiting gets it and a text message; the organizer's roster shows who confirmed."""
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Activity, Org, Signup, User
from app.models.base import utcnow
from app.services import signups
from app.services.tick import run_due

from .conftest import SCREENSHOTS, _path
from .test_layout import overflow

pytestmark = pytest.mark.browser

MEMBER, FIRST_WAITING, SECOND_WAITING, ORGANIZER = "13800000003", "13800000004", "13800000005", "13800000001"


def _texts(live_server) -> list[dict]:
    path = Path(live_server.app.config["SMS_OUTBOX"])
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _one_seat_tomorrow(live_server) -> int:
    """An activity starting in 12 hours with one seat: the member holds it, two people wait; tick reminds."""
    with live_server.app.app_context():
        people = {p: db.session.scalar(select(User).where(User.phone == p))
                  for p in (MEMBER, FIRST_WAITING, SECOND_WAITING, ORGANIZER)}
        start = utcnow() + timedelta(hours=12)
        activity = Activity(title="小区环境清理", kind="cleanup", location="文锦西苑 3 号楼前",
                            org=db.session.scalar(select(Org).where(Org.name == "西苑社区")), starts_at=start,
                            ends_at=start + timedelta(hours=2), capacity=1, audience="all", hours=Decimal("2"),
                            status="published", created_by_id=people[ORGANIZER].id)
        db.session.add(activity)
        db.session.commit()
        for phone in (MEMBER, FIRST_WAITING, SECOND_WAITING):
            signups.sign_up(people[phone], activity.id)
            db.session.commit()
        assert run_due(utcnow())["reminders"] == 1
        return activity.id


def test_the_reminder_link_gives_the_seat_to_the_first_person_waiting(new_page, live_server, sign_in):
    activity_id = _one_seat_tomorrow(live_server)
    (reminder,) = [m for m in _texts(live_server) if m["purpose"] == "reminder"]
    assert reminder["to"] == MEMBER and "还来吗" in reminder["text"] and len(reminder["text"]) < 140
    link = reminder["text"].rsplit(" ", 1)[1]

    page = new_page()  # the member's phone, not signed in
    page.goto(live_server(_path(link)))
    expect(page.locator("h1")).to_have_text("还来参加吗？")
    expect(page.locator("#reminder")).to_have_attribute("data-coming", "unknown")
    expect(page.locator("#reminder")).to_contain_text("小区环境清理")
    assert overflow(page)["scrollWidth"] <= 360
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "reminder-still-coming.png", full_page=True, animations="disabled")
    for name in ("会来，准时参加", "不来了，退回名额"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= 360

    with page.expect_navigation():
        page.get_by_role("button", name="不来了，退回名额").click()
    assert _path(page.url) == f"/activities/{activity_id}"
    expect(page.locator("#flash")).to_contain_text("名额已退回")
    page.screenshot(path=SCREENSHOTS / "reminder-seat-given-back.png", full_page=True, animations="disabled")

    with live_server.app.app_context():
        status = {phone: s for phone, s in db.session.execute(
            select(User.phone, Signup.status).join(User, User.id == Signup.user_id)
            .where(Signup.activity_id == activity_id))}
    assert status == {MEMBER: "cancelled", FIRST_WAITING: "confirmed", SECOND_WAITING: "waitlisted"}
    promoted = [m for m in _texts(live_server) if m["purpose"] == "promoted"]
    assert [m["to"] for m in promoted] == [FIRST_WAITING]
    assert promoted[0]["text"].endswith(f"/activities/{activity_id}")

    # The first person waiting now holds the seat; the next tick reminds them, once.
    with live_server.app.app_context():
        assert run_due(utcnow())["reminders"] == 1
        assert run_due(utcnow())["reminders"] == 0
    link = [m for m in _texts(live_server) if m["purpose"] == "reminder"][-1]["text"].rsplit(" ", 1)[1]
    theirs = new_page()
    theirs.goto(live_server(_path(link)))
    with theirs.expect_navigation():
        theirs.get_by_role("button", name="会来，准时参加").click()
    expect(theirs.locator("#reminder")).to_have_attribute("data-coming", "yes")

    organizer = sign_in(new_page(), ORGANIZER)
    organizer.goto(live_server(f"/manage/activities/{activity_id}/roster"))
    with live_server.app.app_context():
        first_id = db.session.scalar(select(User.id).where(User.phone == FIRST_WAITING))
    expect(organizer.locator(f"tr[data-user-id='{first_id}']")).to_have_attribute("data-coming", "yes")
    expect(organizer.locator(f"tr[data-user-id='{first_id}']")).to_contain_text("已确认会来")
    assert overflow(organizer)["scrollWidth"] <= 360
    organizer.screenshot(path=SCREENSHOTS / "reminder-roster-coming.png", full_page=True, animations="disabled")
