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
