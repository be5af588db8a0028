"""The grids' work at scale (seed-scale): grid workers, cases, wishes, points rules and adjustments,
and the people of the sign-in burst, added once on top of the scale people with bulk inserts.

They go in one transaction, so the burst people (FIRST_BURST_PHONE, …) mark that all of it is there:
an older bench database without them gets them on the next seed-scale, and a second run adds nothing.
"""
import random
import secrets
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Case, Grid, Org, PointsAdjustment, PointsRule, RoleGrant, User, Wish
from ..models.case import CONFIRM_WINDOW, DEADLINES
from ..passwords import hash_password
from ..pinyin import name_key
from ..timeutil import local_today
from .bulk import insert_rows as _insert
from .seed import DEMO_PASSWORD

FIRST_BURST_PHONE = 14900000000  # below the scale people, so they are not counted among them
BURST_PEOPLE = 50
CATEGORIES = {
    "urban": ("楼道堆放杂物", "小区门口占道经营", "路灯不亮", "违章搭建"),
    "safety": ("电动车楼道充电", "消防通道被占", "井盖松动", "燃气管道老化"),
    "petition": ("物业费收支不公开", "拆迁补偿咨询"),
    "market": ("菜市场缺斤短两", "无照经营的小饭馆"),
    "health": ("垃圾清运不及时", "楼下餐馆油烟扰民", "流浪猫狗扰民"),
    "dispute": ("邻里漏水纠纷", "停车位纠纷", "装修噪音扰民"),
    "other": ("快递柜损坏", "健身器材损坏"),
}
WISHES = ("想要一台收音机", "帮忙修理漏水的水龙头", "想学用智能手机挂号", "孩子想要几本课外书", "驿站添一台微波炉",
          "帮忙换一个灯泡", "冬天想要一床厚棉被", "陪老人去医院复查")


def _people() -> tuple[dict[int, list[int]], dict[int, list[int]], dict[int, int]]:
    """The scale people by community they live in (all, and party members), and the organizer of each org."""
    living, members = defaultdict(list), defaultdict(list)
    for uid, community, branch in db.session.execute(select(User.id, User.community_id, User.branch_id)
                                                     .where(User.phone.startswith("150"))):
        living[community].append(uid)
        if branch:
            members[community].append(uid)
    organizer_of = dict(db.session.execute(select(RoleGrant.org_id, RoleGrant.user_id).where(
        RoleGrant.role == "organizer", RoleGrant.user_id.in_(select(User.id).where(User.phone.startswith("150"))))).all())
    return living, members, organizer_of


def _grid_workers(rng, grids, members, now) -> dict[int, int]:
    """A member who lives in the community works each of its grids, a different one per grid."""
    by_community = defaultdict(list)
    for gid, community in grids:
        by_community[community].append(gid)
    workers = {}
    for community, gids in by_community.items():
        people = rng.sample(members[community], min(len(gids), len(members[community])))
        workers.update(zip(gids, people))
    communities = dict(grids)
    _insert(RoleGrant, ("user_id", "role", "org_id", "grid_id", "created_at"),
            ((uid, "grid_worker", communities[gid], gid, now) for gid, uid in workers.items()))
    return workers


def _case_state(rng, reported: datetime, now: datetime) -> tuple[str, str]:
    """Status and level: old cases are mostly closed, some were left open (overdue); new ones are anywhere."""
    level = rng.choices(("grid", "community", "street"), (75, 18, 7))[0]
    if now - reported > timedelta(days=30) and rng.random() < 0.96:
        return "closed", level
    return rng.choices(("reported", "accepted", "assigned", "resolved", "reopened", "closed"), (20, 15, 20, 20, 5, 20))[0], level


def _cases(rng, n, grids, living, members, organizer_of, workers, streets, now):
    """n cases over two years in every grid, every status and level; open ones past their deadline are overdue."""
    rows = []
    for k in range(n):
        gid, community = grids[k % len(grids)]
        category = rng.choice(list(CATEGORIES))
        urgency = rng.choices(("urgent", "normal", "routine"), (15, 60, 25))[0]
        reported = now - timedelta(minutes=rng.randint(10, 730 * 24 * 60))
        status, level = _case_state(rng, reported, now)
        to_accept, to_resolve = DEADLINES[urgency]
        accepted = reported + to_accept * rng.uniform(0.1, 1.2) if status != "reported" else None
        resolved = accepted + to_resolve * rng.uniform(0.1, 1.1) if status in ("resolved", "closed") else None
        if resolved and resolved > now:
            resolved = now - timedelta(minutes=1)
        closed = min(resolved + CONFIRM_WINDOW * rng.uniform(0.1, 1.0), now) if status == "closed" else None
        handler = {"grid": workers.get(gid), "community": organizer_of.get(community),
                   "street": organizer_of.get(streets[community])}[level] if accepted else None
        assignee = rng.choice(members[community]) if status in ("assigned", "resolved", "closed") and members[community] else None
        reporter = rng.choice(living[community]) if living[community] else None
        rows.append((rng.choice(CATEGORIES[category]), f"{rng.choice(CATEGORIES[category])}，请网格员看一下。", category,
                     urgency, status, level, gid, community, f"{rng.randint(1, 30)}号楼", rng.random() < 0.1, reporter,
                     handler, assignee, reported, reported + to_accept, reported + to_resolve, accepted, resolved, closed,
                     None if resolved is None else resolved <= reported + to_resolve, ("grid", "community", "street").index(level),
                     "已处理完毕。" if resolved else "", rng.choice((3, 4, 4, 5, 5, 5)) if closed else None))
    return _insert(Case, ("title", "description", "category", "urgency", "status", "level", "grid_id", "community_id",
                          "location", "anonymous", "reporter_id", "handler_id", "assignee_id", "reported_at",
                          "accept_due", "resolve_due", "accepted_at", "resolved_at", "closed_at", "resolved_in_time",
                          "escalations", "resolution", "score"), rows)


