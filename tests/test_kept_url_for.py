"""Templates' url_for keeps the addresses it builds: each must be the one url_for itself would build."""
from flask import render_template_string, url_for


def test_kept_addresses_are_url_fors_own(app):
    kept = app.jinja_env.globals["url_for"]
    cases = [("activities.index", {}), ("activities.show", {"activity_id": 7}),
             ("auth.login", {"next": "/activities?kind=reading&page=2"}), ("static", {"filename": "css/app.css"}),
             ("main.set_language", {"code": "en", "next": "/"})]
    with app.test_request_context("/"):
        for endpoint, values in cases:
            assert kept(endpoint, **values) == kept(endpoint, **values) == url_for(endpoint, **values)
        assert kept("activities.show", activity_id=7, _external=True) == url_for("activities.show", activity_id=7,
                                                                                 _external=True)
        assert kept("activities.index", kind=["a", "b"]) == url_for("activities.index", kind=["a", "b"])
    # The same endpoint under another mount point is another address, never the first one kept.
    with app.test_request_context("/hongxin/", base_url="http://localhost/hongxin"):
        assert kept("activities.show", activity_id=7) == "/hongxin/activities/7"


def test_relative_endpoints_follow_the_request(app):
    with app.test_request_context("/activities/7"):
        assert render_template_string("{{ url_for('.show', activity_id=7) }}") == url_for("activities.show",
                                                                                          activity_id=7)
