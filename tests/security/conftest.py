"""Security tests: a small world with one user per role, helpers to act as each, data invariants.

Roles, in the order the matrix tries them: anonymous, resident, member, grid worker, organizer out
of scope (太和社区), organizer in scope (西苑社区), admin. Every URL parameter resolves to a real
object in 西苑社区.
"""
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import inspect, text

from app.extensions import db
from app.models import Activity, ActivitySession, Grid, Org, RoleGrant, ServicePost, User
from app.models.base import utcnow
from app.timeutil import local_today, to_local
from tests.conftest import PG_URL
from tests.invariants import check_app

ROLES = ("anonymous", "resident", "member", "grid_worker", "organizer_out", "organizer_in", "admin")


@pytest.fixture(autouse=True)
def data_invariants(request):
    """After every test that has a database: the strict invariants of tests/invariants.py (the data
    here is made through the services, so counters and audit rows must hold too)."""
    app = request.getfixturevalue("app") if "app" in request.fixturenames else None
    yield
    if app is not None:
        check_app(app)


@dataclass
class World:
    users: dict = field(default_factory=dict)  # role -> user id
    orgs: dict = field(default_factory=dict)  # name -> org id
    activity_id: int = 0
    draft_id: int = 0
    post_id: int = 0
    closed_post_id: int = 0
    record_id: int = 0
    other_record_id: int = 0
    certificate: str = ""
    grid_id: int = 0
    session_id: int = 0
    job_id: int = 0
    grant_id: int = 0  # the grid worker's grant, in 西苑社区
    calendar_token: str = ""  # the member's
    case_id: int = 0  # reported by the resident in the grid, accepted by the grid worker, with a photo
    resolved_case_id: int = 0  # the resident's, resolved: waiting for the resident to confirm or reopen
    photo_id: int = 0
    wishes: dict = field(default_factory=dict)  # status -> id: pending (the resident's), open, claimed (the member's), fulfilled
    wish_photo_id: int = 0  # of the fulfilled wish
    anchor: datetime | None = None  # "now" for the world's times, so two builds are the same


def _org(name, kind, parent=None):
    org = Org(name=name, kind=kind, parent=parent)
    db.session.add(org)
    db.session.flush()
    org.set_path()
    return org


ROSTER = "姓名,手机号,党支部,党员类型\n新党员,13911119999,第一党支部,社区党员\n".encode()


