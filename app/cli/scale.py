"""The benchmark data set (`seed-scale`, docs/contracts.md): a district's people, activities and two years of hours.

It goes on top of the demo data with bulk inserts. Ids are assigned here, so rows refer to each
other without being read back; one password hash serves every account.
"""
import random
import secrets
import time as clock
from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

import click
from flask import Flask
from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import Activity, Grid, Org, PostClaim, RoleGrant, ServicePost, ServiceRecord, Signup, User
from ..models.base import utcnow
from ..pinyin import name_key
from ..timeutil import from_local, local_today
from .bulk import insert_rows as _insert
from .scale_grids import seed_grid_work
from .seed import DEMO_PASSWORD, seed_demo

FIRST_PHONE = 15000000000
COMMUNITIES_PER_STREET = 6
STEMS = ("和平 幸福 阳光 建设 光明 友谊 文化 向阳 东风 振华 南关 北关 鼓楼 华林 云中 御河 永泰 新建 兴云 魏都 "
         "古城 府西 柳航 星光 绿洲 红旗 前进 平安").split()
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜"
GIVEN = ("建国 秀英 志明 丽 强 磊 芳 敏 静 伟 军 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 玉兰 文华 红梅 海燕 波 鑫 浩然 "
         "宇 欣怡 淑珍 国庆 卫东 凤英 建华 晓东 春生 德明").split()
# kind: (weight, titles, hours credited)
KINDS = {
    "cleanup": (30, ("小广告清理志愿服务", "楼道粉刷志愿服务", "环境卫生大扫除", "垃圾分类宣传"), "2"),
    "reading": (12, ("红心读书会", "党史学习读书会"), "2"),
    "training": (10, ("月嫂培训班（免费）", "家政技能培训", "急救知识培训", "智能手机使用课堂"), "0"),
    "education": (10, ("爱国教育进校园", "红色故事宣讲", "法治宣传进社区"), "2"),
    "service": (20, ("义诊服务", "理发义剪", "助老送餐", "邻里互助日"), "3"),
    "meeting": (12, ("党建项目交流会", "主题党日活动", "支部委员会议"), "1"),
    "other": (6, ("社区文艺汇演", "趣味运动会"), "1.5"),
}
POSTS = ("楼栋长", "文明劝导岗", "政策宣传岗", "邻里互助岗", "卫生监督岗", "平安巡逻岗")
HOURS = [Decimal(h) for h in ("0.5", "1", "1.5", "2", "2", "2.5", "3", "4")]
DAYS_BACK, DAYS_AHEAD = 730, 45
ROSTER_SIZE = 200  # every 50th activity is a big one with exactly this many signups (the bench's roster)


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _org(name: str, kind: str, parent: Org) -> Org:
    org = Org(name=name, kind=kind, parent=parent)
    db.session.add(org)
    db.session.flush()
    org.set_path()
    return org


def _grow_tree(rng: random.Random) -> tuple[list[Org], dict[int, Org], dict[int, list[int]]]:
    """Streets get COMMUNITIES_PER_STREET communities, each new one with 2–3 branches and 4–8 grids."""
    district = db.session.scalar(select(Org).where(Org.kind == "district").order_by(Org.id))
    streets = list(db.session.scalars(select(Org).where(Org.parent_id == district.id).order_by(Org.id)))
    stems = iter(STEMS)
    for street in streets:
        have = sum(1 for c in street.children if c.kind == "community")
        for _ in range(COMMUNITIES_PER_STREET - have):
            community = _org(f"{next(stems)}社区", "community", street)
            for n in "一二三"[:rng.randint(2, 3)]:
                _org(f"{community.name}第{n}党支部", "branch", community)
            db.session.add_all(Grid(community_id=community.id, name=f"{community.name}第{n}网格")
                               for n in range(1, rng.randint(4, 8) + 1))
    db.session.flush()
    orgs = {o.id: o for o in db.session.scalars(select(Org))}
    grids = defaultdict(list)
    for grid_id, community_id in db.session.execute(select(Grid.id, Grid.community_id)):
        grids[community_id].append(grid_id)
    return streets, orgs, grids


