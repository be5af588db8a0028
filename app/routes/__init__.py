"""Blueprints: thin views that parse, call a service, and render a page or a fragment."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import (account, activities, admin, admin_import, admin_people, auth, cases, checkin, classes, desk, grids,
                   hours, main, manage, manage_posts, notifications, points, posts, reminders, reports, review, roster, sharing, sheets, wishes)

    for module in (
        main, auth, account, activities, checkin, classes, notifications, posts, hours, sheets, cases, wishes, grids,
        reminders, sharing,  # everyone
        desk, manage, manage_posts, roster, review, reports, points,  # organizers (the desk: grid workers too)
        admin, admin_people, admin_import,  # administration
    ):
        app.register_blueprint(module.bp)
