"""Bad input never breaks a page or loses data: Hypothesis-made bodies for every form POST route, query
strings for every GET route and odd text in every path parameter (uploaded files: test_uploads.py).

Bodies start from the route's valid form, then fields are replaced by odd values (long and odd
unicode, NUL, numbers that are not numbers, impossible dates), dropped, repeated or joined by
strangers. Every answer is 2xx, 3xx or 4xx, never 5xx; a refused request (4xx) changes nothing.
"""
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from app import create_app
from app import passwords
from tests.conftest import config_for
from tests.security.conftest import FORMS, build_path, client_as, encode, hours_form, routes, snapshot, world_args

TEXT = st.characters(blacklist_categories=("Cs",))  # lone surrogates cannot be sent as UTF-8 at all
ODD = st.sampled_from(["", " ", "\x00", "a\x00b", "\x01=1", "²", "1²-ab", "\r\nx", "/%0D%0Ax", "0001-01-01", "sNaN",
                       "0.55", "读书会第十十期", "\u202e\u200b\ufeff", "𝒳" * 3, "١٢", "１２", "-1", "0", "1e309",
                       "NaN", "inf", "-inf", "0x1F", "9" * 40, "1.05", "2026-02-30", "0000-00-00", "9999-12-31T23:59",
                       "2026-13-01T25:61", "yes", "on", "None", "null", "[]", "{}", "' OR 1=1 --", "%00", "../../etc"])
