"""/admin/people at scale: pinyin order, 50 a page with a pager and [data-total], filters, residents labelled."""
import re

from app.extensions import db
from app.models import User


def rows(body):
    return re.findall(r'data-person-id="(\d+)"', body)


def test_people_page_by_fifty_in_pinyin_order_with_a_total(app, client, hx, community, make_user, login):
    organizer = make_user(name="组织者", role="organizer", org=community["community"])
    with app.app_context():
        db.session.add_all(User(name=f"{surname}{n}", phone=f"1370000{i:04d}", password_hash="x", member_type="community",
                                branch_id=community["branch"].id)
                           for i, (surname, n) in enumerate((s, n) for n in range(15) for s in "张王李赵"))
        db.session.commit()
    login(organizer)
    first = client.get("/admin/people").get_data(as_text=True)
    assert 'data-total="60"' in first and len(rows(first)) == 50 and 'rel="next"' in first
    names = re.findall(r'<a href="/admin/people/\d+">([^<]+)</a>', first)
    assert names[:2] == ["李0", "李1"] and names[-1] == "赵12"  # li, wang, zhang, zhao 0, 1, 10, 11, 12
    second = client.get("/admin/people?page=2").get_data(as_text=True)
    assert len(rows(second)) == 10 and 'rel="prev"' in second
    part = hx.get("/admin/people?q=zhao&page=1")
    body = part.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="people-results"') and 'data-total="15"' in body
    assert client.get("/admin/people?page=99999999999").status_code == 200


def test_people_filters_and_residents_are_labelled(app, client, community, make_org, make_user, login):
    organizer = make_user(role="organizer", org=community["community"])
    second = make_org("第二党支部", "branch", parent=community["community"])
    worker = make_user(name="钱在职", branch=second, member_type="in_service")
    resident = make_user(name="孙居民", member_type=None, community_id=community["community"].id)
    login(organizer)
    body = client.get(f"/admin/people?branch={second.id}").get_data(as_text=True)
    assert rows(body) == [str(worker.id)]
    body = client.get("/admin/people?type=resident").get_data(as_text=True)
    assert rows(body) == [str(resident.id)] and "data-resident" in body
    body = client.get("/admin/people?type=in_service&account=active").get_data(as_text=True)
    assert rows(body) == [str(worker.id)]
    outside = make_org("太和第一党支部", "branch", parent=make_org("太和社区"))
    assert 'data-total="' in client.get(f"/admin/people?branch={outside.id}&type=nonsense").get_data(as_text=True)
