"""Fixtures shared by the tests of this package."""

from __future__ import annotations

import pytest

from tests.marketplace.ledger_api.helpers import DOLLARS, bonus, post_task
from tests.support.worker_api import claim_and_submit


@pytest.fixture
def worked(make_requester, make_worker):
    """A requester ($10) and a worker who submitted an answer to its one task (0.06 on hold)."""
    requester = make_requester(balance_micros=10 * DOLLARS)
    post_task(requester)
    worker = make_worker()
    assignment_id = claim_and_submit(worker)
    return requester, worker, assignment_id


@pytest.fixture
def earner(worked):
    """A worker with 5.00 of earnings (a bonus)."""
    requester, worker, _ = worked
    assert bonus(requester, {"worker_id": worker.pk, "amount": "5.00", "reason": "thanks"}).status_code == 201
    return worker


@pytest.fixture
def file_storage(tmp_path, settings):
    root = (tmp_path / "storage-root").resolve()
    (root / "acme").mkdir(parents=True)
    settings.STORAGE_ROOT = root
    return root