def _street_of(org: Org, orgs: dict[int, Org]) -> int | None:
    """The street an org lies in (None for the district itself)."""
    parts = org.path.strip("/").split("/")
    return int(parts[1]) if len(parts) > 1 else None


def _users(rng, n, streets, orgs, now):
    """Rows for n people: three in four party members spread over the branches, the rest residents."""
    base, pw = _next_id(User), generate_password_hash(DEMO_PASSWORD)
    branches = [o for o in orgs.values() if o.kind == "branch"]
    weights = [rng.uniform(0.5, 1.5) for _ in branches]
    communities = [o for o in orgs.values() if o.kind == "community"]
    people = []  # (id, branch_id, community_id)
    for i in range(n):
        member_type = rng.choices(("community", "in_service", "retired", "flowing"), (50, 25, 20, 5))[0]
        branch = rng.choices(branches, weights)[0] if rng.random() < 0.75 else None
        # In-service members and residents live anywhere; the rest live where their branch is.
        home = branch.parent if branch and member_type != "in_service" else rng.choice(communities)
        people.append((base + i, branch.id if branch else None, home.id, member_type if branch else None))
    names = [rng.choice(SURNAMES) + rng.choice(GIVEN) for _ in people]
    rows = ((uid, str(FIRST_PHONE + i), names[i], name_key(names[i]), pw, mt, b, c, True,
             secrets.token_hex(16), now - timedelta(days=rng.randint(0, 1000)))
            for i, (uid, b, c, mt) in enumerate(people))
    _insert(User, ("id", "phone", "name", "name_pinyin", "password_hash", "member_type", "branch_id", "community_id",
                   "active", "session_token", "created_at"), rows)
    # The first scale users organize: one per street, then one per community (the bench signs in as them).
    organized = streets + communities
    _insert(RoleGrant, ("user_id", "role", "org_id", "created_at"),
            ((base + i, "organizer", org.id, now) for i, org in enumerate(organized)))
    organizer_of = {org.id: base + i for i, org in enumerate(organized)}
    return people, organizer_of


