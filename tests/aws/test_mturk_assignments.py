"""Mechanical Turk's assignment and money operations through boto3 only (the workers' side over
the worker API): approve, reject, OverrideRejection, SendBonus (with a repeated
UniqueRequestToken), ListBonusPayments and its paginator, GetAccountBalance; every ledger
invariant holding."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from marketplace.models import LedgerTransaction
from tests.marketplace.ledger_invariants import ledger_violations

from .mturk_helpers import claim, create_hit, submit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def answered(mturk_client, make_worker, worker_api):
    """Two HITs ($0.05, fee $0.01) answered by one worker: (worker, [(hit id, assignment id)])."""
    worker = make_worker()
    api = worker_api(worker)
    done = []
    for _ in range(2):
        hit = create_hit(mturk_client)
        task = claim(api)
        submit(api, task["assignment_id"], {"sentiment": "positive"})
        done.append((hit["HITId"], str(task["assignment_id"])))
    return worker, done


def test_approve_reject_and_override_a_rejection(mturk_client, answered):
    worker, [(hit_a, first), (_, second)] = answered
    start = mturk_client.get_account_balance()
    assert (start["AvailableBalance"], start["OnHoldBalance"]) == ("99999.88", "0.12")

    mturk_client.approve_assignment(AssignmentId=first, RequesterFeedback="Thanks")
    mturk_client.approve_assignment(AssignmentId=first)  # again: pays nothing more
    mturk_client.reject_assignment(AssignmentId=second, RequesterFeedback="Wrong sentence")

    statuses = mturk_client.list_assignments_for_hit(HITId=hit_a, AssignmentStatuses=["Approved"])["Assignments"]
    assert [(a["AssignmentId"], a["RequesterFeedback"]) for a in statuses] == [(first, "Thanks")]
    rejected = mturk_client.get_assignment(AssignmentId=second)["Assignment"]
    assert (rejected["AssignmentStatus"], rejected["RequesterFeedback"]) == ("Rejected", "Wrong sentence")
    assert "RejectionTime" in rejected
    balance = mturk_client.get_account_balance()
    assert (balance["AvailableBalance"], balance["OnHoldBalance"]) == ("99999.94", "0.00")
    with pytest.raises(ClientError) as excinfo:
        mturk_client.approve_assignment(AssignmentId=second)
    assert excinfo.value.response["Error"]["Code"] == "RequestError"

    # when: the rejection is overridden
    mturk_client.approve_assignment(AssignmentId=second, OverrideRejection=True, RequesterFeedback="My mistake")

    # then: approved, paid from the available balance as a transaction of its own
    approved = mturk_client.get_assignment(AssignmentId=second)["Assignment"]
    assert (approved["AssignmentStatus"], approved["RequesterFeedback"]) == ("Approved", "My mistake")
    assert mturk_client.get_account_balance()["AvailableBalance"] == "99999.88"
    assert LedgerTransaction.objects.get(assignment_id=int(second), kind__endswith="payment").kind == (
        "rejection_override_payment"
    )
    assert ledger_violations() == []


def test_assignments_still_in_progress_are_not_shown(mturk_client, make_worker, worker_api):
    hit = create_hit(mturk_client)
    task = claim(worker_api(make_worker()))

    assert mturk_client.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"] == []
    with pytest.raises(ClientError) as excinfo:
        mturk_client.get_assignment(AssignmentId=str(task["assignment_id"]))
    assert "has not been submitted" in excinfo.value.response["Error"]["Message"]


def test_send_bonus_pays_once_per_token_and_lists_with_the_paginator(mturk_client, answered, worker_api):
    worker, [(hit_a, first), (hit_b, second)] = answered
    bonus = {"WorkerId": str(worker.pk), "BonusAmount": "1.50", "AssignmentId": first, "Reason": "Careful work"}

    mturk_client.send_bonus(**bonus, UniqueRequestToken="bonus-1")
    mturk_client.send_bonus(**bonus, UniqueRequestToken="bonus-1")  # a retry: no second payment
    mturk_client.send_bonus(**bonus)  # no token: pays again, as on MTurk
    mturk_client.send_bonus(**{**bonus, "AssignmentId": second, "BonusAmount": "0.25"}, UniqueRequestToken="bonus-2")

    # $1.50 twice and $0.25, each with its 20 % fee: 1.80 + 1.80 + 0.30 from 99,999.88
    assert mturk_client.get_account_balance()["AvailableBalance"] == "99995.98"
    with pytest.raises(ClientError) as excinfo:
        mturk_client.send_bonus(**{**bonus, "BonusAmount": "9.00"}, UniqueRequestToken="bonus-1")
    assert excinfo.value.response["TurkErrorCode"] == "AWS.MechanicalTurk.DuplicateRequest"
    on_first = mturk_client.list_bonus_payments(AssignmentId=first)["BonusPayments"]
    assert [(b["WorkerId"], b["BonusAmount"], b["Reason"]) for b in on_first] == [
        (str(worker.pk), "1.50", "Careful work")
    ] * 2
    pages = list(
        mturk_client.get_paginator("list_bonus_payments").paginate(HITId=hit_b, PaginationConfig={"PageSize": 1})
    )
    assert [[b["BonusAmount"] for b in page["BonusPayments"]] for page in pages] == [["0.25"]]
    assert worker_api(worker).get("/api/v1/worker/me").json()["earnings"] == "3.25"  # bonuses are paid at once
    assert ledger_violations() == []


def test_a_bonus_to_a_worker_who_did_not_work_for_you_is_refused(mturk_client, answered, make_worker):
    _, [(_, first), _] = answered

    with pytest.raises(ClientError) as excinfo:
        mturk_client.send_bonus(WorkerId=str(make_worker().pk), BonusAmount="1.00", AssignmentId=first, Reason="hi")

    assert excinfo.value.response["Error"]["Code"] == "RequestError"
    assert "belongs to another worker" in excinfo.value.response["Error"]["Message"]
    assert mturk_client.get_account_balance()["AvailableBalance"] == "99999.88"
