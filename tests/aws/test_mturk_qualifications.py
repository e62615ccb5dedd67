"""Mechanical Turk's qualification operations through boto3 only: types (create, get, list with
the paginator, update, delete), grants (associate, score, list with the paginator,
disassociate), MTurk's system type ids."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .mturk_helpers import create_hit

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_qualification_type_from_creation_to_deletion(mturk_client):
    created = mturk_client.create_qualification_type(
        Name="Fluent French", Description="Passed our French check", QualificationTypeStatus="Active", Keywords="fr"
    )["QualificationType"]
    type_id = created["QualificationTypeId"]
    assert (created["Name"], created["QualificationTypeStatus"], created["IsRequestable"]) == (
        "Fluent French",
        "Active",
        False,
    )

    updated = mturk_client.update_qualification_type(QualificationTypeId=type_id, Description="Native or C2")
    assert updated["QualificationType"]["Description"] == "Native or C2"
    assert mturk_client.get_qualification_type(QualificationTypeId=type_id)["QualificationType"] == {
        **created,
        "Description": "Native or C2",
    }

    mturk_client.delete_qualification_type(QualificationTypeId=type_id)
    gone = mturk_client.get_qualification_type(QualificationTypeId=type_id)["QualificationType"]
    assert gone["QualificationTypeStatus"] == "Inactive"
    with pytest.raises(ClientError) as excinfo:
        mturk_client.update_qualification_type(QualificationTypeId=type_id, QualificationTypeStatus="Active")
    assert "cannot be made Active again" in excinfo.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as excinfo:
        mturk_client.create_qualification_type(
            Name="Tested", Description="d", QualificationTypeStatus="Active", Test="<QuestionForm/>"
        )
    assert excinfo.value.response["Error"]["Message"].startswith("Test is not supported")


def test_list_qualification_types_pages_and_filters(mturk_client):
    for name in ("Alpha one", "Alpha two", "Beta"):
        mturk_client.create_qualification_type(Name=name, Description="d", QualificationTypeStatus="Active")

    pages = list(
        mturk_client.get_paginator("list_qualification_types").paginate(
            MustBeRequestable=False, MustBeOwnedByCaller=True, PaginationConfig={"PageSize": 2}
        )
    )
    names = [t["Name"] for page in pages for t in page["QualificationTypes"]]
    assert names == ["Alpha one", "Alpha two", "Beta"]
    assert [len(page["QualificationTypes"]) for page in pages] == [2, 1]
    queried = mturk_client.list_qualification_types(Query="alpha", MustBeRequestable=False, MustBeOwnedByCaller=True)
    assert [t["Name"] for t in queried["QualificationTypes"]] == ["Alpha one", "Alpha two"]
    everyone = mturk_client.list_qualification_types(MustBeRequestable=False, MaxResults=100)["QualificationTypes"]
    assert {"000000000000000000L0", "00000000000000000040", "00000000000000000071"} <= {
        t["QualificationTypeId"] for t in everyone
    }
    assert mturk_client.list_qualification_types(MustBeRequestable=True)["QualificationTypes"] == []


def test_grants_scores_and_the_workers_list(mturk_client, make_worker, worker_api):
    type_id = mturk_client.create_qualification_type(Name="Skill", Description="d", QualificationTypeStatus="Active")[
        "QualificationType"
    ]["QualificationTypeId"]
    workers = [make_worker(locale="FR") for _ in range(3)]
    for value, worker in enumerate(workers, start=70):
        mturk_client.associate_qualification_with_worker(
            QualificationTypeId=type_id, WorkerId=str(worker.pk), IntegerValue=value, SendNotification=False
        )

    score = mturk_client.get_qualification_score(QualificationTypeId=type_id, WorkerId=str(workers[1].pk))
    assert (score["Qualification"]["IntegerValue"], score["Qualification"]["Status"]) == (71, "Granted")
    locale = mturk_client.get_qualification_score(
        QualificationTypeId="00000000000000000071", WorkerId=str(workers[0].pk)
    )
    assert locale["Qualification"]["LocaleValue"] == {"Country": "FR"}
    pages = list(
        mturk_client.get_paginator("list_workers_with_qualification_type").paginate(
            QualificationTypeId=type_id, PaginationConfig={"PageSize": 2}
        )
    )
    assert [(q["WorkerId"], q["IntegerValue"]) for page in pages for q in page["Qualifications"]] == [
        (str(w.pk), v) for v, w in enumerate(workers, start=70)
    ]

    # a HIT requiring more than 70 is offered to the worker holding 71, not to the one holding 70
    hit = create_hit(
        mturk_client,
        QualificationRequirements=[
            {"QualificationTypeId": type_id, "Comparator": "GreaterThan", "IntegerValues": [70]}
        ],
    )
    assert [h["HITId"] for h in mturk_client.list_hits_for_qualification_type(QualificationTypeId=type_id)["HITs"]] == [
        hit["HITId"]
    ]
    assert worker_api(workers[0]).post("/api/v1/worker/tasks/next").status_code == 204
    assert worker_api(workers[1]).post("/api/v1/worker/tasks/next").json()["task_id"] == int(hit["HITId"])

    mturk_client.disassociate_qualification_from_worker(QualificationTypeId=type_id, WorkerId=str(workers[2].pk))
    with pytest.raises(ClientError) as excinfo:
        mturk_client.get_qualification_score(QualificationTypeId=type_id, WorkerId=str(workers[2].pk))
    assert "does not hold" in excinfo.value.response["Error"]["Message"]
    assert mturk_client.list_workers_with_qualification_type(QualificationTypeId=type_id)["NumResults"] == 2
    assert (
        mturk_client.list_workers_with_qualification_type(QualificationTypeId=type_id, Status="Revoked")["NumResults"]
        == 0
    )


def test_another_requesters_type_does_not_exist(mturk_client, aws_client, make_requester, make_worker):
    theirs = aws_client("mturk", make_requester()).create_qualification_type(
        Name="Theirs", Description="d", QualificationTypeStatus="Active"
    )["QualificationType"]["QualificationTypeId"]

    with pytest.raises(ClientError) as excinfo:
        mturk_client.associate_qualification_with_worker(QualificationTypeId=theirs, WorkerId=str(make_worker().pk))

    assert excinfo.value.response["Error"]["Code"] == "RequestError"
    assert excinfo.value.response["TurkErrorCode"] == "AWS.MechanicalTurk.ResourceNotFound"
