"""Browser-side defences on every route: CSRF tokens on every POST, and the security headers."""
import pytest

from tests.security.conftest import build_path, client_as, routes, snapshot, world_args

HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def _rules(app, method):
    return [rule for rule, m in routes(app) if m == method]


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_every_post_refuses_a_missing_or_forged_token(self, app, world):
        """Every POST route of the url map, as anonymous, member and admin: refused, nothing written."""
        before, wrong = snapshot(app), []
        for rule in _rules(app, "POST"):
            path = build_path(rule, world_args(app, world, rule))
            for role in ("anonymous", "member", "admin"):
                client = client_as(app, world, role)
                plain = client.post(path, data={"reason": "x", "hours": "1", "user_id": "1", "attended": "yes"})
                forged = client.post(path, data={"csrf_token": "forged"})
                htmx = client.post(path, headers=HX)
                if (plain.status_code, forged.status_code) != (400, 400):
                    wrong.append(f"{role} POST {path}: {plain.status_code} without, {forged.status_code} forged")
                if htmx.status_code != 200 or not ({"HX-Refresh", "HX-Redirect"} & set(htmx.headers.keys())):
                    wrong.append(f"{role} htmx POST {path}: should reload or go to the login page")
        assert not wrong, "CSRF:\n  " + "\n  ".join(wrong)
        assert snapshot(app) == before, "a POST without a token changed data"


def security_header_problems(response, where: str, signed_in: bool) -> list[str]:
    h, problems = response.headers, []
    csp = h.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if " " in d.strip())
    checks = [
        (bool(csp), "no Content-Security-Policy"),
        ("unsafe-inline" not in csp and "unsafe-eval" not in csp, f"CSP allows inline or eval: {csp}"),
        ("frame-ancestors 'none'" in csp, "CSP lacks frame-ancestors 'none'"),
        (directives.get("script-src") == "'self'", f"script-src is {directives.get('script-src')!r}"),
        (directives.get("object-src") == "'none'", f"object-src is {directives.get('object-src')!r}"),
        (h.get("X-Content-Type-Options") == "nosniff", "no nosniff"),
        (h.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"),
         f"Referrer-Policy is {h.get('Referrer-Policy')!r}"),
        ({"HX-Request", "HX-Request-Type"} <= set(response.vary), f"Vary is {h.get('Vary')!r}"),
        (not signed_in or "no-store" in h.get("Cache-Control", ""), "a signed-in person's answer may be cached"),
    ]
    problems += [f"{where}: {message}" for ok, message in checks if not ok]
    return problems


@pytest.mark.parametrize("role", ["anonymous", "member", "organizer_in", "admin"])
def test_every_page_carries_the_security_headers(app, world, role):
    """Every GET route of the url map, as a whole page and as an htmx fragment."""
    client, problems = client_as(app, world, role), []
    for rule in _rules(app, "GET"):
        path = build_path(rule, world_args(app, world, rule))
        for headers in ({}, HX):
            response = client.get(path, headers=headers)
            problems += security_header_problems(response, f"GET {path}{' (htmx)' if headers else ''}",
                                                 signed_in=role != "anonymous" and not path.startswith("/static/"))
    assert not problems, f"as {role}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("role", ["anonymous", "member"])
def test_errors_and_posts_carry_the_security_headers(app, world, role):
    client = client_as(app, world, role)
    signed_in = role != "anonymous"
    problems = []
    for response, where in ((client.get("/no-such-page"), "404"), (client.get("/activities/999999"), "404 object"),
                            (client.get("/logout"), "405"),
                            (client.post(f"/activities/{world.activity_id}/signup"), "POST"),
                            (client.post(f"/activities/{world.activity_id}/signup", headers=HX), "htmx POST")):
        problems += security_header_problems(response, f"{role} {where}", signed_in=signed_in)
    assert not problems, "\n".join(problems)


def test_pages_for_anonymous_people_may_be_cached_by_the_browser(client, world):
    assert "no-store" not in client.get("/activities").headers.get("Cache-Control", "")
