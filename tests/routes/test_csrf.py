"""With CSRF on: every POST needs the token, and htmx with a stale token is sent to reload."""
import re

import pytest


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def test_post_without_token_is_refused(client, community, make_activity, make_user, login):
    activity = make_activity(community["community"])
    login(make_user())
    response = client.post(f"/activities/{activity.id}/signup")
    assert response.status_code == 400


def test_post_with_token_from_the_page_works(client, community, make_activity, make_user, login):
    activity = make_activity(community["community"])
    login(make_user())
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/activities/{activity.id}/signup", data={"csrf_token": token}).status_code == 303


def test_htmx_with_stale_token_refreshes_the_page(client, community, make_activity, make_user, login):
    activity = make_activity(community["community"])
    login(make_user())
    response = client.post(f"/activities/{activity.id}/signup", data={"csrf_token": "stale"},
                           headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert response.headers.get("HX-Refresh") == "true"


def test_login_form_needs_the_token(client):
    assert client.post("/login", data={"phone": "13800000003", "password": "x"}).status_code == 400


@pytest.mark.parametrize("sent_in", ["form", "header"])
def test_an_htmx_answers_forms_carry_the_checked_token_and_it_works_again(client, community, make_activity, make_user,
                                                                          login, sent_in, monkeypatch):
    """The panel a signup answers with carries the token the POST was checked with (not a newly signed one),
    whether it came in the form or in htmx's header, and the next POST from that panel is accepted."""
    from itsdangerous.timed import TimestampSigner

    activity = make_activity(community["community"])
    login(make_user())
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    # A minute later: a token signed now would differ from the page's (signed tokens carry their second).
    later = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later(self) + 60)
    hx = {"HX-Request": "true", "HX-Request-Type": "partial"}
    sent = ({"data": {"csrf_token": token}} if sent_in == "form" else {"headers": {**hx, "X-CSRFToken": token}})
    panel = client.post(f"/activities/{activity.id}/signup", **{"headers": hx, **sent}).get_data(as_text=True)
    assert 'data-signup-status="confirmed"' in panel
    assert re.findall(r'name="csrf_token" value="([^"]+)"', panel) == [token]
    cancelled = client.post(f"/activities/{activity.id}/cancel", data={"csrf_token": token}, headers=hx)
    assert cancelled.status_code == 200 and 'data-signup-status="cancelled"' in cancelled.get_data(as_text=True)
