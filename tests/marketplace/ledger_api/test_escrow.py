"""Escrow: fees fixed at posting, the worst case reserved, approval paying and rejection releasing,
ending tasks, adding slots, dynamic redundancy."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from django.core.management import CommandError, call_command

from labeling.services.sweeps import run_labeling_sweeps
from marketplace.inputs.tasks import task_spec
from marketplace.models import Assignment, Batch, LedgerTransaction, Task
from marketplace.money import format_micros
from marketplace.services.batches import batch_finish, batch_open, batch_tasks_create, tasks_add_slot, tasks_close_early
from marketplace.services.ledger import fee_for
from marketplace.services.sweeps import run_sweeps
from marketplace.services.workteams import public_workforce
from tests.marketplace.ledger_api.helpers import (
    DOLLARS,
    Kind,
    _job,
    approve,
    balance,
    command,
    error,
    fee_terms,
    ledger_state,
    me,
    past,
    payments_of,
    platform_micros,
    post_task,
    reject,
    request_payout,
)
from tests.support.factories import client_with
from tests.support.worker_api import NEXT_URL, claim_and_submit, claim_assignment_id, submit


@pytest.mark.parametrize(
    ("reward", "fee"),
    [
        ("0.05", "0.01"),  # 20 % is exactly the minimum
        ("0.04", "0.01"),  # 20 % is 0.008: the minimum applies
        ("0.000001", "0.01"),
        ("0.10", "0.02"),
        ("0.055", "0.011"),
        ("1.000003", "0.200001"),  # 200,000.6 micros rounds up
        ("1.000002", "0.20"),  # 200,000.4 micros rounds down
        ("12.50", "2.50"),
    ],
)
def test_the_fee_is_the_rate_with_a_minimum(make_requester, reward, fee):
    # given
    requester = make_requester()
    # when
    task = post_task(requester, reward=reward)
    # then
    assert (task["reward"], task["fee"]) == (reward, fee)


@pytest.mark.parametrize(
    ("reward", "fee"),
    [
        ("1.000002", "0.250001"),  # 250,000.5 micros: half up (half-even would give 0.25)
        ("1.000006", "0.250002"),  # 250,001.5 micros
        ("0.000002", "0.000001"),  # 0.5 micro rounds up to 1 (no minimum here)
    ],
)
def test_the_fee_rounds_half_up(make_requester, settings, reward, fee):
    # given
    fee_terms(settings, PLATFORM_FEE_RATE_PPM=250_000, PLATFORM_FEE_MINIMUM_MICROS=0)
    requester = make_requester()
    # when
    task = post_task(requester, reward=reward)
    # then
    assert task["fee"] == fee


def test_fee_for_rounds_half_up_and_applies_the_minimum():
    assert fee_for(1_000_002, rate_ppm=250_000, minimum_micros=0) == 250_001
    assert fee_for(1_000_010, rate_ppm=250_000, minimum_micros=0) == 250_003  # 250,002.5
    assert fee_for(2, rate_ppm=250_000, minimum_micros=0) == 1
    assert fee_for(1, rate_ppm=250_000, minimum_micros=0) == 0
    assert fee_for(50_000, rate_ppm=200_000, minimum_micros=20_000) == 20_000
    assert fee_for(0, rate_ppm=200_000, minimum_micros=10_000) == 10_000


def test_the_fee_terms_are_fixed_on_the_batch_when_it_is_posted(make_requester, make_worker, settings):
    # given a batch posted at 20 % (minimum $0.01)
    requester = make_requester(balance_micros=10 * DOLLARS)
    first = post_task(requester, reward="0.10")
    # when the operator changes the terms, and more work goes into that batch and into a new one
    fee_terms(settings, PLATFORM_FEE_RATE_PPM=500_000, PLATFORM_FEE_MINIMUM_MICROS=100_000)
    same_batch = post_task(requester, reward="0.10", batch_id=first["batch_id"])
    new_batch = post_task(requester, reward="0.10")
    # then
    assert (first["fee"], same_batch["fee"], new_batch["fee"]) == ("0.02", "0.02", "0.10")
    assert balance(requester) == {"available": "9.56", "on_hold": "0.44"}  # 0.12 + 0.12 + 0.20
    # and approving a task of the old batch pays the old fee
    worker = make_worker()
    assignment_id = claim_and_submit(worker)
    assert approve(requester, assignment_id).status_code == 200
    assert payments_of(assignment_id) == [
        {Kind.BATCH_ESCROW: -120_000, Kind.WORKER_EARNINGS: 100_000, Kind.PLATFORM_FEES: 20_000}
    ]


def test_posting_moves_the_worst_case_from_available_to_on_hold(make_requester):
    # given
    requester = make_requester(balance_micros=10 * DOLLARS)
    # when
    post_task(requester, slots=3, reward="0.05")
    post_task(requester, slots=2, reward="0.036")  # fee 0.01: 2 × 0.046
    # then
    assert balance(requester) == {"available": "9.728", "on_hold": "0.272"}
    escrow = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.ESCROW_RESERVE)
    assert escrow.count() == 2


def test_posting_exactly_the_available_balance_leaves_zero(make_requester):
    # given
    requester = make_requester(balance_micros=180_000)
    # when
    post_task(requester, slots=3)
    # then
    assert balance(requester) == {"available": "0.00", "on_hold": "0.18"}


def test_posting_beyond_the_balance_is_402_and_creates_nothing(make_requester):
    # given
    requester = make_requester(balance_micros=179_999)
    before = ledger_state()
    # when: three tasks, all or nothing (3 × 0.06 = 0.18)
    response = client_with(requester.api_key).post(
        "/api/v1/tasks", [{"title": f"t{i}", "reward": "0.05"} for i in range(3)], format="json"
    )
    # then
    assert error(response) == (402, "insufficient_balance", [])
    assert (Task.objects.count(), Batch.objects.count()) == (0, 0)
    assert ledger_state() == before
    assert balance(requester) == {"available": "0.179999", "on_hold": "0.00"}


def test_posting_into_an_existing_batch_beyond_the_balance_changes_nothing(make_requester):
    # given
    requester = make_requester(balance_micros=100_000)
    first = post_task(requester)
    before = ledger_state()
    # when
    response = client_with(requester.api_key).post(
        "/api/v1/tasks", {"title": "more", "reward": "0.05", "batch_id": first["batch_id"]}, format="json"
    )
    # then
    assert error(response) == (402, "insufficient_balance", [])
    assert list(Task.objects.values_list("pk", flat=True)) == [first["id"]]
    assert ledger_state() == before
    assert balance(requester) == {"available": "0.04", "on_hold": "0.06"}


def test_a_402_is_replayed_for_the_same_idempotency_key_and_nothing_is_created(make_requester):
    # given
    requester = make_requester(balance_micros=50_000)
    client = client_with(requester.api_key)
    # when
    first = client.post("/api/v1/tasks", {"title": "t", "reward": "0.05"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = client.post("/api/v1/tasks", {"title": "t", "reward": "0.05"}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    # then
    assert (first.status_code, second.status_code) == (402, 402)
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert Task.objects.count() == 0
    assert balance(requester) == {"available": "0.05", "on_hold": "0.00"}


def test_approving_pays_the_worker_the_price_and_the_platform_the_fee(make_requester, make_worker):
    # given
    requester = make_requester(balance_micros=10 * DOLLARS)
    post_task(requester, slots=3, reward="0.05")
    worker = make_worker()
    assignment_id = claim_and_submit(worker)
    # when
    response = approve(requester, assignment_id)
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert balance(requester) == {"available": "9.82", "on_hold": "0.12"}
    assert me(worker) == {"earnings": "0.05", "paid_out": "0.00"}
    assert platform_micros(Kind.PLATFORM_FEES) == 10_000
    assert payments_of(assignment_id) == [
        {Kind.BATCH_ESCROW: -60_000, Kind.WORKER_EARNINGS: 50_000, Kind.PLATFORM_FEES: 10_000}
    ]


def test_approving_twice_pays_once(make_requester, make_worker):
    # given
    requester = make_requester(balance_micros=10 * DOLLARS)
    post_task(requester, slots=2)
    worker = make_worker()
    assignment_id = claim_and_submit(worker)
    assert approve(requester, assignment_id).status_code == 200
    after_first = ledger_state()
    # when
    again = approve(requester, assignment_id)
    keyed = [approve(requester, assignment_id, HTTP_IDEMPOTENCY_KEY="approve-1") for _ in range(2)]
    # then
    assert [again.status_code, *(r.status_code for r in keyed)] == [200, 200, 200]
    assert again.json()["status"] == "approved"
    assert ledger_state() == after_first
    assert len(payments_of(assignment_id)) == 1
    assert me(worker)["earnings"] == "0.05"


def test_auto_approval_pays_once_however_often_the_sweep_runs(make_requester, make_worker):
    # given
    requester = make_requester(balance_micros=10 * DOLLARS)
    post_task(requester)
    worker = make_worker()
    assignment_id = claim_and_submit(worker)
    Assignment.objects.filter(pk=assignment_id).update(auto_approve_at=past())
    # when
    first, second = run_sweeps(), run_sweeps()
    # then
    assert (first.assignments_auto_approved, second.assignments_auto_approved) == (1, 0)
    assert len(payments_of(assignment_id)) == 1
    assert balance(requester) == {"available": "9.94", "on_hold": "0.00"}
    assert me(worker)["earnings"] == "0.05"


def test_rejecting_releases_the_reserve_and_pays_nothing(make_requester, make_worker):
    # given
    requester = make_requester(balance_micros=10 * DOLLARS)
    post_task(requester, slots=3)
    worker = make_worker()
    assignment_id = claim_and_submit(worker)
    # when
    response = reject(requester, assignment_id)
    # then
    assert response.status_code == 200
    assert balance(requester) == {"available": "9.88", "on_hold": "0.12"}
    assert payments_of(assignment_id) == []
    assert me(worker)["earnings"] == "0.00"
    # and rejecting again changes nothing; approving now is a conflict that changes nothing
    before = ledger_state()
    assert reject(requester, assignment_id).status_code == 200
    assert error(approve(requester, assignment_id)) == (409, "already_settled", [])
    assert ledger_state() == before


def test_approving_after_a_rejection_of_another_slot_pays_from_the_remaining_reserve(make_requester, make_worker):
    # given
    requester = make_requester(balance_micros=1 * DOLLARS)
    post_task(requester, slots=2)
    first, second = make_worker(), make_worker()
    rejected, approved = claim_and_submit(first), claim_and_submit(second)
    # when
    assert reject(requester, rejected).status_code == 200
    assert approve(requester, approved).status_code == 200
    # then
    assert balance(requester) == {"available": "0.94", "on_hold": "0.00"}
    assert (me(first)["earnings"], me(second)["earnings"]) == ("0.00", "0.05")


@pytest.mark.parametrize(("end", "status"), [("stop", "stopped"), ("close", "complete"), ("expire", "expired")])
def test_ending_a_task_releases_unfilled_slots_and_keeps_work_in_progress_reserved(
    make_requester, make_worker, end, status
):
    # given: 4 slots (0.24 on hold), one answer waiting for review, one assignment live
    requester = make_requester(balance_micros=10 * DOLLARS)
    task = post_task(requester, slots=4)
    answered_by, live_by = make_worker(), make_worker()
    submitted = claim_and_submit(answered_by)
    live = claim_assignment_id(live_by)
    # when
    if end == "expire":
        Task.objects.filter(pk=task["id"]).update(expires_at=past())
        assert run_sweeps().tasks_expired == 1
    else:
        assert client_with(requester.api_key).post(f"/api/v1/tasks/{task['id']}/{end}").status_code == 200
    # then: the two unfilled slots went back
    assert Task.objects.get(pk=task["id"]).status == status
    assert balance(requester) == {"available": "9.88", "on_hold": "0.12"}
    # and the waiting answer is paid from its reserve
    assert approve(requester, submitted).status_code == 200
    assert balance(requester) == {"available": "9.88", "on_hold": "0.06"}
    # and the live one may still submit; rejecting it gives its reserve back
    assert submit(live_by, live).status_code == 200
    assert reject(requester, live).status_code == 200
    assert balance(requester) == {"available": "9.94", "on_hold": "0.00"}
    assert (me(answered_by)["earnings"], me(live_by)["earnings"]) == ("0.05", "0.00")


def test_a_live_assignment_expiring_on_a_stopped_task_releases_its_reserve(make_requester, make_worker):
    # given
    requester = make_requester(balance_micros=1 * DOLLARS)
    task = post_task(requester, slots=2)
    worker = make_worker()
    assignment_id = claim_assignment_id(worker)
    client_with(requester.api_key).post(f"/api/v1/tasks/{task['id']}/stop")
    assert balance(requester) == {"available": "0.94", "on_hold": "0.06"}
    # when
    Assignment.objects.filter(pk=assignment_id).update(deadline=past())
    assert run_sweeps().assignments_expired == 1
    # then
    assert balance(requester) == {"available": "1.00", "on_hold": "0.00"}
    assert error(submit(worker, assignment_id)) == (409, "deadline_passed", [])


@pytest.mark.parametrize("how", ["return", "expire"])
def test_a_returned_or_expired_assignment_on_an_open_task_keeps_its_reserve(make_requester, make_worker, how):
    # given
    requester = make_requester(balance_micros=1 * DOLLARS)
    post_task(requester, slots=2)
    worker = make_worker()
    assignment_id = claim_assignment_id(worker)
    before = ledger_state()
    # when
    if how == "return":
        assert worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/return").status_code == 200
    else:
        Assignment.objects.filter(pk=assignment_id).update(deadline=past())
        assert run_sweeps().assignments_expired == 1
    # then: the slot is offered again, so its reserve stays
    assert ledger_state() == before
    assert balance(requester) == {"available": "0.88", "on_hold": "0.12"}


def test_adding_slots_reserves_for_them(make_requester):
    # given
    requester = make_requester(balance_micros=1 * DOLLARS)
    task = post_task(requester, slots=1)
    # when
    response = client_with(requester.api_key).post(f"/api/v1/tasks/{task['id']}/slots", {"add": 2}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["slots"] == 3
    assert balance(requester) == {"available": "0.82", "on_hold": "0.18"}


def test_adding_a_slot_to_replace_rejected_work_reopens_the_task_and_reserves_one_slot(make_requester, make_worker):
    # given: a one-slot task whose only answer was rejected (complete, nothing on hold)
    requester = make_requester(balance_micros=1 * DOLLARS)
    task = post_task(requester, slots=1)
    rejected = claim_and_submit(make_worker())
    reject(requester, rejected)
    assert balance(requester) == {"available": "1.00", "on_hold": "0.00"}
    # when
    response = client_with(requester.api_key).post(f"/api/v1/tasks/{task['id']}/slots", {"add": 1}, format="json")
    # then
    assert (response.status_code, response.json()["status"], response.json()["slots"]) == (200, "open", 2)
    assert balance(requester) == {"available": "0.94", "on_hold": "0.06"}
    # and the replacement answer is paid from it
    approved = claim_and_submit(make_worker())
    assert approve(requester, approved).status_code == 200
    assert balance(requester) == {"available": "0.94", "on_hold": "0.00"}


def test_adding_slots_beyond_the_balance_is_402_and_leaves_the_slots(make_requester):
    # given
    requester = make_requester(balance_micros=170_000)  # 0.11 left after a 0.06 reserve
    task = post_task(requester, slots=1)
    before = ledger_state()
    # when
    response = client_with(requester.api_key).post(f"/api/v1/tasks/{task['id']}/slots", {"add": 2}, format="json")
    # then
    assert error(response) == (402, "insufficient_balance", [])
    assert Task.objects.filter(pk=task["id"]).values("slots", "status", "escrow_slots").get() == {
        "slots": 1,
        "status": "open",
        "escrow_slots": 1,
    }
    assert ledger_state() == before
    assert balance(requester) == {"available": "0.11", "on_hold": "0.06"}


def test_slots_reserved_at_posting_for_dynamic_redundancy_stay_reserved_until_the_batch_finishes(
    make_requester, make_worker
):
    """DESIGN.md "Money": posting reserves every slot that can exist, including extra slots
    dynamic redundancy may add; only growth *beyond* what was reserved needs a new reserve.
    A labeling job grows a task only once it is complete (labeling/services/progress.py
    ``_steer_redundancy``), so the headroom must survive the completion, until the job ends."""
    # given: a task of 1 slot that may grow to 3, its worst case (3 × 0.06) reserved, nothing else available
    requester = make_requester(balance_micros=180_000)
    batch = batch_open(
        requester=requester.organization, workteam=public_workforce(), auto_approval_delay_seconds=3600, is_sealed=True
    )
    spec = replace(task_spec({"title": "object 1", "reward": "0.05"}), reserve_slots=3)
    [task] = batch_tasks_create(batch=batch, specs=[spec])
    assert balance(requester) == {"available": "0.00", "on_hold": "0.18"}
    # when its one answer comes in, the task is complete and keeps the headroom
    first = claim_and_submit(make_worker())
    assert Task.objects.get(pk=task.pk).status == "complete"
    assert balance(requester) == {"available": "0.00", "on_hold": "0.18"}
    # then the job can give the unsure object a second answer without new money
    assert tasks_add_slot(batch=batch, task_ids=[task.pk], up_to=3) == [task.pk]
    assert balance(requester) == {"available": "0.00", "on_hold": "0.18"}
    # and approving the answers spends one reserve each; complete again, the task keeps the third slot's
    assert approve(requester, first).status_code == 200
    second = claim_and_submit(make_worker())
    assert approve(requester, second).status_code == 200
    assert Task.objects.get(pk=task.pk).status == "complete"
    assert balance(requester) == {"available": "0.00", "on_hold": "0.06"}
    # and when the job ends, the headroom nobody used goes back
    assert batch_finish(batch=batch) == 60_000
    assert balance(requester) == {"available": "0.06", "on_hold": "0.00"}
    assert batch_finish(batch=batch) == 0


def test_closing_a_task_early_drops_its_headroom(make_requester):
    # given
    requester = make_requester(balance_micros=1 * DOLLARS)
    batch = batch_open(
        requester=requester.organization, workteam=public_workforce(), auto_approval_delay_seconds=3600, is_sealed=True
    )
    spec = replace(task_spec({"title": "object 1", "reward": "0.05", "slots": 2}), reserve_slots=5)
    [task] = batch_tasks_create(batch=batch, specs=[spec])
    assert balance(requester) == {"available": "0.70", "on_hold": "0.30"}
    # when
    assert tasks_close_early(batch=batch, task_ids=[task.pk]) == 1
    # then
    assert balance(requester) == {"available": "1.00", "on_hold": "0.00"}


def test_an_export_whose_file_cannot_be_written_leaves_the_payouts_to_export_again(earner, tmp_path):
    # given: an approved payout
    payout_id = request_payout(earner, "2.00").json()["id"]
    command("payouts", "approve", str(payout_id))
    # when the file cannot be written (its folder does not exist)
    with pytest.raises((CommandError, OSError)):
        call_command("payouts", "export", "--output", str(tmp_path / "missing" / "out.csv"), stdout=io.StringIO())
    # then the next export still carries it
    assert command("payouts", "export", "--output", str(tmp_path / "out.csv"))["payout_ids"] == [payout_id]


def test_a_labeling_job_with_dynamic_redundancy_gives_back_every_unused_reserve_when_it_ends(
    make_requester, make_worker, file_storage
):
    # given: 2 objects that may get up to 3 answers each: 2 × 3 × 0.06 = 0.36 reserved
    requester = make_requester(balance_micros=360_000)
    job = _job(
        requester, file_storage, objects=2, target_confidence=0.99, min_workers_per_object=1, max_workers_per_object=3
    )
    assert job["status"] == "in_progress", job["failure_reason"]
    assert balance(requester) == {"available": "0.00", "on_hold": "0.36"}
    workers = [make_worker() for _ in range(4)]
    # when the crowd answers (truthfully) until the job ends
    for _ in range(8):
        for worker in workers:
            while (claimed := worker.client.post(NEXT_URL)).status_code == 200:
                task_input = claimed.json()["input"]
                label = task_input["source"].rsplit(": ", 1)[1]
                assert submit(worker, claimed.json()["assignment_id"], {"label": label}).status_code == 200
        run_labeling_sweeps()
        job = client_with(requester.api_key).get(f"/api/v1/labeling-jobs/{job['id']}").json()
        if job["status"] not in ("in_progress", "stopping"):
            break
    assert job["status"] == "completed", job
    # and every answer is approved
    answered = list(Assignment.objects.filter(status="submitted").values_list("pk", flat=True))
    for assignment_id in answered:
        assert approve(requester, assignment_id).status_code == 200
    # then nothing stays on hold: the requester paid exactly the answers it got
    assert 2 <= len(answered) <= 6, len(answered)
    assert balance(requester) == {"available": format_micros(360_000 - 60_000 * len(answered)), "on_hold": "0.00"}
