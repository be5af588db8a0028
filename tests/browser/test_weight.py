"""Weight: a first visit to the activity list on a phone transfers at most 60 KB, compressed; every
asset comes from the app's own host, compressed, with a fingerprinted URL that is cached for a year,
so the next page loads nothing but its HTML."""
import re
from urllib.parse import urlsplit

import pytest
from flask import request_started
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

BUDGET = 60 * 1024
TEXT = re.compile(r"text/html|text/css|javascript|image/svg\+xml|application/(json|manifest\+json)")


def test_first_visit_to_the_activity_list_weighs_at_most_60_kb(page, live_server):
    responses = []
    page.on("response", lambda r: responses.append(r))
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(live_server("/activities"))
    page.wait_for_load_state("networkidle")
    expect(page.locator("#activity-list .activity-card").first).to_be_visible()

    own = urlsplit(live_server()).netloc
    elsewhere = [url for url in requested if not url.startswith("data:") and urlsplit(url).netloc != own]
    assert not elsewhere, f"requests to another host: {elsewhere}"

    weights, total = [], 0
    for response in responses:
        sizes = response.request.sizes()
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        total += size
        path = response.url.removeprefix(live_server())
        weights.append(f"{size:>7} B  {response.headers.get('content-encoding', '-'):<4}  {path}")
        if TEXT.search(response.headers.get("content-type", "")) and response.status == 200:
            assert response.headers.get("content-encoding") in ("gzip", "br"), f"{path} is sent uncompressed"
            assert "accept-encoding" in response.headers.get("vary", "").lower(), f"{path} lacks Vary: Accept-Encoding"
        if "/static/" in path and response.status == 200:
            assert re.search(r"[?&]v=[0-9a-f]{8,}", path), f"{path} has no fingerprint in its URL"
            assert response.headers.get("cache-control") == "public, max-age=31536000, immutable", path
    print("\n".join(weights) + f"\n{total:>7} B  in all")
    assert total <= BUDGET, f"a first visit transfers {total} bytes, over {BUDGET}:\n" + "\n".join(weights)


def test_the_next_page_loads_only_its_html(page, live_server):
    seen = []

    def record(_app, **_kw):
        from flask import request

        seen.append(request.path)

    request_started.connect(record, live_server.app)
    try:
        page.goto(live_server("/activities"))
        page.wait_for_load_state("networkidle")
        assert {"/static/css/app.css", "/static/js/app.js"} <= set(seen), seen
        seen.clear()
        with page.expect_navigation():
            page.get_by_role("link", name="楼道粉刷志愿服务").click()
        page.wait_for_load_state("networkidle")
    finally:
        request_started.disconnect(record, live_server.app)
    assets = [p for p in seen if p.startswith("/static/") and not p.startswith("/static/img/")]
    assert not assets, f"the browser fetched cached assets again: {assets}"


def test_htmx_fragments_stay_apart_from_pages_in_caches(page, live_server):
    """A fragment and the page at the same URL differ, so both say Vary: HX-Request (and Accept-Encoding)."""
    page.goto(live_server("/activities"))
    with page.expect_response(re.compile(r"/activities\?")) as info:
        page.locator("select[name=kind]").select_option("reading")
    fragment = info.value
    assert fragment.request.headers.get("hx-request") == "true"
    vary = {v.strip().lower() for v in fragment.headers.get("vary", "").split(",")}
    assert {"hx-request", "accept-encoding"} <= vary, vary
    expect(page.locator("#activity-list .activity-card")).to_have_count(1)
    assert page.locator("body > header").count() == 1, "the fragment brought a second page along"
