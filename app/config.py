"""Settings: defaults here, overridden from the environment (FLASK_<KEY>, DATABASE_URL)."""
import os
from pathlib import Path


def database_url(instance_path: str) -> str:
    """The database URL from DATABASE_URL, defaulting to a SQLite file in instance/."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'hongxin.db'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Defaults:
    SECRET_KEY = None
    TIMEZONE = "Asia/Shanghai"
    BABEL_DEFAULT_LOCALE = "zh"
    LANGUAGES = ("zh", "en")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # PostgreSQL connections each app process keeps open. A gunicorn sync worker serves one request at a
    # time with one connection: 2 leaves one spare; threaded workers want one per thread. As many more
    # may open for a moment under a spike. Processes × (this × 2) must stay below max_connections.
    DATABASE_POOL_SIZE = 2
    # Phones keep tabs open for days: a form must not expire while the session lives.
    WTF_CSRF_TIME_LIMIT = None
    # Cookies only over HTTPS; None: on unless debug, testing or `make run` (HONGXIN_DEV). A plain-HTTP
    # intranet sets FLASK_COOKIE_SECURE=false.
    COOKIE_SECURE = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    # Proxies in front whose X-Forwarded-For is trusted (nginx: 1); 0 ignores the header, which anyone can forge.
    PROXY_FIX_X_FOR = 0
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    REGISTER_RATE_LIMIT = "5 per minute;30 per hour"
    PAGE_SIZE = 20
    # Bytes of a request body; a bigger one is refused (413) before it is read.
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    # Text messages: `outbox` (a JSON line per message in SMS_OUTBOX, default instance/sms-outbox.jsonl)
    # or `aliyun` (Alibaba Cloud SMS: SMS_ACCESS_KEY_ID, SMS_ACCESS_KEY_SECRET, SMS_SIGN_NAME, SMS_TEMPLATES).
    SMS_BACKEND = "outbox"
    SMS_OUTBOX = None
    SMS_SIGN_NAME = "红心"
    # `notice` carries a notification's text (one ${text} variable in the approved template).
    SMS_TEMPLATES = {"code": "", "account_exists": "", "no_account": "", "notice": ""}
    SMS_ENDPOINT = None
    # Notices by SMS left unsent in a request (more than this many, or a provider failure) go with `flask tick`.
    SMS_SEND_IN_REQUEST = 20
    # The address people reach (https://hongxin.example.cn) for links in texts, QR codes and feeds;
    # None: the request's own host, and http://127.0.0.1:5000 where there is no request (`flask tick`).
    PUBLIC_URL = None
    SMS_PROTOCOL = "https"
    # `make run` (HONGXIN_DEV) and debug also show an outbox code on the page, so the demo needs no phone.
    SMS_SHOW_CODES = bool(os.environ.get("HONGXIN_DEV"))
    # Codes asked for: per phone (one a minute) and per address.
    CODE_PHONE_RATE_LIMIT = "1 per minute;10 per day"
    CODE_ADDRESS_RATE_LIMIT = "5 per minute;50 per day"
