"""Blueprints: thin views that parse, call a service, and render a page or a fragment."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import account, activities, auth, hours, main, manage, manage_posts, notifications, posts, review, roster

    for module in (main, auth, account, activities, notifications, manage, posts, hours, manage_posts, roster, review):
        app.register_blueprint(module.bp)