VALUE = st.one_of(ODD, st.text(TEXT, max_size=80), st.text(TEXT, min_size=500, max_size=6000),
                  st.integers(-(2 ** 63), 2 ** 63).map(str), st.floats().map(str),
                  st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")), st.dates().map(str))


def _post_rules():
    return sorted(set(rule.rule for rule, method in routes(create_app(config_for("sqlite://"))) if method == "POST")
                  & set(FORMS))


def bodies(fields: list[str]):
    """Changes to a valid body: fields replaced by 0-3 odd values (missing, repeated), strangers added."""
    names = st.sampled_from(fields + ["csrf_token", "action", "x", "\x00", "名字"]) if fields else \
        st.sampled_from(["csrf_token", "action", "x", "\x00", "名字"])
    return st.dictionaries(names, st.lists(VALUE, max_size=3), max_size=len(fields) + 2)


@pytest.mark.parametrize("rule_text", _post_rules())
def test_odd_bodies_never_break_a_page_or_half_write(app, world, monkeypatch, rule_text):
    monkeypatch.setattr(passwords, "HASH_METHOD", "pbkdf2:sha256:1000")  # the hash cost is not under test
    rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text)
    path = build_path(rule, world_args(app, world, rule))
    role, form = FORMS[rule_text]
    with app.app_context():
        valid = form(world)
    client = client_as(app, world, role)

    @settings(max_examples=25, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(changes=bodies(sorted(valid)), htmx=st.booleans())
    def post_odd_body(changes, htmx):
        body = MultiDict([(k, v) for k, v in encode(valid).items() if k not in changes])
        for name, values in changes.items():
            for value in values:
                body.add(name, value)
        headers = {"HX-Request": "true", "HX-Request-Type": "partial"} if htmx else {}
        before = snapshot(app)
        response = client.post(path, data=body, headers=headers)
        assert response.status_code < 500, f"POST {path} {dict(body.lists())!r} → {response.status_code}"
        if response.status_code >= 400:
            assert snapshot(app) == before, f"POST {path} refused with {response.status_code} but changed data"

    post_odd_body()


@pytest.mark.parametrize("path", ["/activities", "/reports", "/me/hours", "/manage/activities", "/manage/hours",
                                  "/login", "/"])
def test_odd_query_strings_never_break_a_page(app, world, path):
    client = client_as(app, world, "admin")

    @settings(max_examples=25, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(query=st.dictionaries(st.sampled_from(["q", "kind", "period", "page", "from", "to", "year", "next", "org"]),
                                 VALUE, max_size=4))
    def get_odd_query(query):
        response = client.get(path, query_string=query)
        assert response.status_code < 500, f"GET {path} {query!r} → {response.status_code}"

    get_odd_query()


def _get_rules():
    return sorted(rule.rule for rule, method in routes(create_app(config_for("sqlite://"))) if method == "GET")


QUERY_KEYS = ["q", "kind", "period", "page", "from", "to", "year", "month", "next", "org", "branch", "type", "status",
              "id", "user_id", "grid_id", "code", "format", "lang"]


@pytest.mark.parametrize("rule_text", _get_rules())
def test_odd_query_strings_never_break_any_page(app, world, rule_text):
    """Every GET route, as the admin (who may see every page): odd values in the query keys pages read."""
    rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text and "GET" in r.methods)
    path = build_path(rule, world_args(app, world, rule))
    client = client_as(app, world, "admin")

    @settings(max_examples=6, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(query=st.dictionaries(st.sampled_from(QUERY_KEYS), VALUE, max_size=4), htmx=st.booleans())
    def get_odd_query(query, htmx):
        headers = {"HX-Request": "true", "HX-Request-Type": "partial"} if htmx else {}
        response = client.get(path, query_string=query, headers=headers)
        assert response.status_code < 500, f"GET {path} {query!r} → {response.status_code}"

    get_odd_query()


def _rules_with_text_in_the_path():
    return sorted({rule.rule for rule, _method in routes(create_app(config_for("sqlite://")))
                   if any(not isinstance(c, IntegerConverter) for c in rule._converters.values())})


@pytest.mark.parametrize("rule_text", _rules_with_text_in_the_path())
def test_odd_path_parameters_never_break_a_page(app, world, rule_text):
    """Check-in codes, certificate numbers, language codes, calendar tokens, file names: odd text in each,
    with every method the route takes."""
    rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text)
    texts = [name for name, c in rule._converters.items() if not isinstance(c, IntegerConverter)]
    client = client_as(app, world, "member")
    args = world_args(app, world, rule)
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})

    @settings(max_examples=20, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(values=st.lists(st.one_of(ODD, st.text(TEXT, min_size=1, max_size=60)), min_size=len(texts),
                           max_size=len(texts)), method=st.sampled_from(methods))
    def open_odd_path(values, method):
        path = rule.rule
        for name, value in {**args, **dict(zip(texts, values))}.items():
            path = re.sub(rf"<[^>]*:?{name}>", quote(str(value), safe="") or "x", path)
        response = client.open(path, method=method)
        assert response.status_code < 500, f"{method} {path} → {response.status_code}"

    open_odd_path()


def _valid_bodies(app, world) -> list:
    """(rule, a client of the rule's role, a valid body) for every POST form; built first, because a valid
    body may need a code issued for it, which must not count as a change the refused requests made."""
    with app.app_context():
        bodies = {rule_text: FORMS[rule_text][1](world) for rule_text in _post_rules()}
    found = []
    for rule_text, valid in bodies.items():
        rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text and "POST" in r.methods)
        found.append((rule, client_as(app, world, FORMS[rule_text][0]), valid))
    return found