def _wishes(rng, n, grids, living, members, workers, now):
    """n wishes over two years: old ones confirmed or rejected, recent ones at every step."""
    rows = []
    for k in range(n):
        gid, community = grids[k % len(grids)]
        created = now - timedelta(minutes=rng.randint(10, 730 * 24 * 60))
        old = now - created > timedelta(days=60)
        status = (rng.choices(("confirmed", "rejected"), (92, 8))[0] if old else
                  rng.choices(("pending", "open", "claimed", "fulfilled", "confirmed", "rejected"), (20, 30, 20, 10, 15, 5))[0])
        claimer = rng.choice(members[community]) if status in ("claimed", "fulfilled", "confirmed") and members[community] else None
        if status in ("claimed", "fulfilled", "confirmed") and claimer is None:
            status = "open"
        done = status in ("fulfilled", "confirmed")
        wisher = rng.choice(living[community]) if living[community] else None
        rows.append((rng.choice(WISHES), "谢谢好心人。", gid, wisher, "刘奶奶" if rng.random() < 0.2 else "",
                     (created + timedelta(days=rng.randint(7, 60))).date(), status,
                     "不属于微心愿的范围" if status == "rejected" else "", workers.get(gid) if status != "pending" else None,
                     claimer, created + timedelta(days=1) if claimer else None, "已送到。" if done else "",
                     rng.choice((1, 2, 3)) if done else None, created + timedelta(days=3) if done else None,
                     created + timedelta(days=4) if status == "confirmed" else None, created))
    return _insert(Wish, ("title", "description", "grid_id", "wisher_id", "for_name", "needed_by", "status",
                          "reject_reason", "reviewed_by_id", "claimer_id", "claimed_at", "fulfil_note", "hours",
                          "fulfilled_at", "confirmed_at", "created_at"), rows)


def _points(rng, communities, members, organizer_of, branches_of, now) -> int:
    """Half the communities set their own rules two years back, some changed them a year later; a few adjustments."""
    today = local_today()
    two_years, one_year = date(today.year - 2, today.month, 1), date(today.year - 1, today.month, 1)
    rules, adjustments = [], []
    for community in communities[::2]:
        by = organizer_of.get(community)
        rules.append((community, two_years, 1, 2, 3, 2, 60, by, now))
        if rng.random() < 0.5:
            rules.append((community, one_year, 2, 3, 5, 3, rng.choice((None, 80, 100)), by, now))
    for community in communities:
        for _ in range(20 if members[community] and branches_of[community] else 0):
            month = date(today.year - rng.randint(0, 1), rng.randint(1, 12), 1)
            if month <= today:
                adjustments.append((rng.choice(members[community]), rng.choice(branches_of[community]), month,
                                    rng.choice((-5, -2, 2, 3, 5, 10)), "参加社区应急值守", organizer_of.get(community), now))
    _insert(PointsRule, ("org_id", "effective_from", "points_per_hour", "points_per_meeting", "points_per_case",
                         "points_per_wish", "monthly_cap", "set_by_id", "set_at"), rules)
    return _insert(PointsAdjustment, ("user_id", "org_id", "month", "points", "reason", "by_id", "created_at"), adjustments)


def _burst_people(now) -> None:
    """People whose password is hashed at the app's real cost, for the bench's burst of sign-ins."""
    pw = hash_password(DEMO_PASSWORD)
    _insert(User, ("phone", "name", "name_pinyin", "password_hash", "active", "session_token", "created_at"),
            ((str(FIRST_BURST_PHONE + i), f"居民{i}", name_key(f"居民{i}"), pw, True, secrets.token_hex(16), now)
             for i in range(BURST_PEOPLE)))


def seed_grid_work(cases: int, wishes: int, seed: int, now: datetime) -> dict | None:
    """Add grid workers, cases, wishes, points rules and the burst people; None when they are there already."""
    if db.session.scalar(select(User.id).where(User.phone == str(FIRST_BURST_PHONE))):
        return None
    rng = random.Random(seed)
    orgs = {o.id: o for o in db.session.scalars(select(Org))}
    grids = list(db.session.execute(select(Grid.id, Grid.community_id).order_by(Grid.id)).all())
    communities = sorted({c for _g, c in grids})
    streets = {c: orgs[c].parent_id for c in communities}
    branches_of = defaultdict(list)
    for o in orgs.values():
        if o.kind == "branch":
            branches_of[o.parent_id].append(o.id)
    living, members, organizer_of = _people()
    workers = _grid_workers(rng, grids, members, now)
    counts = {"grid workers": len(workers),
              "cases": _cases(rng, cases, grids, living, members, organizer_of, workers, streets, now),
              "wishes": _wishes(rng, wishes, grids, living, members, workers, now),
              "points adjustments": _points(rng, communities, members, organizer_of, branches_of, now)}
    _burst_people(now)
    return counts