def build_world(app, password_hash, anchor: datetime | None = None) -> World:
    """The same world every time (ids included, on a fresh database; times too, given the anchor)."""
    from app.services import cases, certificates, imports, posts, records, signups
    from tests.photos import photo

    w = World(anchor=anchor or utcnow().replace(second=0, microsecond=0))
    with app.test_request_context(method="POST"):
        district = _org("平城区", "district")
        street = _org("卧虎湾街道", "street", district)
        xiyuan = _org("西苑社区", "community", street)
        branch = _org("第一党支部", "branch", xiyuan)
        other_street = _org("水泊寺街道", "street", district)
        taihe = _org("太和社区", "community", other_street)
        taihe_branch = _org("太和社区党支部", "branch", taihe)
        grid = Grid(community=xiyuan, name="第一网格")
        db.session.add(grid)
        db.session.flush()
        w.orgs = {o.name: o.id for o in (district, street, xiyuan, branch, other_street, taihe, taihe_branch)}
        w.grid_id = grid.id

        def person(role, phone, member_type="community", branch_org=branch, grant=None, org=None, **kw):
            user = User(name=f"{role}用户", phone=phone, password_hash=password_hash, member_type=member_type,
                        branch=branch_org, community=xiyuan, **kw)
            if grant:
                user.grants.append(RoleGrant(role=grant, org=org, grid_id=grid.id if grant == "grid_worker" else None))
            db.session.add(user)
            db.session.flush()
            w.users[role] = user.id
            return user

        person("resident", "13900000001", member_type=None, branch_org=None)
        member = person("member", "13900000002")
        person("grid_worker", "13900000003", grant="grid_worker", org=xiyuan)
        person("organizer_out", "13900000004", branch_org=taihe_branch, grant="organizer", org=taihe)
        organizer = person("organizer_in", "13900000005", grant="organizer", org=xiyuan)
        person("admin", "13900000006", member_type=None, branch_org=None, grant="admin")
        other = person("other_member", "13900000007")

        # The activity starts within the hour: signing up, cancelling, attendance and check-in are all open.
        starts = w.anchor + timedelta(minutes=40)
        activity = Activity(title="小广告清理", kind="cleanup", location="西苑社区", org_id=xiyuan.id, starts_at=starts,
                            ends_at=starts + timedelta(hours=2), capacity=5, audience="all", hours=Decimal("2"),
                            status="published", description="清理楼道小广告")
        draft = Activity(title="草稿活动", kind="meeting", location="西苑社区", org_id=xiyuan.id, starts_at=starts,
                         ends_at=starts + timedelta(hours=1), capacity=None, audience="all", hours=Decimal("1"),
                         status="draft")
        post = ServicePost(title="楼栋长", org_id=xiyuan.id, slots=3, starts_on=local_today(), location="3号楼")
        closed = ServicePost(title="旧岗位", org_id=xiyuan.id, slots=1, starts_on=local_today(), status="closed")
        db.session.add_all([activity, draft, post, closed])
        db.session.commit()
        w.activity_id, w.draft_id, w.post_id, w.closed_post_id = activity.id, draft.id, post.id, closed.id
        session = ActivitySession(activity_id=activity.id, starts_at=starts, ends_at=starts + timedelta(hours=1))
        db.session.add(session)
        db.session.flush()
        w.session_id = session.id
        w.job_id = imports.create_import(organizer, "roster.csv", ROSTER).id
        w.grant_id = next(g.id for g in db.session.get(User, w.users["grid_worker"]).grants)
        w.calendar_token = member.calendar_token
        db.session.commit()

        signups.sign_up(member, activity.id)
        db.session.commit()
        posts.claim_post(member, post.id)
        db.session.commit()
        yesterday = local_today() - timedelta(days=1)
        w.record_id = records.report_hours(member, yesterday, Decimal("2"), "帮邻居修水管").id
        approved = records.report_hours(member, yesterday, Decimal("1"), "政策宣传")
        w.other_record_id = records.report_hours(other, yesterday, Decimal("1"), "邻里互助").id
        db.session.commit()
        records.approve_record(organizer, approved.id)
        db.session.commit()
        w.certificate = certificates.issue_certificate(member, yesterday.year, xiyuan).number
        db.session.commit()
        resident, worker = (db.session.get(User, w.users[r]) for r in ("resident", "grid_worker"))
        fields = {"title": "楼道灯不亮", "category": "urban", "urgency": "normal", "grid_id": grid.id}
        case = cases.report_case(resident, fields, [photo()], now=w.anchor)
        db.session.commit()
        w.case_id, w.photo_id = case.id, case.photos[0].id
        cases.accept_case(worker, case.id, now=w.anchor)
        db.session.commit()
        resolved = cases.report_case(resident, {**fields, "title": "井盖松动"}, now=w.anchor)
        db.session.commit()
        w.resolved_case_id = resolved.id
        cases.accept_case(worker, resolved.id, now=w.anchor)
        cases.resolve_case(worker, resolved.id, "已固定井盖", now=w.anchor)
        db.session.commit()
        _wishes(w, grid)
    return w


def _wishes(w: World, grid) -> None:
    """Four wishes of the resident in the grid: pending, open, claimed by the member, fulfilled by the member (with a photo)."""
    from app.services import wishes
    from tests.photos import photo

    resident, member, worker = (db.session.get(User, w.users[r]) for r in ("resident", "member", "grid_worker"))
    for status in ("pending", "open", "claimed", "fulfilled"):
        wish = wishes.create_wish(resident, {"title": f"{status}心愿", "grid_id": grid.id})
        db.session.commit()
        if status != "pending":
            wishes.approve_wish(worker, wish.id)
        if status in ("claimed", "fulfilled"):
            wishes.claim_wish(member, wish.id)
        if status == "fulfilled":
            w.wish_photo_id = wishes.fulfil_wish(member, wish.id, "送到了", Decimal("1"), [photo()]).photos[0].id
        db.session.commit()
        w.wishes[status] = wish.id


