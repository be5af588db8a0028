"""iCalendar (RFC 5545) files: one activity, or a person's feed of everything they signed up for."""
from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Activity, Signup, User
from ..models.base import utcnow

# A feed keeps recent past activities too, so a phone calendar does not drop them at once.
FEED_KEEPS = timedelta(days=60)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r", "").replace("\n", "\\n")


def _stamp(dt) -> str:
    return dt.strftime("%Y%m%dT%H%M%SZ")


def _event(activity: Activity, url: str) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:activity-{activity.id}@hongxin",
        f"DTSTAMP:{_stamp(activity.updated_at)}",
        f"DTSTART:{_stamp(activity.starts_at)}",
        f"DTEND:{_stamp(activity.ends_at)}",
        f"SUMMARY:{_escape(activity.title)}",
        f"LOCATION:{_escape(activity.location)}",
        f"DESCRIPTION:{_escape(activity.description)}",
        f"URL:{url}",
        "STATUS:CANCELLED" if activity.status == "cancelled" else "STATUS:CONFIRMED",
        "END:VEVENT",
    ]


def calendar_file(events: list[tuple[Activity, str]], name: str = "") -> str:
    """A VCALENDAR of (activity, page URL) pairs, times in UTC."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Hongxin//Activities//ZH", "CALSCALE:GREGORIAN"]
    if name:
        lines.append(f"X-WR-CALNAME:{_escape(name)}")
    for activity, url in events:
        lines += _event(activity, url)
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def feed_activities(user: User) -> list[Activity]:
    """What a person's calendar feed holds: their live signups, recent and upcoming."""
    return list(db.session.scalars(
        select(Activity).join(Signup, Signup.activity_id == Activity.id)
        .where(Signup.user_id == user.id, Signup.status != "cancelled", Activity.ends_at > utcnow() - FEED_KEEPS)
        .order_by(Activity.starts_at)))


def user_by_calendar_token(token: str) -> User | None:
    return db.session.scalar(select(User).where(User.calendar_token == token, User.active.is_(True)))
