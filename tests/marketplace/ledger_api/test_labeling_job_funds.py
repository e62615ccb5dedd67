"""A labeling job the requester cannot afford."""

from __future__ import annotations

import csv
import io

from marketplace.models import Batch, Task
from tests.marketplace.ledger_api.helpers import (
    DOLLARS,
    _job,
    balance,
    bonus,
    command,
    ledger_state,
    post_task,
    request_payout,
)
from tests.support.factories import client_with
from tests.support.worker_api import claim_and_submit


def test_a_labeling_job_beyond_the_balance_fails_with_insufficient_balance_and_reserves_nothing(
    make_requester, file_storage
):
    # given: the worst case is 3 objects × 1 worker × 0.06 = 0.18
    requester = make_requester(balance_micros=179_999)
    before = ledger_state()
    # when
    job = _job(requester, file_storage)
    # then
    assert job["status"] == "failed"
    assert job["failure_reason"].startswith("insufficient_balance")
    assert "0.18" in job["failure_reason"]
    assert (Batch.objects.count(), Task.objects.count()) == (0, 0)
    assert ledger_state() == before
    assert balance(requester) == {"available": "0.179999", "on_hold": "0.00"}


def test_a_labeling_job_within_the_balance_reserves_its_worst_case(make_requester, file_storage):
    # given
    requester = make_requester(balance_micros=180_000)
    # when
    job = _job(requester, file_storage)
    # then
    assert job["status"] == "in_progress", job["failure_reason"]
    assert balance(requester) == {"available": "0.00", "on_hold": "0.18"}


def test_the_payout_export_neutralises_a_formula_looking_payee_name(make_requester, make_worker, tmp_path):
    # given: a worker whose username a spreadsheet would read as a formula
    requester = make_requester(balance_micros=10 * DOLLARS)
    post_task(requester)
    worker = make_worker(username="+1+cmd")
    claim_and_submit(worker)
    assert bonus(requester, {"worker_id": worker.pk, "amount": "2.00", "reason": "x"}).status_code == 201
    payout_id = request_payout(worker, "2.00").json()["id"]
    command("payouts", "approve", str(payout_id))
    # when
    command("payouts", "export", "--output", str(tmp_path / "out.csv"))
    # then
    [row] = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text())))
    assert row["payee_name"] == "'+1+cmd"


def test_the_batch_shows_its_fee_terms_and_what_it_holds(make_requester):
    # given
    requester = make_requester(balance_micros=10 * DOLLARS)
    task = post_task(requester, slots=3, reward="0.10")
    # when
    response = client_with(requester.api_key).get(f"/api/v1/batches/{task['batch_id']}")
    # then
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("fee_rate", "fee_minimum", "on_hold")} == {
        "fee_rate": "0.2",
        "fee_minimum": "0.01",
        "on_hold": "0.36",
    }