@pytest.fixture
def world(app, password_hash) -> World:
    return build_world(app, password_hash)


def client_as(app, world: World, role: str):
    """A fresh test client signed in as the role's user (no client at all for anonymous)."""
    c = app.test_client()
    if role != "anonymous":
        with app.app_context():
            user = db.session.get(User, world.users[role])
            key = user.get_id()
        with c.session_transaction() as session:
            session["_user_id"] = key
            session["_fresh"] = True
    return c


# Columns whose value depends on the clock or on chance, not on what a request asked for.
VOLATILE = {"created_at", "updated_at", "confirmed_at", "cancelled_at", "reviewed_at", "claimed_at", "released_at",
            "read_at", "issued_at", "consent_at", "closed_at", "session_token", "password_hash", "number",
            "calendar_token", "correction_requested_at", "detail", "code_hash", "accept_due", "resolve_due"}


# A wrong code's try is counted even though the request is refused (422), or five guesses per code
# would become unlimited; like the sign-in throttle's counts, it is bookkeeping, not a change asked for.
COUNTED_ON_REFUSAL = {("phone_codes", "tries")}


def _ignored(name: str, ignore) -> bool:
    """VOLATILE covers every timestamp a request sets by the clock (…_at), but not the form's own times."""
    return name in ignore or (ignore is VOLATILE and name.endswith("_at") and name not in ("starts_at", "ends_at"))


def snapshot(app, ignore=frozenset()) -> dict:
    """Every row of every table, sorted: compare two to see what a request changed."""
    with app.app_context():
        db.session.rollback()
        data = {}
        for table in db.metadata.sorted_tables:
            columns = [c.name for c in table.columns
                       if not _ignored(c.name, ignore) and (table.name, c.name) not in COUNTED_ON_REFUSAL]
            rows = db.session.execute(table.select().with_only_columns(*[table.c[n] for n in columns])).all()
            data[table.name] = sorted((tuple(map(repr, r)) for r in rows))
        db.session.rollback()
    return data


def changes(before: dict, after: dict) -> dict:
    """Rows added or removed per table between two snapshots."""
    diff = {}
    for name in before:
        old, new = set(before[name]), set(after[name])
        if old != new:
            diff[name] = {"removed": sorted(old - new), "added": sorted(new - old)}
    return diff


def reset_database(app) -> None:
    """Empty every table and restart the ids, so the next world gets the same ids."""
    with app.app_context():
        db.session.rollback()
        tables = db.metadata.sorted_tables
        if PG_URL:
            db.session.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY CASCADE"))
            db.session.commit()
            return
        db.session.close()
        raw = db.engine.raw_connection()
        try:
            raw.execute("PRAGMA foreign_keys=OFF")  # the org tree refers to itself
            for table in reversed(tables):
                raw.execute(f"DELETE FROM {table.name}")
            if inspect(db.engine).has_table("sqlite_sequence"):
                raw.execute("DELETE FROM sqlite_sequence")
            raw.execute("PRAGMA foreign_keys=ON")
        finally:
            raw.close()


