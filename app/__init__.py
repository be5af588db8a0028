"""Hongxin (红心): the application factory."""
import logging
import os
import secrets
from functools import cached_property
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import database  # noqa: F401  (register the engine events)
from .config import Defaults, database_url
from .extensions import babel, csrf, db, locale_selector, login, migrate


class Hongxin(Flask):
    """Flask, asking once per handler whether it must be run as a coroutine."""

    def ensure_sync(self, func):
        # Flask asks it of every view and handler on every request (inspect's code flags: some twenty a request, 2 %
        # of a kept page's instructions). The handlers are the same objects request after request, so the answer is
        # kept: an async one is still wrapped, once.
        if (known := self._synchronous.get(func)) is None:
            known = self._synchronous[func] = super().ensure_sync(func)
        return known

    @cached_property
    def _synchronous(self) -> dict:
        return {}


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, CLI, error pages."""
    app = Hongxin(__name__, instance_relative_config=True)
    app.config.from_object(Defaults)
    app.config.from_prefixed_env()
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", database_url(app.instance_path))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        size = int(app.config["DATABASE_POOL_SIZE"])
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "pool_size": size, "max_overflow": size,
                                                   **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    _ensure_secret_key(app)
    secure = app.config["COOKIE_SECURE"]
    if secure is None:
        secure = not (app.debug or app.testing or os.environ.get("HONGXIN_DEV"))
    app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = bool(secure)
    if proxies := int(app.config["PROXY_FIX_X_FOR"]):
        # Behind nginx every request comes from the proxy: the throttles must see the client's address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    login.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=locale_selector)

    from . import auth_setup, cli, templating
    from .database import init_write_requests
    from .services.deliveries import init_deliveries
    from .assets import init_assets
    from .errors import init_errors
    from .routes import register_blueprints
    from .security import init_security
    from .timing import init_timing

    auth_setup.init_login(app)
    templating.init_templating(app)
    init_security(app)
    init_write_requests(app)
    init_deliveries(app)
    init_timing(app)
    init_errors(app)
    init_assets(app)
    register_blueprints(app)
    cli.register(app)
    return app


def _ensure_secret_key(app: Flask) -> None:
    """FLASK_SECRET_KEY is required in production; debug and tests keep a local one in instance/."""
    if app.config.get("SECRET_KEY"):
        return
    if not (app.debug or app.testing or os.environ.get("HONGXIN_DEV")):
        raise RuntimeError("FLASK_SECRET_KEY must be set (see README: Settings).")
    key_file = Path(app.instance_path) / "dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
        logging.getLogger(__name__).warning("Using a development secret key from %s", key_file)
    app.config["SECRET_KEY"] = key_file.read_text().strip()
