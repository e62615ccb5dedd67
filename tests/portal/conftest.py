"""Portal fixtures: signed-in test clients, and a real headless Chromium for browser tests.

Browser tests drive Debian's ``chromium`` (``CHROMIUM_PATH`` overrides where it is) with the
Python ``playwright`` package; ``playwright install`` cannot download browsers here. Without
Chromium they are skipped, with the reason in the run's summary. Screenshots go to
``SCREENSHOT_DIR`` (default ``var/screenshots``), printed at the end of the run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.test import Client

from marketplace.models import Membership
from tests.conftest import SCREENSHOT_DIR

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def signed_in(username: str, password: str, *, password_changed: bool = True) -> Client:
    """A test client signed in to the portal as this admin (its forced password change done,
    unless ``password_changed`` is false)."""
    if password_changed:
        Membership.objects.filter(user__username=username).update(password_change_required=False)
    client = Client()
    assert client.login(username=username, password=password)
    return client


@pytest.fixture
def vendor():
    """A vendor with an admin (``tests.portal.vendor_world.make_vendor``)."""
    from .vendor_world import make_vendor

    return make_vendor()


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module. Not for the session: Playwright's sync API leaves an event
    loop running on the thread while it is open, which would break later async tests."""
    if not CHROMIUM:
        pytest.skip(
            "browser tests skipped: Debian's chromium is not installed (apt-get install chromium; .ci/run does)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests skipped: the playwright package is not installed (pip install -e '.[test]')")
    # Playwright's sync API runs an event loop on this thread; the test's own ORM calls are
    # still synchronous, so Django's async-safety check would refuse them.
    # Restored afterwards, so the realtime tests keep Django's async-safety checks.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) on the live test server; ``page.goto("/portal/")``."""
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
