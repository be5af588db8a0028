"""People at scale: the pinyin sort key kept with every name, filters, pages."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.services import accounts, people
from app.pinyin import name_key


def test_name_key_reads_pinyin_and_surnames():
    assert name_key("张三") == "zhang san"
    assert name_key("曾小单") == "zeng xiao dan"  # 曾 as a surname is Zeng
    assert name_key(" Anna 李 ") == "anna li"
    assert name_key("") == ""


def test_the_key_follows_every_change_of_the_name(ctx, make_user):
    person = make_user(name="王五")
    assert person.name_pinyin == "wang wu"
    person = db.session.get(User, person.id)
    person.name = "赵六"
    db.session.commit()
    assert db.session.scalar(select(User.name_pinyin).where(User.id == person.id)) == "zhao liu"
    accounts.close_account(person, "secret-pass-8")
    assert person.name_pinyin == name_key(person.name) != "zhao liu"  # closed: the name, and its key, are gone
    placeholder = accounts.new_placeholder("13912345670", "吕布", None)
    assert placeholder.name_pinyin == "lv bu"


@pytest.fixture
def scope(ctx, community, make_org, make_user):
    second = make_org("第二党支部", "branch", parent=community["community"])
    organizer = make_user(role="organizer", org=community["community"])
    return {**community, "second": second, "organizer": organizer}


def test_people_come_in_pinyin_order_and_filter_by_branch_type_and_account(scope, make_user):
    branch, second = scope["branch"], scope["second"]
    for name in ("张伟", "安娜", "曾强", "李娜"):
        make_user(name=name, branch=branch)
    make_user(name="白云", branch=second, member_type="in_service")
    resident = make_user(name="陈阿姨", member_type=None, community_id=scope["community"].id)
    organizer = scope["organizer"]

    def names(**kw):
        return [u.name for u in db.session.scalars(people.people_query(organizer, people.PeopleFilter(**kw)))
                if u.id != organizer.id]

    assert names() == ["安娜", "白云", "陈阿姨", "李娜", "曾强", "张伟"]  # zeng before zhang
    assert names(branch_id=second.id) == ["白云"]
    assert names(person_type="in_service") == ["白云"]
    assert names(person_type="resident") == ["陈阿姨"]
    assert names(account="placeholder") == []
    assert names(q="zhang") == ["张伟"] and names(q="LiNa") == ["李娜"] and names(q="娜") == ["安娜", "李娜"]
    assert resident.name_pinyin == "chen a yi"