def world_args(app, world: World, rule=None) -> dict:
    """A real value for every URL argument the app's routes take (`code`: a check-in code on check-in routes)."""
    from app.services import checkin
    from app.services.reminders import reminder_token

    with app.app_context():
        year = local_today().year
        checkin_code = checkin.current_code(world.activity_id)
    if rule is not None and rule.endpoint.startswith("checkin."):
        return {**world_args(app, world), "code": checkin_code}
    if rule is not None and rule.endpoint in ("cases.confirm", "cases.reopen"):
        return {**world_args(app, world), "case_id": world.resolved_case_id}
    if rule is not None and rule.endpoint == "wishes.photo":
        return {**world_args(app, world), "wish_id": world.wishes["fulfilled"], "photo_id": world.wish_photo_id}
    if rule is not None and rule.endpoint in WISH_FOR_STEP:
        return {**world_args(app, world), "wish_id": world.wishes[WISH_FOR_STEP[rule.endpoint]]}
    if rule is not None and rule.endpoint.startswith("reminders."):
        with app.app_context():
            token = reminder_token(world.users["member"], world.activity_id)
        return {**world_args(app, world), "token": token}
    return {
        "activity_id": world.activity_id, "post_id": world.post_id, "record_id": world.record_id,
        "org_id": world.orgs["西苑社区"], "number": world.certificate, "year": year,
        "code": "en", "filename": "css/app.css", "fmt": "csv", "user_id": world.users["member"],
        "grid_id": world.grid_id, "session_id": world.session_id, "job_id": world.job_id,
        "grant_id": world.grant_id, "token": world.calendar_token, "case_id": world.case_id, "wish_id": world.wishes["open"],
        "photo_id": world.photo_id,
    }


# The wish each step is tried on: the one in the state the step starts from.
WISH_FOR_STEP = {"wishes.approve": "pending", "wishes.reject": "pending", "wishes.release": "claimed",
                 "wishes.fulfil": "claimed", "wishes.confirm": "fulfilled"}


def encode(body: dict | None) -> dict | None:
    """A form body for the test client: bytes values are sent as uploaded files."""
    if body is None:
        return None
    return {k: (io.BytesIO(v), "roster.csv") if isinstance(v, bytes) else v for k, v in body.items()}


def build_path(rule, args: dict) -> str:
    missing = [a for a in rule.arguments if a not in args]
    assert not missing, f"no test value for URL argument(s) {missing} of {rule.rule}: add them to world_args()"
    return rule.build({a: args[a] for a in rule.arguments}, append_unknown=False)[1]