def _activities(rng, n, n_signups, people, orgs, grids, organizer_of, now):
    """Activities over two years and 45 days ahead, with their signups and the attended ones."""
    base, today = _next_id(Activity), local_today()
    # People sign up near home: the pool is the street's residents (or members) for street-level orgs and below.
    pools = defaultdict(list)
    for uid, branch, home, _mt in people:
        for street in (_street_of(orgs[home], orgs), None):
            pools[street, "all"].append(uid)
            if branch:
                pools[street, "members"].append(uid)
    kind_names, kind_weights = list(KINDS), [w for w, _t, _h in KINDS.values()]
    places = {"community": [], "branch": [], "street": [], "district": []}
    for o in orgs.values():
        if o.kind in places:
            places[o.kind].append(o)
    n_big = n // 50
    average = max((n_signups - n_big * ROSTER_SIZE) / max(n - n_big, 1), 0)
    acts, signups, attended = [], [], []
    for k in range(n):
        aid, big = base + k, k % 50 == 25
        kind = rng.choices(kind_names, kind_weights)[0]
        _w, titles, hours = KINDS[kind]
        org = rng.choice(places[rng.choices(("community", "branch", "street", "district"), (55, 30, 12, 3))[0]])
        grid = rng.choice(grids[org.id]) if grids.get(org.id) and rng.random() < 0.5 else None
        day = today + timedelta(days=rng.randint(-DAYS_BACK, DAYS_AHEAD))
        starts = from_local(datetime.combine(day, time(rng.choice((9, 10, 14, 15, 19)))))
        ends = starts + timedelta(hours=rng.choice((1, 2, 2, 3)))
        capacity = 150 if big else rng.choice((None, 15, 20, 30, 40, 50, 60, 80, 100))
        audience = "members" if rng.random() < 0.4 else "all"
        status = "cancelled" if rng.random() < 0.03 else "draft" if day > today and rng.random() < 0.05 else "published"
        street = _street_of(org, orgs)
        pool = pools[street, audience]
        title = rng.choice(titles) + (f"第{k % 30 + 1}期" if kind == "reading" else "")
        # Small data sets have fewer people near an org than a big roster holds.
        count = min(ROSTER_SIZE if big else 0 if status == "draft" else rng.randint(0, int(2 * average)), len(pool))
        confirmed = waitlisted = 0
        past = ends < now
        for created, uid in sorted((min(starts - timedelta(minutes=rng.randint(60, 20_000)), now - timedelta(
                minutes=rng.randint(1, 5000))), uid) for uid in rng.sample(pool, count)):
            if rng.random() < 0.05:
                signups.append((aid, uid, "cancelled", "unknown", created, None, created + timedelta(hours=5)))
            elif capacity is None or confirmed < capacity:
                confirmed += 1
                mark = rng.choices(("attended", "absent", "unknown"), (85, 10, 5))[0] if past else "unknown"
                signups.append((aid, uid, "confirmed", mark, created, created, None))
                if mark == "attended" and hours != "0" and status == "published":
                    attended.append((aid, uid, day, Decimal(hours), org.id, title))
            else:
                waitlisted += 1
                signups.append((aid, uid, "waitlisted", "unknown", created, None, None))
        acts.append((aid, f"{title}（{org.name}）", kind, f"{org.name}的{rng.choice(titles)}，欢迎报名。",
                     f"{org.name}党群服务中心", org.id, grid, starts, ends, None, capacity, confirmed, waitlisted,
                     audience, Decimal(hours), status, organizer_of.get(org.id) or organizer_of.get(street),
                     starts - timedelta(days=20), starts - timedelta(days=20)))
    _insert(Activity, ("id", "title", "kind", "description", "location", "org_id", "grid_id", "starts_at", "ends_at",
                       "signup_deadline", "capacity", "confirmed_count", "waitlisted_count", "audience", "hours",
                       "status", "created_by_id", "created_at", "updated_at"), acts)
    _insert(Signup, ("activity_id", "user_id", "status", "attendance", "created_at", "confirmed_at", "cancelled_at"),
            signups)
    return len(acts), len(signups), attended


def _posts(rng, people, orgs, grids, organizer_of, now):
    """Four to six standing duties per community, partly claimed by members living there."""
    base, today = _next_id(ServicePost), local_today()
    start = today.replace(year=today.year - 2, month=1, day=1)
    members_at = defaultdict(list)
    for uid, branch, home, _mt in people:
        if branch:
            members_at[home].append(uid)
    posts, claims, held = [], [], []
    for community in (o for o in orgs.values() if o.kind == "community"):
        for title in rng.sample(POSTS, rng.randint(4, 6)):
            pid, slots = base + len(posts), rng.randint(2, 10)
            grid = rng.choice(grids[community.id]) if grids.get(community.id) and rng.random() < 0.5 else None
            holders = rng.sample(members_at[community.id], min(rng.randint(0, slots), len(members_at[community.id])))
            posts.append((pid, title, f"{community.name}{title}的日常服务。", community.name, community.id, grid, slots,
                          len(holders), start, None, "open", organizer_of.get(community.id), now))
            claims += [(pid, uid, "active", now - timedelta(days=rng.randint(1, 700))) for uid in holders]
            held += [(pid, uid, community.id, community.name, title) for uid in holders]
    _insert(ServicePost, ("id", "title", "description", "location", "org_id", "grid_id", "slots", "claimed_count",
                          "starts_on", "ends_on", "status", "created_by_id", "created_at"), posts)
    _insert(PostClaim, ("post_id", "user_id", "status", "claimed_at"), claims)
    return len(posts), held