def test_a_nul_byte_anywhere_is_refused_whole(app, world):
    """PostgreSQL cannot store NUL in text: every form refuses it (400) before anything is written."""
    bodies = _valid_bodies(app, world)
    before, wrong = snapshot(app), []
    for rule, client, valid in bodies:
        rule_text = rule.rule
        for name in [*valid, "extra"]:
            response = client.post(build_path(rule, world_args(app, world, rule)), data=encode({**valid, name: "a\x00b"}))
            if response.status_code != 400:
                wrong.append(f"POST {rule_text} with NUL in {name}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert snapshot(app) == before


def test_a_control_character_in_any_text_is_refused_whole(app, world):
    """`\\x01=HYPERLINK(…)` or an escape sequence in a name, a note or a reason: refused with a message, nothing
    written (tabs and line breaks are fine in multi-line fields, see below)."""
    bodies = _valid_bodies(app, world)
    before, wrong = snapshot(app), []
    for rule, client, valid in bodies:
        rule_text = rule.rule
        for name, value in valid.items():
            if not isinstance(value, str) or not value:
                continue
            for odd in ("\x01", "\x1b[31m", "\x7f", "\x85"):
                response = client.post(build_path(rule, world_args(app, world, rule)),
                                       data=encode({**valid, name: value + odd}))
                if not 400 <= response.status_code < 500:
                    wrong.append(f"POST {rule_text} with {odd!r} in {name}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert snapshot(app) == before


@pytest.mark.parametrize("field, value, ok", [("title", "读书会\n第五期", False), ("location", "\t西苑社区", False),
                                             ("description", "第一行\r\n\t第二行", True)])
def test_tabs_and_line_breaks_only_in_multi_line_fields(app, world, field, value, ok):
    with app.app_context():
        body = {**FORMS["/manage/activities/new"][1](world), field: value}
    response = client_as(app, world, "organizer_in").post("/manage/activities/new", data=body)
    assert response.status_code == (303 if ok else 422)
    if not ok:
        assert "控制字符" in response.get_data(as_text=True)


def test_every_form_checks_its_text_fields():
    """plain_text runs on the text fields of every form that derives from app.forms.Form: all of them."""
    import app.forms_admin  # noqa: F401  (define its forms)
    from flask_wtf import FlaskForm

    from app.forms import Form

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [f for f in subclasses(FlaskForm) if f.__module__.startswith("app.")]
    assert len(ours) > 20 and all(issubclass(f, Form) for f in ours), [f for f in ours if not issubclass(f, Form)]


def test_a_control_character_is_refused_with_a_message(app, world):
    with app.app_context():
        body = {**hours_form(world), "note": "\x01=1+1"}
    response = client_as(app, world, "member").post("/me/hours", data=body)
    assert response.status_code == 400 and "控制字符" in response.get_data(as_text=True)


def test_a_nul_byte_in_the_path_or_query_is_refused(client, world):
    assert client.get("/certificates/HX%00").status_code == 400
    assert client.get("/activities", query_string={"q": "a\x00"}).status_code == 400


TOO_BIG = str(2 ** 31)  # one past the largest id PostgreSQL's integer columns hold


def test_an_id_too_big_for_the_database_is_not_found(app, world):
    """Every route with an `<int:…>` in its URL, every method: no route matches an id PostgreSQL cannot hold
    (404; 405 where werkzeug saw the path's other method first)."""
    client, wrong = client_as(app, world, "admin"), []
    for rule, method in routes(app):
        ints = [a for a, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        if not ints:
            continue
        path = rule.rule
        for name, value in {**world_args(app, world, rule), **dict.fromkeys(ints, TOO_BIG)}.items():
            path = re.sub(rf"<[^>]*:?{name}>", str(value), path)
        status = client.open(path, method=method).status_code
        if status not in (404, 405):
            wrong.append(f"{method} {path}: {status}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path, field", [("/manage/activities/{a}/attendance", "user_id"),
                                         ("/manage/activities/{a}/sessions/{s}/attendance", "user_id")])
def test_a_number_too_big_for_the_database_in_a_form_changes_nothing(app, world, path, field):
    """Nobody has that id: the answer is the usual refusal (a flash and 303, or 422 for htmx), never a 5xx."""
    client = client_as(app, world, "organizer_in")
    before = snapshot(app)
    for headers in ({}, {"HX-Request": "true", "HX-Request-Type": "partial"}):
        response = client.post(path.format(a=world.activity_id, s=world.session_id),
                               data={field: TOO_BIG, "attended": "yes"}, headers=headers)
        assert response.status_code < 500, f"{path} {field}={TOO_BIG}: {response.status_code}"
    assert snapshot(app) == before


def test_a_year_too_big_for_the_database_is_refused_or_ignored(app, world):
    response = client_as(app, world, "member").get("/me/hours", query_string={"year": TOO_BIG})
    assert response.status_code < 500, f"/me/hours?year={TOO_BIG}: {response.status_code}"