def routes(app):
    """(rule, method) for every route of the app, HEAD and OPTIONS aside."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


# Valid bodies of the main forms (call inside an app context: times are local).

def _local(w, delta: timedelta) -> str:
    return to_local(w.anchor + delta).strftime("%Y-%m-%dT%H:%M")


def activity_form(w):
    return {"title": "读书会第五期", "kind": "reading", "description": "共读", "location": "西苑社区活动室",
            "starts_at": _local(w, timedelta(days=5)), "ends_at": _local(w, timedelta(days=5, hours=2)),
            "capacity": "20", "audience": "all", "hours": "2", "org_id": str(w.orgs["西苑社区"])}


def post_form(w):
    return {"title": "文明劝导岗", "description": "劝导", "location": "南门", "slots": "4",
            "starts_on": local_today().isoformat(), "ends_on": "", "org_id": str(w.orgs["西苑社区"]), "grid_id": "0"}


def case_form(w):
    return {"title": "路灯不亮", "description": "西门路灯坏了", "category": "urban", "urgency": "normal",
            "grid_id": str(w.grid_id), "location": "西门"}


def hours_form(_w):
    return {"date": local_today().isoformat(), "hours": "1.5", "note": "打扫楼道", "post_id": "0"}


def sms_code(phone: str, purpose: str = "register") -> str:
    """A code for the phone, issued as POST /codes does and read off the message (inside an app context);
    a phone that has an account by now gets none, and the form then carries a wrong one."""
    from app.services import accounts

    sms = accounts.request_code(phone, purpose)
    db.session.commit()
    return sms.params.get("code", "000000") if sms else "000000"


def phone_of(w, role: str) -> str:
    return db.session.get(User, w.users[role]).phone


# Every form a POST route takes: who sends it and a valid body. Used by the mass-assignment and
# fuzz tests; a POST route missing here fails `test_every_post_route_has_a_form_entry`.
FORMS = {
    "/login": ("anonymous", lambda w: {"phone": "13900000002", "password": "wrong-password", "remember": "y"}),
    "/register": ("anonymous", lambda w: {"name": "新居民", "phone": "13911112222", "code": sms_code("13911112222"),
                                          "password": "红心-serve-2026", "consent": "y"}),
    "/codes": ("anonymous", lambda w: {"phone": "13911112222", "purpose": "register"}),
    "/reset": ("anonymous", lambda w: {"phone": phone_of(w, "member"), "code": sms_code(phone_of(w, "member"), "reset"),
                                       "password": "a-new-secret-77"}),
    "/admin/people/<int:user_id>/code": ("organizer_in", lambda w: {}),
    "/logout": ("member", lambda w: {}),
    "/me/password": ("member", lambda w: {"pw-current": "secret-pass-8", "pw-new": "a-new-secret-77"}),
    "/me/phone": ("member", lambda w: {"phone": "13911113333", "code": sms_code("13911113333", "phone"),
                                       "password": "secret-pass-8"}),
    "/me/close": ("member", lambda w: {"close-password": "secret-pass-8", "close-confirm": "y"}),
    "/activities/<int:activity_id>/signup": ("resident", lambda w: {}),
    "/activities/<int:activity_id>/cancel": ("member", lambda w: {}),
    "/posts/<int:post_id>/claim": ("grid_worker", lambda w: {}),
    "/posts/<int:post_id>/release": ("member", lambda w: {}),
    "/me/hours": ("member", hours_form),
    "/me/hours/<int:record_id>/correction": ("member", lambda w: {"reason": "时长记错了"}),
    "/manage/activities/new": ("organizer_in", activity_form),
    "/manage/activities/<int:activity_id>/edit": ("organizer_in", activity_form),
    "/manage/activities/<int:activity_id>/cancel": ("organizer_in", lambda w: {}),
    "/manage/activities/<int:activity_id>/allocate": ("organizer_in", lambda w: {}),
    "/manage/activities/<int:activity_id>/attendance": (
        "organizer_in", lambda w: {"user_id": str(w.users["member"]), "attended": "yes"}),
    "/manage/posts/new": ("organizer_in", post_form),
    "/manage/posts/<int:post_id>/edit": ("organizer_in", post_form),
    "/manage/hours/<int:record_id>/approve": ("organizer_in", lambda w: {}),
    "/manage/hours/approve": ("organizer_in", lambda w: {"record_id": str(w.record_id)}),
    "/manage/hours/<int:record_id>/reject": ("organizer_in", lambda w: {"reason": "没有记录"}),
    "/manage/hours/<int:record_id>/correct": ("organizer_in", lambda w: {"hours": "1.5"}),
    "/activities/<int:activity_id>/checkin/<code>": ("member", lambda w: {}),
    "/activities/<int:activity_id>/join": ("anonymous", lambda w: {"name": "新居民", "phone": "13911112222",
                                                                   "code": sms_code("13911112222"),
                                                                   "password": "红心-serve-2026", "consent": "y"}),
    "/admin/admins": ("admin", lambda w: {"admin-phone": "13900000001"}),
    "/admin/grants/<int:grant_id>/revoke": ("organizer_in", lambda w: {}),
    "/admin/grids/<int:grid_id>/rename": ("organizer_in", lambda w: {f"grid{w.grid_id}-name": "第二网格"}),
    "/admin/import": ("organizer_in", lambda w: {"file": ROSTER}),
    "/admin/import/<int:job_id>/step": ("organizer_in", lambda w: {}),
    "/admin/import/<int:job_id>/columns": ("organizer_in", lambda w: {"name": "0", "phone": "1"}),
    "/reports/members/<int:user_id>/service-sheet/evaluation": (
        "organizer_in", lambda w: {"quarter": "2026Q1", "rating": "good", "comment": "按时参加"}),
    "/admin/orgs": ("organizer_in", lambda w: {"name": "第三党支部", "kind": "branch",
                                               "parent_id": str(w.orgs["西苑社区"])}),
    "/admin/orgs/<int:org_id>/grants": ("organizer_in", lambda w: {"grant-phone": "13900000001",
                                                                   "grant-role": "grid_worker",
                                                                   "grant-grid_id": str(w.grid_id)}),
    "/admin/orgs/<int:org_id>/grids": ("organizer_in", lambda w: {"grid-name": "第八网格"}),
    "/admin/orgs/<int:org_id>/rename": ("organizer_in", lambda w: {"org-name": "西苑社区居委会"}),
    "/admin/people/<int:user_id>/deactivate": ("organizer_in", lambda w: {}),
    "/admin/people/<int:user_id>/membership": ("organizer_in", lambda w: {"branch_id": str(w.orgs["第一党支部"]),
                                                                          "member_type": "retired"}),
    "/admin/people/<int:user_id>/reactivate": ("organizer_in", lambda w: {}),
    "/manage/activities/<int:activity_id>/completion": ("organizer_in", lambda w: {"percent": "80"}),
    "/manage/activities/<int:activity_id>/message": ("organizer_in", lambda w: {"text": "明天早上八点集合"}),
    "/manage/activities/<int:activity_id>/sessions": (
        "organizer_in", lambda w: {"starts_at": _local(w, timedelta(days=8)), "ends_at": _local(w, timedelta(days=8, hours=2))}),
    "/manage/activities/<int:activity_id>/sessions/<int:session_id>/attendance": (
        "organizer_in", lambda w: {"user_id": str(w.users["member"]), "attended": "yes"}),
    "/manage/activities/<int:activity_id>/sessions/<int:session_id>/delete": ("organizer_in", lambda w: {}),
    "/manage/activities/<int:activity_id>/walk-ins": ("organizer_in", lambda w: {"phone": "13900000001", "name": ""}),
    "/cases/new": ("resident", case_form),
    "/cases/<int:case_id>/accept": ("grid_worker", lambda w: {}),
    "/cases/<int:case_id>/assign": ("grid_worker", lambda w: {"user_id": str(w.users["member"]), "org_id": "0"}),
    "/cases/<int:case_id>/resolve": ("grid_worker", lambda w: {"note": "换了灯泡", "hours": "1"}),
    "/cases/<int:case_id>/escalate": ("grid_worker", lambda w: {"reason": "需要物业配合"}),
    "/cases/<int:case_id>/confirm": ("resident", lambda w: {"score": "5", "comment": "谢谢"}),
    "/cases/<int:case_id>/reopen": ("resident", lambda w: {"reason": "又坏了"}),
    "/me/grid": ("member", lambda w: {"grid_id": str(w.grid_id)}),
    "/wishes/new": ("resident", lambda w: {"title": "想要一副老花镜", "description": "看报纸用", "grid_id": str(w.grid_id),
                                           "for_name": "", "needed_by": (local_today() + timedelta(days=7)).isoformat()}),
    "/wishes/<int:wish_id>/approve": ("grid_worker", lambda w: {}),
    "/wishes/<int:wish_id>/reject": ("grid_worker", lambda w: {"reason": "不属于本网格"}),
    "/wishes/<int:wish_id>/claim": ("member", lambda w: {}),
    "/wishes/<int:wish_id>/release": ("member", lambda w: {}),
    "/wishes/<int:wish_id>/fulfil": ("member", lambda w: {"note": "送到了", "hours": "1.5"}),
    "/wishes/<int:wish_id>/confirm": ("resident", lambda w: {}),
    "/reports/orgs/<int:org_id>/points/publish": ("organizer_in", lambda w: {"month": local_today().strftime("%Y-%m")}),
    "/reports/orgs/<int:org_id>/points/adjustments": ("organizer_in", lambda w: {
        "month": local_today().strftime("%Y-%m"), "user_id": str(w.users["member"]), "points": "2", "reason": "补记会议"}),
    "/manage/orgs/<int:org_id>/points-rules": ("organizer_in", lambda w: {
        "effective_from": local_today().strftime("%Y-%m"), "points_per_hour": "2", "points_per_meeting": "3",
        "points_per_case": "3", "points_per_wish": "2", "monthly_cap": "50"}),
    "/me/notices": ("member", lambda w: {"sms": "off"}),
    "/r/<token>": ("anonymous", lambda w: {"answer": "yes"}),
}