def _records(rng, n, attended, held, people, now):
    """n service records: attended activities first, then post duty and hours entered by hand."""
    today = local_today()
    members = [(uid, branch) for uid, branch, _h, _mt in people if branch]
    branch_of = {uid: branch for uid, branch, _h, _mt in people}

    def reviewed(served_on) -> str:
        """Recent hours entered by hand partly still wait for review; a few were rejected."""
        if (today - served_on).days < 45 and rng.random() < 0.3:
            return "pending"
        return "rejected" if rng.random() < 0.04 else "approved"

    def rows():
        for aid, uid, day, hours, org_id, title in attended[:n]:
            stamp = from_local(datetime.combine(day, time(21)))
            yield (uid, "activity", aid, None, day, hours, "", title, "approved", org_id, branch_of[uid], None,
                   stamp, None, stamp, "", "", None)
        rest = max(n - len(attended), 0)
        for i in range(rest):
            day = today - timedelta(days=rng.randint(0, DAYS_BACK))
            stamp = from_local(datetime.combine(day, time(20)))
            if held and i % 3 == 0:
                pid, uid, org_id, place, content = rng.choice(held)
                branch, source = branch_of[uid], "post"
            else:
                (uid, branch), pid, source, place, content = rng.choice(members), None, "manual", "", "帮助邻居"
                org_id = branch
            status = reviewed(day)
            correction = "时长记错了，请更正" if status == "approved" and rng.random() < 0.001 else ""
            yield (uid, source, None, pid, day, rng.choice(HOURS), place, content, status, org_id, branch, uid,
                   stamp, None, None if status == "pending" else stamp, "与实际不符" if status == "rejected" else "",
                   correction, stamp if correction else None)

    return _insert(ServiceRecord, ("user_id", "source", "activity_id", "post_id", "served_on", "hours", "place",
                                   "content", "status", "org_id", "branch_id", "recorded_by_id", "created_at",
                                   "reviewed_by_id", "reviewed_at", "reject_reason", "correction_request",
                                   "correction_requested_at"), rows())


def _fix_sequences() -> None:
    """PostgreSQL: the id sequences move past the ids assigned here."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("users", "activities", "service_posts"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


def seed_scale(users: int, records: int, activities: int, signups: int, seed: int = 6) -> dict | None:
    """Add the benchmark data set on top of the demo data; None when it is there already."""
    if db.session.scalar(select(User.id).where(User.phone == str(FIRST_PHONE))):
        return None
    seed_demo()
    rng, now = random.Random(seed), utcnow()
    streets, orgs, grids = _grow_tree(rng)
    people, organizer_of = _users(rng, users, streets, orgs, now)
    n_acts, n_signups, attended = _activities(rng, activities, signups, people, orgs, grids, organizer_of, now)
    n_posts, held = _posts(rng, people, orgs, grids, organizer_of, now)
    n_records = _records(rng, records, attended, held, people, now)
    _fix_sequences()
    return {"orgs": len(orgs), "users": users, "activities": n_acts, "signups": n_signups, "posts": n_posts,
            "records": n_records}


@click.command("seed-scale")
@click.option("--users", default=20_000, show_default=True, help="people (phones 15000000000, …)")
@click.option("--records", default=1_000_000, show_default=True, help="service records over two years")
@click.option("--activities", type=int, help="activities [default: users / 4]")
@click.option("--signups", type=int, help="signups [default: users × 10]")
@click.option("--cases", type=int, help="cases over two years [default: users × 1.5]")
@click.option("--wishes", type=int, help="wishes over two years [default: users / 5]")
def seed_scale_command(users: int, records: int, activities: int | None, signups: int | None, cases: int | None,
                       wishes: int | None):
    """Add the benchmark data set (docs/contracts.md, Quality budgets) on top of the demo data; adds only what is missing."""
    started = clock.monotonic()
    counts = seed_scale(users, records, activities or users // 4, signups or users * 10) or {}
    counts.update(seed_grid_work(cases if cases is not None else users * 3 // 2,
                                 wishes if wishes is not None else users // 5, 7, utcnow()) or {})
    if not counts:
        click.echo("Scale data already present.")
        return
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # Fresh statistics and visibility map, as autovacuum would leave them: plans and index-only scans.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    summary = ", ".join(f"{v:,} {k}" for k, v in counts.items())
    click.echo(f"Scale data loaded in {clock.monotonic() - started:.0f} s: {summary}.")


def register(app: Flask) -> None:
    app.cli.add_command(seed_scale_command)
