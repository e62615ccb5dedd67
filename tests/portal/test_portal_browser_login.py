"""In headless Chromium: the first sign-in of a vendor admin, through the forced password change."""

from __future__ import annotations

import pytest

from marketplace.services.organizations import vendor_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_first_sign_in_in_a_browser(page, screenshot_dir):
    vendor = vendor_create(name="Browser Vendor")
    page.goto("/portal/")
    page.fill("#id_username", vendor.admin_username)
    page.fill("#id_password", vendor.admin_password)
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/password/change")
    page.fill("#id_old_password", vendor.admin_password)
    page.fill("#id_new_password1", "a brand new secret 123")
    page.fill("#id_new_password2", "a brand new secret 123")
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/vendor/")
    assert "Browser Vendor" in page.inner_text("h1")
