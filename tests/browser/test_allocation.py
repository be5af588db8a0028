"""A lottery class from a phone: the organizer sets it up, members apply, the organizer allocates the
places after the deadline, and a member sees the outcome."""
import random
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Activity, Signup, User
from app.models.base import utcnow

from .test_manage import local_input

pytestmark = pytest.mark.browser

TITLE = "育婴师培训班（免费）"
ORGANIZER, MEMBER, RESIDENT = "13800000001", "13800000003", "13800000009"


def _apply(page, live_server, activity_id):
    page.goto(live_server(f"/activities/{activity_id}"))
    expect(page.locator("[data-allocation]")).to_have_attribute("data-allocation", "lottery")
    page.locator("#signup-panel").get_by_role("button", name="申请").click()
    expect(page.locator("#signup-panel")).to_have_attribute("data-signup-status", "applied")
    expect(page.locator("#signup-panel")).to_contain_text("您已申请")


def test_organizer_runs_a_lottery_class_and_a_member_sees_the_outcome(new_page, live_server, sign_in):
    organizer = sign_in(new_page(), ORGANIZER)
    organizer.goto(live_server("/manage/activities/new"))
    organizer.get_by_label("标题").fill(TITLE)
    organizer.get_by_label("类型").select_option("training")
    organizer.get_by_label("主办组织").select_option(label="西苑社区")
    organizer.get_by_label("地点").fill("西苑社区党群服务中心一楼培训室")
    organizer.fill("#starts_at", local_input(6, 9))
    organizer.fill("#ends_at", local_input(6, 15))
    organizer.fill("#signup_deadline", local_input(4, 9))
    organizer.get_by_label("名额").fill("1")
    organizer.get_by_label("分配方式").select_option("lottery")
    with organizer.expect_navigation():
        organizer.get_by_role("button", name="发布", exact=True).click()
    match = re.fullmatch(re.escape(live_server("/activities/")) + r"(\d+)", organizer.url)
    assert match, organizer.inner_text("main")
    activity_id = int(match[1])
    expect(organizer.locator("[data-allocation]")).to_contain_text("先申请，截止后抽签")

    member = sign_in(new_page(), MEMBER)
    _apply(member, live_server, activity_id)
    _apply(sign_in(new_page(), RESIDENT), live_server, activity_id)
    expect(member.locator("#signup-panel [data-applied]")).to_have_attribute("data-applied", "1")

    with live_server.app.app_context():  # time passes: the applications close
        db.session.get(Activity, activity_id).signup_deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()

    organizer.reload()
    expect(organizer.locator("#signup-panel")).to_contain_text("已有 2 人申请 1 个名额")
    organizer.once("dialog", lambda dialog: dialog.accept())
    with organizer.expect_navigation():
        organizer.get_by_role("button", name="立即分配名额").click()
    expect(organizer.locator("#flash")).to_contain_text("名额已分配，已通知所有申请人。")
    seed = organizer.locator("[data-allocation-seed]").get_attribute("data-allocation-seed")
    expect(organizer.get_by_role("button", name="立即分配名额")).to_have_count(0)

    with live_server.app.app_context():
        ids = {phone: uid for phone, uid in db.session.execute(
            select(User.phone, User.id).where(User.phone.in_([MEMBER, RESIDENT])))}
        statuses = dict(db.session.execute(select(Signup.user_id, Signup.status)
                                           .where(Signup.activity_id == activity_id)).all())
    draw = sorted(ids.values())
    random.Random(int(seed)).shuffle(draw)  # the published algorithm, re-run from the seed on the page
    assert statuses == {draw[0]: "confirmed", draw[1]: "waitlisted"}

    member.reload()
    mine = statuses[ids[MEMBER]]
    expect(member.locator("#signup-panel")).to_have_attribute("data-signup-status", mine)
    expect(member.locator("#signup-panel")).to_contain_text("您已报名" if mine == "confirmed" else "候补第 1 位")
    member.goto(live_server("/notifications"))
    expect(member.locator("main")).to_contain_text(
        "您获得了名额" if mine == "confirmed" else "这次您未获得名额，目前候补第 1 位")
