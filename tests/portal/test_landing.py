"""The landing page at ``/`` and the favicon (issue 21): a calm server-rendered page in the
portal's style linking the console, the portal, the API docs and the health check; unknown URLs
elsewhere keep the JSON 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

LINKS = {"/console/": "Worker console", "/portal/": "Portal", "/api/docs/": "API docs", "/healthz": "Health"}


def test_the_landing_page_links_the_console_the_portal_the_api_docs_and_the_health_check():
    # when
    response = Client().get("/")
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    for href, name in LINKS.items():
        assert re.search(rf'<a class="stat" href="{re.escape(href)}">\s*<div class="value">{name}</div>', html), href
    assert "<script" not in html
    assert "Groundwork" in html


def test_other_methods_on_the_landing_page_get_the_json_405():
    # when
    response = Client().post("/", {"anything": "x"})
    # then
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_favicon_is_an_icon_and_unknown_urls_stay_json_404s():
    # when
    icon = Client().get("/favicon.ico")
    svg = Client().get("/favicon.svg")
    unknown = Client().get("/no/such/page")
    # then
    assert (icon.status_code, icon["Content-Type"]) == (200, "image/x-icon")
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # the ICO header
    assert (svg.status_code, svg["Content-Type"]) == (200, "image/svg+xml")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")


@pytest.mark.django_db(transaction=True)
def test_the_landing_page_in_a_browser(page, screenshot_dir):
    # when a person opens the server's address
    page.goto("/")
    page.screenshot(path=str(screenshot_dir / "landing.png"), full_page=True)
    # then the four ways on are there, and one of them leads to the portal's sign-in
    for href, name in LINKS.items():
        assert page.locator(f'a[href="{href}"] .value').inner_text() == name
    page.click('a[href="/portal/"]')
    page.wait_for_url("**/portal/login**")
    assert page.inner_text("h1") == "Sign in"
