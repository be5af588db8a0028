"""The demo data (docs/contracts.md, Demo data): the 平城区 org tree, its people and activities."""
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ..database import begin_write
from ..extensions import db
from ..models import Activity, Grid, Org, PostClaim, RoleGrant, ServicePost, ServiceRecord, Signup, User, Wish
from ..models.base import utcnow
from ..timeutil import from_local, local_date, local_today, to_local

DEMO_PASSWORD = "demo1234"

# (name, kind, children)
ORG_TREE = ("平城区", "district", [
    ("卧虎湾街道", "street", [
        ("西苑社区", "community", [
            ("第一党支部", "branch", []),
            ("第二党支部", "branch", []),
            ("西苑物业服务中心", "unit", []),
            ("大同市书法家协会", "unit", []),
        ]),
    ]),
    ("迎宾街道", "street", []),
    ("新旺街道", "street", [
        ("工农路北社区", "community", [("工农路北社区党支部", "branch", [])]),
        ("馨泰花园社区", "community", [("馨泰花园社区党支部", "branch", [])]),
    ]),
    ("水泊寺街道", "street", [
        ("太和社区", "community", [("太和社区党支部", "branch", [])]),
    ]),
    ("新华街道", "street", [
        ("局西社区", "community", [("局西社区党支部", "branch", [])]),
    ]),
])

# phone suffix, name, member type, branch, role, role org
PEOPLE = [
    ("0", "管理员", None, None, "admin", None),
    ("1", "王丽", "community", "第一党支部", "organizer", "西苑社区"),
    ("2", "李强", "community", "第一党支部", "grid_worker", "西苑社区"),
    ("3", "张建国", "retired", "第一党支部", None, None),
    ("4", "刘秀英", "community", "第一党支部", None, None),
    ("5", "陈志明", "community", "第一党支部", None, None),
    ("6", "赵磊", "in_service", "第二党支部", None, None),
    ("7", "孙芳", "community", "太和社区党支部", "organizer", "太和社区"),
    ("9", "周小梅", None, None, None, None),
]

# The buildings of 西苑社区's seven grids (文锦西苑 is the estate of the gas dispute).
GRID_BUILDINGS = [
    ["文锦西苑 1 号楼", "文锦西苑 2 号楼", "文锦西苑 3 号楼", "12 号楼"],
    ["西苑小区 4 号楼", "西苑小区 5 号楼", "西苑广场"],
    ["西苑小区 6 号楼", "西苑小区 7 号楼"],
    ["西苑小区 8 号楼", "西苑小区 9 号楼"],
    ["馨苑 1 号楼", "馨苑 2 号楼"],
    ["馨苑 3 号楼", "暖“新”之家驿站"],
    ["西苑商业街"],
]
# phone suffix → index of the grid (of 西苑社区) the person lives in
HOMES = {"2": 0, "3": 0, "4": 0, "5": 1, "6": 1, "9": 0}


def _build_tree(node, parent, orgs):
    name, kind, children = node
    org = Org(name=name, kind=kind, parent=parent)
    db.session.add(org)
    db.session.flush()
    org.set_path()
    orgs[name] = org
    for child in children:
        _build_tree(child, org, orgs)


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    """A local time `days` from today, as stored UTC."""
    today = to_local(utcnow()).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    return from_local(today + timedelta(days=days, hours=hour, minutes=minute))


