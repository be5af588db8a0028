"""Blueprints: thin views that parse, call a service, and render a page or a fragment."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import (account, activities, admin, admin_import, admin_people, auth, checkin, classes, hours, main,
                   manage, manage_posts, notifications, posts, reports, review, roster, sharing, sheets)

    for module in (
        main, auth, account, activities, checkin, classes, notifications, posts, hours, sheets, sharing,  # everyone
        manage, manage_posts, roster, review, reports,  # organizers
        admin, admin_people, admin_import,  # administration
    ):
        app.register_blueprint(module.bp)
