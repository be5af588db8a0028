"""Self check-in with a QR code that changes every minute.

The code is `<minute>-<mac>`: the minute it was shown and an HMAC of (activity, minute) under the
app's secret key, so a code cannot be made up, moved to another activity or kept for later.
"""
import hashlib
import hmac
import re
import time
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..models import Activity, Signup, User
from ..models.base import utcnow
from .errors import CheckinExpired, CheckinNotConfirmed, CheckinNotOpen, CheckinWrongCode, NotConfirmed
from .records import mark_attendance

PERIOD = 60
# A code shown in the previous minute still works: a phone camera is not instant.
GRACE_PERIODS = 1
CLOSES_AFTER_END = timedelta(hours=1)
# Someone who scanned a fresh code while signed out has this long to sign in (or register) and come back.
SIGN_IN_GRACE = timedelta(minutes=15)


def _mac(activity_id: int, minute: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"checkin:{activity_id}:{minute}".encode(), hashlib.sha256).hexdigest()[:12]


def current_code(activity_id: int, now: float | None = None) -> str:
    minute = int((now or time.time()) // PERIOD)
    return f"{minute}-{_mac(activity_id, minute)}"


def is_open(activity: Activity) -> bool:
    now = utcnow()
    return activity.status == "published" and activity.attendance_open(now) and now <= activity.ends_at + CLOSES_AFTER_END


def _scans() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="checkin-scan")


def scan_token(activity_id: int, code: str) -> str:
    """Proof that this code was fresh when scanned, carried through signing in (the `next` URL)."""
    return _scans().dumps([activity_id, code])


def _scanned_in_time(activity_id: int, code: str, token: str | None) -> bool:
    try:
        return _scans().loads(token or "", max_age=int(SIGN_IN_GRACE.total_seconds())) == [activity_id, code]
    except BadSignature:
        return False


def verify_code(activity: Activity, code: str, now: float | None = None, scanned: str | None = None) -> None:
    """Raise the reason a code does not check anyone in to this activity now; a code that has aged while
    its scanner signed in still counts with the `scanned` token issued when it was fresh."""
    minute_text, _, mac = (code or "").partition("-")
    # ASCII digits only: "²".isdigit() holds, but int("²") fails; and a minute has a dozen digits at most.
    if not (re.fullmatch(r"[0-9]{1,12}", minute_text) and mac.isascii()) \
            or not hmac.compare_digest(mac, _mac(activity.id, int(minute_text))):
        raise CheckinWrongCode()
    if not is_open(activity):
        raise CheckinNotOpen()
    age = int((now or time.time()) // PERIOD) - int(minute_text)
    if not 0 <= age <= GRACE_PERIODS and not (age >= 0 and _scanned_in_time(activity.id, code, scanned)):
        raise CheckinExpired()


def check_in(user: User, activity: Activity, code: str, scanned: str | None = None) -> Signup:
    """Mark the person attended (crediting the activity's hours) when the code is good."""
    verify_code(activity, code, scanned=scanned)
    try:
        return mark_attendance(user, activity.id, user.id, True)
    except NotConfirmed as exc:
        raise CheckinNotConfirmed() from exc