def seed_demo() -> bool:
    """Create the demo data in an empty database; False when it is there already."""
    if db.session.scalar(select(User).where(User.phone == "13800000000")):
        return False
    begin_write()  # the case steps below are services, which write in a write transaction
    orgs: dict[str, Org] = {}
    _build_tree(ORG_TREE, None, orgs)
    xiyuan = orgs["西苑社区"]
    grids = [Grid(community=xiyuan, name=f"第{n}网格", buildings="\n".join(buildings))
             for n, buildings in zip("一二三四五六七", GRID_BUILDINGS)]
    db.session.add_all(grids)
    db.session.add(Grid(community=orgs["太和社区"], name="太和第一网格"))

    password_hash = generate_password_hash(DEMO_PASSWORD)
    people = {}
    for suffix, name, member_type, branch, role, role_org in PEOPLE:
        user = User(phone=f"1380000000{suffix}", name=name, password_hash=password_hash, member_type=member_type,
                    branch=orgs.get(branch), community=orgs["太和社区"] if suffix == "7" else xiyuan)
        db.session.add(user)
        if role:
            db.session.add(RoleGrant(user=user, role=role, org=orgs.get(role_org),
                                     grid_id=None if role != "grid_worker" else None))
        people[suffix] = user
    db.session.flush()
    grant = next(g for g in people["2"].grants if g.role == "grid_worker")
    grant.grid_id = grids[0].id
    for suffix, grid in HOMES.items():
        people[suffix].grid_id = grids[grid].id

    organizer = people["1"]
    activities = [
        dict(title="小广告清理志愿服务", kind="cleanup", org=xiyuan, grid_id=grids[0].id, days=3, hour=9, length=2,
             capacity=20, audience="members", hours=Decimal("2"), location="西苑社区第一网格各楼道",
             description="清理楼道、单元门口的小广告，带上手套，工具由社区统一发放。", units=["西苑物业服务中心"]),
        dict(title="楼道粉刷志愿服务", kind="cleanup", org=xiyuan, days=5, hour=14, length=3, capacity=3,
             audience="members", hours=Decimal("3"), location="西苑社区 12 号楼",
             description="粉刷 12 号楼一至三单元楼道墙面。名额有限，满员后可候补。", units=["西苑物业服务中心"]),
        dict(title="红心读书会第四期", kind="reading", org=orgs["第一党支部"], days=7, hour=19, length=2, capacity=15,
             audience="all", hours=Decimal("2"), location="西苑社区党群服务中心二楼阅览室",
             description="共读《习近平谈治国理政》选篇，欢迎居民一起参加。", units=[]),
        dict(title="月嫂培训班（免费）", kind="training", org=xiyuan, days=10, hour=9, length=6, capacity=30,
             audience="all", hours=Decimal("0"), location="西苑社区党群服务中心一楼培训室",
             description="面向辖区待业居民的免费月嫂技能培训，结业颁发证书。名额有限，开课前两天截止申请后公开抽签。",
             units=[], allocation="lottery", deadline_days_before=2),
        dict(title="爱国教育进校园", kind="education", org=xiyuan, days=12, hour=10, length=2, capacity=10,
             audience="members", hours=Decimal("2"), location="西苑小学",
             description="党员志愿者为小学生讲述红色故事，书法家协会现场写春联。", units=["大同市书法家协会"]),
        dict(title="党建项目交流会", kind="meeting", org=orgs["卧虎湾街道"], days=14, hour=15, length=2, capacity=None,
             audience="members", hours=Decimal("1"), location="卧虎湾街道办事处三楼会议室",
             description="各社区交流红心网格党建项目经验。", units=[]),
        dict(title="红心读书会第三期", kind="reading", org=orgs["第一党支部"], days=-7, hour=19, length=2, capacity=15,
             audience="all", hours=Decimal("2"), location="西苑社区党群服务中心二楼阅览室", description="", units=[]),
        dict(title="太和社区环境整治", kind="cleanup", org=orgs["太和社区"], days=4, hour=9, length=3, capacity=25,
             audience="all", hours=Decimal("3"), location="太和社区中心广场", description="", units=[]),
    ]
    made = []
    for spec in activities:
        starts = _at(spec["days"], spec["hour"])
        activity = Activity(
            title=spec["title"], kind=spec["kind"], org=spec["org"], grid_id=spec.get("grid_id"),
            starts_at=starts, ends_at=starts + timedelta(hours=spec["length"]), capacity=spec["capacity"],
            audience=spec["audience"], hours=spec["hours"], location=spec["location"],
            description=spec["description"], status="published", created_by_id=organizer.id,
            allocation=spec.get("allocation", "first_come"),
            signup_deadline=starts - timedelta(days=spec["deadline_days_before"]) if "deadline_days_before" in spec else None,
            units=[orgs[u] for u in spec["units"]],
        )
        db.session.add(activity)
        made.append(activity)
    db.session.flush()
    # Two seats of the painting job are taken, so the demo shows the last seat and then the waitlist.
    painting, klass, reading3 = made[1], made[3], made[6]
    # The class is a lottery: three members have applied and wait for the draw after the deadline.
    for user in (people["4"], people["5"], people["6"]):
        db.session.add(Signup(activity_id=klass.id, user_id=user.id, status="applied", created_at=utcnow()))
    klass.applied_count = 3
    for user in (people["4"], people["5"]):
        db.session.add(Signup(activity_id=painting.id, user_id=user.id, status="confirmed",
                              created_at=utcnow(), confirmed_at=utcnow()))
    painting.confirmed_count = 2
    for user in (people["3"], people["4"]):
        db.session.add(Signup(activity_id=reading3.id, user_id=user.id, status="confirmed", attendance="attended",
                              created_at=reading3.starts_at - timedelta(days=3),
                              confirmed_at=reading3.starts_at - timedelta(days=3)))
    reading3.confirmed_count = 2
    for user in (people["3"], people["4"]):
        db.session.add(ServiceRecord(
            user_id=user.id, source="activity", activity_id=reading3.id, served_on=local_date(reading3.starts_at),
            hours=reading3.hours, place=reading3.location, content=reading3.title, status="approved",
            org_id=reading3.org_id, branch_id=user.branch_id, recorded_by_id=organizer.id,
            reviewed_by_id=organizer.id, reviewed_at=utcnow()))
    _seed_posts(orgs, grids, people)
    _seed_wishes(grids, people)
    db.session.flush()
    _seed_cases(grids, people)
    return True


