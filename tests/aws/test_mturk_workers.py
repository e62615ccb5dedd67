"""Mechanical Turk's worker operations through boto3 only: blocks (create, list with the
paginator, delete) and NotifyWorkers, read by the workers over the worker API."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from aws.registry import registered

from .mturk_helpers import claim, create_hit, submit

pytestmark = pytest.mark.django_db(transaction=True)


def test_blocking_a_worker_keeps_the_hits_from_it(mturk_client, make_worker, worker_api):
    blocked, others = make_worker(), [make_worker() for _ in range(2)]
    for worker in [blocked, *others]:
        mturk_client.create_worker_block(WorkerId=str(worker.pk), Reason=f"test {worker.pk}")
    for worker in others:
        mturk_client.delete_worker_block(WorkerId=str(worker.pk))
    mturk_client.create_worker_block(WorkerId=str(others[0].pk), Reason="again")
    create_hit(mturk_client, MaxAssignments=2)

    pages = list(mturk_client.get_paginator("list_worker_blocks").paginate(PaginationConfig={"PageSize": 1}))

    assert [(b["WorkerId"], b["Reason"]) for page in pages for b in page["WorkerBlocks"]] == [
        (str(blocked.pk), f"test {blocked.pk}"),
        (str(others[0].pk), "again"),
    ]
    assert claim(worker_api(blocked)) is None
    assert claim(worker_api(others[1])) is not None
    with pytest.raises(ClientError) as excinfo:
        mturk_client.delete_worker_block(WorkerId=str(others[1].pk))
    assert excinfo.value.response["Error"]["Code"] == "RequestError"


def test_notify_workers_reaches_those_who_worked_for_you_and_reports_the_rest(mturk_client, make_worker, worker_api):
    worked, stranger = make_worker(), make_worker()
    create_hit(mturk_client)
    api = worker_api(worked)
    task = claim(api)
    submit(api, task["assignment_id"], {"sentiment": "positive"})

    answer = mturk_client.notify_workers(
        Subject="Thanks", MessageText="More HITs on Monday.", WorkerIds=[str(worked.pk), str(stranger.pk), "A1B2C3"]
    )

    assert sorted(
        (f["WorkerId"], f["NotifyWorkersFailureCode"]) for f in answer["NotifyWorkersFailureStatuses"]
    ) == sorted([(str(stranger.pk), "HardFailure"), ("A1B2C3", "HardFailure")])
    (message,) = api.get("/api/v1/worker/messages").json()["results"]
    assert (message["subject"], message["message"]) == ("Thanks", "More HITs on Monday.")
    assert worker_api(stranger).get("/api/v1/worker/messages").json()["results"] == []


def test_every_mechanical_turk_operation_of_issue_16_is_offered():
    assert set(registered("mturk")) >= {
        *("CreateHIT", "CreateHITType", "CreateHITWithHITType", "GetHIT", "ListHITs", "ListReviewableHITs"),
        *("ListHITsForQualificationType", "DeleteHIT", "UpdateExpirationForHIT", "UpdateHITReviewStatus"),
        *("CreateAdditionalAssignmentsForHIT", "ListAssignmentsForHIT", "GetAssignment", "ApproveAssignment"),
        *("RejectAssignment", "SendBonus", "ListBonusPayments", "GetAccountBalance", "CreateQualificationType"),
        *("GetQualificationType", "ListQualificationTypes", "UpdateQualificationType", "DeleteQualificationType"),
        *("AssociateQualificationWithWorker", "DisassociateQualificationFromWorker"),
        *("ListWorkersWithQualificationType", "GetQualificationScore", "CreateWorkerBlock", "DeleteWorkerBlock"),
        *("ListWorkerBlocks", "NotifyWorkers"),
    }
