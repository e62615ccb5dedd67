"""Vendor portal pages through the Django test client: what each page shows, and that its
numbers come from the right places (the ledger for money)."""

from __future__ import annotations

import pytest

from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import LedgerAccount
from marketplace.services.ledger import account_balance_micros

from .vendor_world import answer_next, approve, make_vendor, make_worker, post_job, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def storage_root(tmp_path, settings):
    root = (tmp_path / "storage-root").resolve()
    root.mkdir()
    settings.STORAGE_ROOT = root
    return root


def test_the_job_page_shows_progress_workers_and_confidence(requester, storage_root):
    # given
    vendor = make_vendor()
    subscribe(requester, vendor)
    job = post_job(requester, vendor, storage_root)
    worker = make_worker(vendor, "alice")
    assignment_ids = [answer_next(worker) for _ in range(3)]
    for assignment_id in assignment_ids:
        approve(requester, assignment_id)
    run_labeling_sweeps()
    # when
    page = vendor.client().get(f"/portal/vendor/jobs/{job.pk}")
    # then
    assert page.status_code == 200
    html = page.content.decode()
    assert "3 / 4" in html  # objects labeled, answers
    assert "alice" in html
    assert "<svg" in html
    assert account_balance_micros(LedgerAccount.Kind.VENDOR_EARNINGS, organization=vendor.organization) == 150_000