def _seed_posts(orgs, grids, people) -> None:
    """The standing duties of 西苑社区, one already held, and hours waiting for approval."""
    xiyuan, start = orgs["西苑社区"], local_today().replace(month=1, day=1)
    specs = [
        ("楼栋长（12号楼）", 1, grids[0], "12 号楼", "联系本楼住户，收集诉求，传达社区通知。"),
        ("文明劝导岗", 6, grids[1], "西苑广场", "劝导不文明养犬、乱扔垃圾、占道经营。"),
        ("政策宣传岗", 4, None, "党群服务中心门口", "宣传医保、养老、就业等惠民政策。"),
        ("邻里互助岗", 10, None, "社区各楼栋", "帮助独居老人买菜、代办、陪同就医。"),
        ("卫生监督岗", 3, grids[2], "垃圾分类点", "每周巡查楼道和垃圾分类点卫生。"),
    ]
    made = []
    for title, slots, grid, place, duties in specs:
        post = ServicePost(title=title, slots=slots, org=xiyuan, grid_id=grid.id if grid else None, location=place,
                           description=duties, starts_on=start, ends_on=start.replace(month=12, day=31),
                           created_by_id=people["1"].id)
        db.session.add(post)
        made.append(post)
    db.session.flush()
    building = made[0]
    db.session.add(PostClaim(post_id=building.id, user_id=people["3"].id, status="active"))
    building.claimed_count = 1
    db.session.add(ServiceRecord(
        user_id=people["5"].id, source="manual", served_on=local_today(), hours=Decimal("1.5"), place="西苑社区",
        content="帮助独居老人王奶奶买菜", status="pending", org_id=people["5"].branch_id,
        branch_id=people["5"].branch_id, recorded_by_id=people["5"].id))


def _seed_cases(grids, people) -> None:
    """Cases of 西苑社区 through their services: the gas dispute of 文锦西苑, settled in the grid, closed and
    rated (the grid worker's hours approved); a safety hazard the grid passed up to the community, open."""
    from ..services import cases, records

    worker, organizer = people["2"], people["1"]
    start = utcnow() - timedelta(days=6)
    gas = cases.report_case(people["9"], {
        "title": "文锦西苑燃气供应纠纷", "category": "dispute", "urgency": "normal", "grid_id": grids[0].id,
        "location": "文锦西苑 2 号楼",
        "description": "文锦西苑部分住户与物业公司对燃气供应和收费有分歧，冬季供气不稳定，希望社区出面协调。"}, now=start)
    cases.accept_case(worker, gas.id, now=start + timedelta(hours=2))
    cases.resolve_case(worker, gas.id, "网格员召集居民代表、物业公司和燃气公司面对面协商，燃气公司上门检修管道，"
                       "物业公示收费标准，双方达成一致，问题在网格内解决。", Decimal("3"), now=start + timedelta(days=1))
    cases.confirm_case(people["9"], gas.id, 5, "问题解决得很及时，谢谢网格员！", now=start + timedelta(days=1, hours=5))
    credit = db.session.scalar(select(ServiceRecord).where(ServiceRecord.source == "case"))
    records.approve_record(organizer, credit.id)

    now = utcnow()
    hazard = cases.report_case(people["3"], {
        "title": "12 号楼外墙瓷砖松动", "category": "safety", "urgency": "urgent", "grid_id": grids[0].id,
        "location": "12 号楼南侧外墙",
        "description": "12 号楼南侧外墙多块瓷砖松动，下方是居民出入通道，有坠落伤人的危险。"}, now=now - timedelta(hours=1))
    cases.accept_case(worker, hazard.id, now=now - timedelta(minutes=50))
    cases.escalate_case(worker, hazard.id, "需要专业高空作业和维修资金，网格内无法解决，请社区协调物业和维修资金。",
                        now=now - timedelta(minutes=30))


def _seed_wishes(grids, people) -> None:
    """微心愿: a courier's at the 暖“新”之家 station (claimed by a member), an open one, one waiting for approval."""
    now = utcnow()
    db.session.add_all([
        Wish(title="驿站添一台微波炉，冬天送件回来能吃上热饭", grid_id=grids[5].id, wisher_id=people["1"].id,
             for_name="快递员小刘（暖“新”之家驿站）", description="驿站里有十几位快递小哥午饭常常是凉的。",
             needed_by=local_today() + timedelta(days=20), status="claimed", reviewed_by_id=people["1"].id,
             claimer_id=people["4"].id, claimed_at=now, created_at=now - timedelta(days=3)),
        Wish(title="帮家里老人修一下漏水的水龙头", grid_id=grids[0].id, wisher_id=people["9"].id,
             description="厨房水龙头一直滴水，老人腿脚不便。", status="open", reviewed_by_id=people["2"].id,
             created_at=now - timedelta(days=1)),
        Wish(title="独居的刘奶奶想要一台收音机", grid_id=grids[0].id, wisher_id=people["2"].id, for_name="刘奶奶",
             description="刘奶奶视力不好，想听听戏曲和新闻。", status="pending", created_at=now),
    ])
