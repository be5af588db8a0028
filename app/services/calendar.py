"""iCalendar (RFC 5545) files for activities."""
from ..models import Activity


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r", "").replace("\n", "\\n")


def _stamp(dt) -> str:
    return dt.strftime("%Y%m%dT%H%M%SZ")


def activity_ics(activity: Activity, url: str) -> str:
    """One VEVENT in UTC, with the activity's page as its URL."""
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Hongxin//Activities//ZH", "CALSCALE:GREGORIAN",
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
        "END:VEVENT", "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"
