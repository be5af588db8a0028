"""The bench's data: seed the scale set once, then pick the pages' ids and the people who sign in."""
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STREET = "卧虎湾街道"
STREET_ORGANIZER = "15000000000"  # seed-scale makes its first user the organizer of the first street
SIGNUPS_PER_USER = 10


@dataclass
class Fixtures:
    street_id: int
    member_phone: str
    upcoming: list[int]
    roster_activity: int
    signup_pairs: list[tuple[str, int]]  # (phone, activity id), none signed up yet
    period: dict[str, str]
    points_branch: int  # the street's branch with the most members
    points_month: str  # last month, YYYY-MM
    counts: dict[str, int]
    server_version: str


def seed(env: dict, users: int, records: int) -> None:
    """Migrate, then add the scale data unless it is there (seed-scale says so and does nothing)."""
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    for args in (["db", "upgrade"], ["seed-scale", "--users", str(users), "--records", str(records)]):
        subprocess.run(flask + args, cwd=ROOT, env=env, check=True)


def pick(env: dict, signups: int) -> Fixtures:
    """Ids for the pages under load, read through the app's own models."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, select, text

    from app import create_app
    from app.extensions import db
    from app.models import Activity, Case, Org, ServiceRecord, Signup, User, Wish
    from app.models.base import utcnow
    from app.timeutil import local_today

    app = create_app()
    with app.app_context():
        now, street = utcnow(), db.session.scalar(select(Org).where(Org.name == STREET))
        in_street = select(Org.id).where(Org.path.startswith(street.path))
        member = db.session.scalar(select(User.phone).where(User.phone.startswith("150"), User.branch_id.in_(in_street))
                                   .order_by(User.phone).offset(100).limit(1))
        upcoming = list(db.session.scalars(select(Activity.id).where(
            Activity.status == "published", Activity.starts_at > now).order_by(Activity.starts_at).limit(50)))
        roster = db.session.scalar(select(Signup.activity_id).join(Activity).where(Activity.org_id.in_(in_street))
                                   .group_by(Signup.activity_id).having(func.count() == 200).order_by(Signup.activity_id))
        year = local_today().year - 1
        branch = db.session.scalar(select(User.branch_id).where(User.branch_id.in_(in_street)).group_by(User.branch_id)
                                   .order_by(func.count().desc(), User.branch_id).limit(1))
        last_month = local_today().replace(day=1) - timedelta(days=1)
        counts = {"users": db.session.scalar(select(func.count()).select_from(User)),
                  "activities": db.session.scalar(select(func.count()).select_from(Activity)),
                  "signups": db.session.scalar(select(func.count()).select_from(Signup)),
                  "service records": db.session.scalar(select(func.count()).select_from(ServiceRecord)),
                  "cases": db.session.scalar(select(func.count()).select_from(Case)),
                  "wishes": db.session.scalar(select(func.count()).select_from(Wish))}
        version = db.session.scalar(text("SELECT sqlite_version()" if db.engine.name == "sqlite" else "SHOW server_version"))
        pairs = _signup_pairs(db, now + timedelta(days=1), signups)
        db.engine.dispose()
    return Fixtures(street.id, member, upcoming, roster, pairs,
                    {"from": date(year, 1, 1).isoformat(), "to": date(year, 12, 31).isoformat()}, branch,
                    last_month.strftime("%Y-%m"), counts, version)


def _signup_pairs(db, opens_after, wanted: int) -> list[tuple[str, int]]:
    """People and open activities they have not signed up for, a few activities per person."""
    from sqlalchemy import select

    from app.models import Activity, Signup, User

    open_ids = list(db.session.scalars(select(Activity.id).where(
        Activity.status == "published", Activity.starts_at > opens_after,
        (Activity.signup_deadline.is_(None)) | (Activity.signup_deadline > opens_after)).order_by(Activity.id)))
    people = db.session.execute(select(User.id, User.phone).where(
        User.phone >= "15000001000", User.member_type.is_not(None), User.active).order_by(User.phone).limit(2000)).all()
    taken = set(db.session.execute(select(Signup.user_id, Signup.activity_id).where(
        Signup.activity_id.in_(open_ids), Signup.status != "cancelled")).all())
    per_person = []
    for user_id, phone in people:
        free = [a for a in open_ids if (user_id, a) not in taken][:SIGNUPS_PER_USER]
        if len(free) == SIGNUPS_PER_USER:
            per_person.append([(phone, a) for a in free])
        if len(per_person) * SIGNUPS_PER_USER >= wanted:
            break
    # Round by round, so requests at the same moment come from different people on different activities.
    return [pair for round_ in zip(*per_person) for pair in round_][:wanted]


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")
    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
    import gunicorn

    return {"cores (nproc)": str(os.cpu_count()), "memory": f"{mem_kb / 1024 / 1024:.1f} GiB", "CPU": cpu,
            "Python": sys.version.split()[0], "gunicorn": gunicorn.__version__,
            "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg())}
