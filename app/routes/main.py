"""The home page, the health check and the language switch."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from ..extensions import db
from ..services import posts, records
from ..services.activities import ActivityFilter, upcoming_for, visible_activities
from ..timeutil import local_today
from ..urls import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    """A signed-in person's next activities; upcoming activities for everyone."""
    mine, my_posts, year_hours = [], [], None
    if current_user.is_authenticated:
        mine, my_posts = upcoming_for(current_user), posts.my_posts(current_user)
        year_hours = dict(records.yearly_totals(current_user)).get(local_today().year, 0)
    upcoming = db.session.scalars(visible_activities(ActivityFilter()).limit(6)).all()
    return render_template("main/home.html", mine=mine, upcoming=upcoming, my_posts=my_posts, year_hours=year_hours)


@bp.get("/healthz")
def healthz():
    """Ok when the database answers."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/favicon.ico")
def favicon():
    """Browsers that ignore the icon link ask here."""
    return redirect(url_for("static", filename="img/icon.svg"), 301)


@bp.get("/lang/<code>")
def set_language(code: str):
    """Switch the language and remember it in a cookie."""
    response = redirect(safe_next(request.args.get("next")) or "/", 303)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
