"""Every portal page in headless Chromium on the demo's data (requester and vendor, the job
form with its errors included), a screenshot of each to ``screenshot_dir`` (named
``portal-<side>-<page>.png``, to be looked at), and what a look would catch checked by the
browser itself: nothing wider than the window, no figure wrapping onto a second line, no raw
identifier where a word belongs, every chart with a heading and a caption."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from .demo_world import DemoWorld, build_demo_world

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH = 1280
RAW_IDENTIFIERS = ("in_progress", "text_classification", "bounding_box", "escrow_reserve", "assignment_payment")

# Figures that must sit on one line: the card values and the "2 / 4" progress labels.
ONE_LINE = """() => [...document.querySelectorAll('.stat .value, td.progress')].filter(element => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const bottoms = [];
  while (walker.nextNode()) {
    if (!walker.currentNode.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(walker.currentNode);
    for (const rect of range.getClientRects()) if (rect.width > 0) bottoms.push(rect.bottom);
  }
  return bottoms.length && Math.max(...bottoms) - Math.min(...bottoms) > 8;
}).map(element => element.textContent.trim())"""


def demo_world(settings, tmp_path) -> DemoWorld:
    """The demo world, built on a thread of its own: Playwright runs an event loop on this one,
    where the services' realtime hints (``async_to_sync``) cannot be sent."""
    built: list[DemoWorld] = []

    def build() -> None:
        try:
            built.append(build_demo_world(settings, tmp_path / "data"))
        finally:
            connection.close()  # this thread's own connection, or the test database stays in use

    worker = threading.Thread(target=build)
    worker.start()
    worker.join()
    assert built, "building the demo world failed (see the thread's traceback above)"
    return built[0]


def sign_in(page, who: dict, landing: str) -> None:
    page.goto("/portal/login")
    page.fill("#id_username", who["admin_username"])
    page.fill("#id_password", who["admin_password"])
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{landing}")


def look(page, screenshot_dir, name: str, path: str | None = None) -> str:
    """Open ``path`` (or stay), save the screenshot, check the page; returns its visible text."""
    if path:
        response = page.goto(path)
        assert response.status == 200, (path, response.status)
    page.screenshot(path=str(screenshot_dir / f"portal-{name}.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH, f"{name} is wider than the window"
    assert page.evaluate(ONE_LINE) == [], f"{name}: a figure wraps"
    text = page.inner_text("body")
    assert not [raw for raw in RAW_IDENTIFIERS if raw in text], name
    assert " 1 objects" not in text and " 1 answers" not in text and "1 jobs" not in text, name
    return text


def test_every_requester_page_on_the_demo(browser, live_server, screenshot_dir, settings, tmp_path, storage_root):
    world = demo_world(settings, tmp_path)
    context = browser.new_context(base_url=live_server.url, viewport={"width": WIDTH, "height": 900})
    page = context.new_page()
    answered = world.credentials["answered_labeling_job"]
    sign_in(page, world.credentials["requester"], "/portal/requester/")

    text = look(page, screenshot_dir, "requester-dashboard")
    assert "Batches posted through the API" in text and "In progress" in text and "Text classification" in text
    text = look(page, screenshot_dir, "requester-job", f"/portal/requester/jobs/{answered['id']}")
    for heading in ("Labeled objects per label", "Confidence of labeled objects", "Progress over time"):
        assert heading in text
    assert "added since: dynamic redundancy" in text and "Estimated accuracy in this job:" in text
    text = look(
        page,
        screenshot_dir,
        "requester-job-not-started",
        f"/portal/requester/jobs/{world.credentials['labeling_job']['id']}",
    )
    assert "No answers yet" in page.content() and "No object labeled yet" in page.content()
    look(page, screenshot_dir, "requester-job-sent-to-a-vendor", f"/portal/requester/jobs/{world.vendor_job_id}")
    look(page, screenshot_dir, "requester-job-form", "/portal/requester/jobs/new")
    page.fill("#id_name", "not a name!")
    page.fill("#id_workers_per_object", "lots")
    page.fill("#id_input_manifest_uri", "file://elsewhere/in.jsonl")
    page.click("#job-form button[type=submit]")
    page.wait_for_selector(".has-error")
    text = look(page, screenshot_dir, "requester-job-form-errors")
    errored = page.evaluate("() => [...document.querySelectorAll('.field.has-error')].map(e => e.id)")
    assert {"field-name", "field-workers_per_object", "field-title", "field-task_type"} <= set(errored)
    text = look(page, screenshot_dir, "requester-balance", "/portal/requester/balance")
    assert "Reserved for posted work" in text and "Payment for an approved answer" in text
    look(page, screenshot_dir, "requester-teams", "/portal/requester/teams")
    look(page, screenshot_dir, "requester-webhooks", "/portal/requester/webhooks")
    text = look(page, screenshot_dir, "requester-team", f"/portal/requester/teams/{answered['workteam_id']}")
    assert "Quality score" in text and "Approval rate" in text and "demo-sim-careful" in text
    look(page, screenshot_dir, "requester-account", "/portal/account")
    context.close()


def test_every_vendor_page_on_the_demo(browser, live_server, screenshot_dir, settings, tmp_path, storage_root):
    world = demo_world(settings, tmp_path)
    context = browser.new_context(base_url=live_server.url, viewport={"width": WIDTH, "height": 900})
    page = context.new_page()
    sign_in(page, world.credentials["vendor"], "/portal/vendor/")

    text = look(page, screenshot_dir, "vendor-dashboard")
    assert "Last hour: 4 answers; last 24 hours: 4 answers." in text and "vendor-reviews" in text
    text = look(page, screenshot_dir, "vendor-job", f"/portal/vendor/jobs/{world.vendor_job_id}")
    assert "3 tasks × 1 answer each = 3 wanted when the job started." in text
    text = look(page, screenshot_dir, "vendor-team", "/portal/vendor/team")
    assert "Quality score" in text and "demo-vendor-worker" in text
    look(page, screenshot_dir, "vendor-offerings", "/portal/vendor/offerings")
    look(page, screenshot_dir, "vendor-subscriptions", "/portal/vendor/subscriptions")
    look(page, screenshot_dir, "vendor-earnings", "/portal/vendor/earnings")
    look(page, screenshot_dir, "vendor-account", "/portal/account")
    context.close()
