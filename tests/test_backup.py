"""`flask backup PATH`: a consistent copy of a live SQLite database while writes go on, and a restore drill.

The database is a SQLite file of its own (whatever DATABASE_URL says): another process keeps signing
people up while the backup runs, with automatic checkpoints off, so recent commits live only in the
write-ahead log — a plain file copy would lose them; the backup API must not.
"""
import multiprocessing as mp
import shutil
import sqlite3
import time
from datetime import timedelta
from decimal import Decimal

from flask_migrate import upgrade
from sqlalchemy import event, func, select
from werkzeug.security import generate_password_hash

from app import create_app
from app.extensions import db
from app.models import Activity, Notification, Org, Signup, User
from app.models.base import utcnow
from tests.conftest import PG_URL, config_for
from tests.invariants import assert_invariants

PEOPLE = 4000


def _seed(app) -> int:
    cheap = generate_password_hash("secret-pass-8", method="pbkdf2:sha256:1000")
    with app.app_context():
        org = Org(name="西苑社区", kind="community")
        db.session.add(org)
        db.session.flush()
        org.set_path()
        starts = utcnow() + timedelta(days=3)
        activity = Activity(title="大型活动", kind="service", location="西苑", org_id=org.id, starts_at=starts,
                            ends_at=starts + timedelta(hours=3), capacity=PEOPLE // 2, audience="all",
                            hours=Decimal("3"), status="published")
        people = [User(name=f"居民{i}", phone=f"152{i:08d}", password_hash=cheap, member_type="community")
                  for i in range(PEOPLE)]
        db.session.add_all([activity, *people])
        db.session.flush()
        # Bulk, so the copy takes a moment: the writes have time to go on while it runs.
        db.session.add_all(Notification(user_id=u.id, kind="message", params_json='{"text": "' + "通知" * 100 + '"}')
                           for u in people)
        db.session.commit()
        return activity.id


def _keep_signing_up(uri, activity_id, started, stop):
    """Another app process: one person after another signs up (each a transaction of its own)."""
    from app.services import signups

    app = create_app(config_for(uri))
    with app.test_request_context():
        event.listen(db.engine, "connect", lambda conn, _r: conn.execute("PRAGMA wal_autocheckpoint=0"))
        for uid in range(1, PEOPLE + 1):
            if stop.is_set():
                break
            signups.sign_up(db.session.get(User, uid), activity_id)
            db.session.commit()
            started.set()
        db.engine.dispose()


def _count(app) -> int:
    with app.app_context():
        db.session.rollback()
        n = db.session.scalar(select(func.count()).select_from(Signup))
        db.session.rollback()
        return n


def test_backup_copies_a_live_database_consistently_and_restores(tmp_path):
    live = tmp_path / "live.db"
    uri = f"sqlite:///{live}"
    app = create_app(config_for(uri))
    with app.app_context():
        upgrade()
    activity_id = _seed(app)

    ctx = mp.get_context("fork")
    started, stop = ctx.Event(), ctx.Event()
    writer = ctx.Process(target=_keep_signing_up, args=(uri, activity_id, started, stop))
    writer.start()
    try:
        assert started.wait(30)
        time.sleep(0.3)
        before = _count(app)
        assert (tmp_path / "live.db-wal").stat().st_size > 0, "recent commits are in the write-ahead log"
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup.db")])
        after = _count(app)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output
    assert after > before, "the writes went on while the backup ran"

    copy = sqlite3.connect(tmp_path / "backup.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
    saved = copy.execute("SELECT count(*) FROM signups").fetchone()[0]
    copy.close()
    assert before <= saved <= after, "the copy holds every commit made before the backup began"

    # The restore drill: the copy goes in place of the database and the app runs on it.
    restored = tmp_path / "restored.db"
    shutil.copyfile(tmp_path / "backup.db", restored)
    again = create_app(config_for(f"sqlite:///{restored}"))
    with again.app_context():
        assert_invariants(db.session)
        assert db.session.get(Activity, activity_id).confirmed_count + \
            db.session.get(Activity, activity_id).waitlisted_count == saved
        db.session.rollback()
        upgrade()  # already at the newest revision: nothing to do, nothing lost
        assert db.session.scalar(select(func.count()).select_from(Signup)) == saved
    client = again.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get(f"/activities/{activity_id}").status_code == 200
    with again.test_request_context():
        from app.services import signups

        last = db.session.scalar(select(User).where(User.id == PEOPLE))
        signups.sign_up(last, activity_id)
        db.session.commit()
        assert_invariants(db.session)
    for engine_app in (app, again):
        with engine_app.app_context():
            db.engine.dispose()


def test_backup_refuses_to_overwrite(tmp_path):
    app = create_app(config_for(f"sqlite:///{tmp_path / 'live.db'}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    (tmp_path / "there.db").write_text("keep me")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "there.db")])
    assert result.exit_code != 0 and (tmp_path / "there.db").read_text() == "keep me"


def test_backup_on_postgresql_points_to_pg_dump(tmp_path):
    """No connection is made: the command looks at the URL only."""
    url = PG_URL or "postgresql+psycopg://nobody@127.0.0.1:9/none"
    result = create_app(config_for(url)).test_cli_runner().invoke(args=["backup", str(tmp_path / "x.db")])
    assert result.exit_code != 0 and "pg_dump" in result.output
    assert not (tmp_path / "x.db").exists()
