"""Blueprints: thin views that parse, call a service, and render a page or a fragment."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import activities, auth, main, manage, notifications

    for module in (main, auth, activities, notifications, manage):
        app.register_blueprint(module.bp)
