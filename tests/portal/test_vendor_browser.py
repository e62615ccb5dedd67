"""In headless Chromium, a vendor admin's day: sign in (through the forced password change),
accept a requester's subscription, add a worker, watch a job's progress move as the worker
submits through the API, and download the month's statement, whose total matches the ledger.
Screenshots of the dashboard and the job page go to ``screenshot_dir``."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest

from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import LedgerAccount, VendorSubscription
from marketplace.money import format_micros
from marketplace.selectors.ledger import account_balance_micros
from marketplace.services.vendors import subscription_request
from tests.support.factories import client_with

from .vendor_world import answer_next, approve, make_vendor, post_job

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a long vendor secret 2026"


def sign_in(page, username: str, password: str) -> None:
    page.goto("/portal/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/password/change")
    page.fill("#id_old_password", password)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/vendor/")


def test_a_vendor_admin_accepts_work_staffs_it_watches_it_and_reconciles_the_statement(
    page, screenshot_dir, storage_root, make_requester
):
    # given: a vendor with an offering, and a requester asking to subscribe
    vendor = make_vendor("Acme Labeling", team_name="Acme text team")
    requester = make_requester("Initech")
    subscription, _ = subscription_request(requester=requester.organization, offering=vendor.workteam.offering)
    sign_in(page, vendor.created.admin_username, vendor.created.admin_password)

    # when: the admin accepts the subscription
    page.click("nav >> text=Subscriptions")
    row = page.locator(f'tr[data-subscription="{subscription.pk}"]')
    assert "Initech" in row.inner_text() and "Pending" in row.inner_text()
    row.locator("button", has_text="Accept").click()
    page.wait_for_url("**/portal/vendor/subscriptions")
    # then
    assert "Active" in page.locator(f'tr[data-subscription="{subscription.pk}"]').inner_text()
    subscription.refresh_from_db()
    assert subscription.status == VendorSubscription.Status.ACTIVE

    # when: the requester posts a job to the team, and the admin adds a worker
    job = post_job(requester, vendor, storage_root, name="sentiment-1")
    page.click("nav >> text=Team")
    page.fill("#id_username", "ana-from-acme")
    page.select_option("#id_workteam", str(vendor.workteam.pk))
    page.click("#add-worker button[type=submit]")
    token = page.inner_text("#token-value").strip()
    worker = SimpleNamespace(client=client_with(token))
    assert worker.client.get("/api/v1/worker/me").status_code == 200

    # then: the job is on the dashboard, nothing answered yet
    page.click("nav >> text=Dashboard")
    page.click("#active-work >> text=sentiment-1")
    page.wait_for_url(f"**/portal/vendor/jobs/{job.pk}")
    assert page.inner_text("#answers") == "0 / 4"

    # when: the worker answers two objects through the API, the requester approves them, and
    # the background consolidates
    for _ in range(2):
        approve(requester, answer_next(worker))
    run_labeling_sweeps()
    page.reload()
    # then: the job page shows the progress
    assert page.inner_text("#answers") == "2 / 4"
    assert page.inner_text("#labeled") == "2 / 4"
    assert "ana-from-acme" in page.inner_text("main table")
    page.screenshot(path=str(screenshot_dir / "vendor-job.png"), full_page=True)
    page.click("nav >> text=Dashboard")
    assert "2 / 4" in page.inner_text("#active-work")
    page.screenshot(path=str(screenshot_dir / "vendor-dashboard.png"), full_page=True)

    # when: the admin downloads this month's statement
    page.click("nav >> text=Earnings")
    with page.expect_download() as download_info:
        page.click("#statement-csv")
    text = open(download_info.value.path(), encoding="utf-8").read()
    # then: its total is the ledger's balance for the vendor
    rows = list(csv.DictReader(io.StringIO(text)))
    entries = [row for row in rows if row["kind"] == "assignment_payment"]
    assert len(entries) == 2 and {row["job"] for row in entries} == {"sentiment-1"}
    opening, closing = Decimal(rows[0]["balance"]), Decimal(rows[-1]["balance"])
    assert opening + sum(Decimal(row["amount"]) for row in entries) == closing
    balance = account_balance_micros(LedgerAccount.Kind.VENDOR_EARNINGS, organization=vendor.organization)
    assert closing == Decimal(format_micros(balance)) == 2 * Decimal(format_micros(vendor.offering.price_micros))
    assert page.inner_text("#closing") == f"${format_micros(balance)}"
