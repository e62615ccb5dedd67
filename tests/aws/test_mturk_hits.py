"""Mechanical Turk's HIT operations, driven only through ``boto3.client("mturk")`` (and the worker
API for the workers' side): a published HTMLQuestion template answered and read back as
QuestionFormAnswers XML, HIT types, requirements, statuses, expiry, review, disposal, extra
assignments and ``UniqueRequestToken``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from marketplace.models import Task
from tests.marketplace.ledger_invariants import ledger_violations

from .mturk_helpers import HTML_QUESTION, answers_of, claim, create_hit, submit

pytestmark = pytest.mark.django_db(transaction=True)


def error_of(excinfo) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_a_published_html_question_is_answered_and_read_back_as_question_form_answers(
    mturk_client, make_worker, worker_api
):
    # given: a script publishes an HTMLQuestion template with a form
    hit = create_hit(mturk_client, MaxAssignments=2)
    assert (hit["HITStatus"], hit["MaxAssignments"], hit["Question"]) == ("Assignable", 2, HTML_QUESTION)
    assert (hit["NumberOfAssignmentsAvailable"], hit["Reward"]) == (2, "0.05")
    worker = make_worker()
    api = worker_api(worker)

    # when: a worker is offered it, sees the question object, and posts the form's fields
    task = claim(api)
    assert task["task_type"] == "mturk_question"
    assert task["input"]["question_type"] == "HTMLQuestion"
    assert task["input"]["frame_height"] == 450
    assert 'name="sentiment"' in task["input"]["html"]
    submit(api, task["assignment_id"], {"sentiment": "positive", "comment": "<3 & more"})

    # then: the requester reads it back as QuestionFormAnswers XML
    (assignment,) = mturk_client.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]
    assert assignment["AssignmentId"] == str(task["assignment_id"])
    assert (assignment["WorkerId"], assignment["AssignmentStatus"]) == (str(worker.pk), "Submitted")
    assert answers_of(assignment["Answer"]) == [("comment", "<3 & more"), ("sentiment", "positive")]
    got = mturk_client.get_assignment(AssignmentId=assignment["AssignmentId"])
    assert got["Assignment"]["Answer"] == assignment["Answer"]
    assert (got["HIT"]["HITId"], got["HIT"]["NumberOfAssignmentsAvailable"]) == (hit["HITId"], 1)
    assert isinstance(got["Assignment"]["SubmitTime"], datetime)

    # a second worker answers too; the paginator walks both assignments
    other = worker_api(make_worker())
    submit(other, claim(other)["assignment_id"], {"sentiment": "negative"})
    pages = list(
        mturk_client.get_paginator("list_assignments_for_hit").paginate(
            HITId=hit["HITId"], PaginationConfig={"PageSize": 1}
        )
    )
    assert [[answers_of(a["Answer"]) for a in page["Assignments"]] for page in pages] == [
        [[("comment", "<3 & more"), ("sentiment", "positive")]],
        [[("sentiment", "negative")]],
    ]
    assert mturk_client.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Reviewable"


def test_a_repeated_unique_request_token_answers_the_first_hit_and_posts_nothing_more(mturk_client):
    first = create_hit(mturk_client, UniqueRequestToken="batch-7-item-1")
    balance = mturk_client.get_account_balance()

    again = create_hit(mturk_client, UniqueRequestToken="batch-7-item-1")

    assert again["HITId"] == first["HITId"]
    assert Task.objects.count() == 1
    assert mturk_client.get_account_balance()["AvailableBalance"] == balance["AvailableBalance"]
    with pytest.raises(ClientError) as excinfo:
        create_hit(mturk_client, UniqueRequestToken="batch-7-item-1", Reward="0.10")
    code, message = error_of(excinfo)
    assert code == "RequestError"
    assert f"HITId {first['HITId']}" in message
    assert excinfo.value.response["TurkErrorCode"] == "AWS.MechanicalTurk.DuplicateRequest"
    assert Task.objects.count() == 1
    assert ledger_violations() == []


def test_hit_types_group_hits_and_name_them(mturk_client):
    properties = {
        "Title": "Typed",
        "Description": "A HIT of a type",
        "Reward": "0.25",
        "AssignmentDurationInSeconds": 300,
        "AutoApprovalDelayInSeconds": 3600,
        "Keywords": "typed, test",
    }
    hit_type = mturk_client.create_hit_type(**properties)["HITTypeId"]
    assert mturk_client.create_hit_type(**properties)["HITTypeId"] == hit_type  # same properties, same id

    hit = mturk_client.create_hit_with_hit_type(
        HITTypeId=hit_type, MaxAssignments=3, LifetimeInSeconds=600, Question=HTML_QUESTION
    )["HIT"]

    assert (hit["HITTypeId"], hit["Title"], hit["Reward"], hit["MaxAssignments"]) == (hit_type, "Typed", "0.25", 3)
    assert (hit["AssignmentDurationInSeconds"], hit["AutoApprovalDelayInSeconds"]) == (300, 3600)
    with pytest.raises(ClientError) as excinfo:
        mturk_client.create_hit_with_hit_type(
            HITTypeId=hit_type[:-3] + "xyz", LifetimeInSeconds=600, Question=HTML_QUESTION
        )
    assert error_of(excinfo)[0] == "RequestError"
    assert "does not exist" in error_of(excinfo)[1]


def test_qualification_requirements_restrict_who_may_take_the_hit(mturk_client, make_worker, worker_api):
    # given: a HIT for workers in the US with at least 0 approved HITs (MTurk's system ids)
    hit = create_hit(
        mturk_client,
        QualificationRequirements=[
            {"QualificationTypeId": "00000000000000000071", "Comparator": "In", "LocaleValues": [{"Country": "US"}]},
            {"QualificationTypeId": "00000000000000000040", "Comparator": "GreaterThan", "IntegerValues": [-1]},
        ],
    )
    assert hit["QualificationRequirements"] == [
        {
            "QualificationTypeId": "00000000000000000071",
            "Comparator": "In",
            "LocaleValues": [{"Country": "US"}],
            "ActionsGuarded": "DiscoverPreviewAndAccept",
        },
        {
            "QualificationTypeId": "00000000000000000040",
            "Comparator": "GreaterThanOrEqualTo",
            "IntegerValues": [0],
            "ActionsGuarded": "DiscoverPreviewAndAccept",
        },
    ]

    # then: a worker in Germany is offered nothing, one in the US gets it
    assert claim(worker_api(make_worker(locale="DE"))) is None
    assert claim(worker_api(make_worker(locale="US")))["task_id"] == int(hit["HITId"])
    listed = mturk_client.list_hits_for_qualification_type(QualificationTypeId="00000000000000000071")["HITs"]
    assert [h["HITId"] for h in listed] == [hit["HITId"]]
    with pytest.raises(ClientError) as excinfo:
        create_hit(
            mturk_client,
            QualificationRequirements=[{"QualificationTypeId": "00000000000000000071", "Comparator": "NotIn"}],
        )
    assert "NotIn is not supported" in error_of(excinfo)[1]


def test_list_hits_pages_with_the_paginator(mturk_client):
    created = [create_hit(mturk_client, Title=f"HIT {i}")["HITId"] for i in range(5)]

    pages = list(mturk_client.get_paginator("list_hits").paginate(PaginationConfig={"PageSize": 2}))

    assert [len(page["HITs"]) for page in pages] == [2, 2, 1]
    assert [hit["HITId"] for page in pages for hit in page["HITs"]] == created
    assert [page["NumResults"] for page in pages] == [2, 2, 1]


def test_a_hit_moves_through_reviewable_reviewing_and_disposed(mturk_client, make_worker, worker_api):
    hit = create_hit(mturk_client)
    api = worker_api(make_worker())
    task = claim(api)
    assert mturk_client.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Unassignable"
    with pytest.raises(ClientError) as excinfo:
        mturk_client.update_hit_review_status(HITId=hit["HITId"])
    assert "in progress" in error_of(excinfo)[1]
    submit(api, task["assignment_id"], {"sentiment": "negative"})

    # Reviewable once every assignment is in, listed as such; Reviewing when marked, and back
    reviewable = mturk_client.list_reviewable_hits()["HITs"]
    assert [(h["HITId"], h["HITStatus"]) for h in reviewable] == [(hit["HITId"], "Reviewable")]
    mturk_client.update_hit_review_status(HITId=hit["HITId"])
    assert mturk_client.list_reviewable_hits()["HITs"] == []
    assert [h["HITStatus"] for h in mturk_client.list_reviewable_hits(Status="Reviewing")["HITs"]] == ["Reviewing"]
    assert mturk_client.list_reviewable_hits(HITTypeId=hit["HITTypeId"], Status="Reviewing")["NumResults"] == 1
    mturk_client.update_hit_review_status(HITId=hit["HITId"], Revert=True)
    assert mturk_client.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Reviewable"

    # disposed only once its assignment is approved or rejected
    with pytest.raises(ClientError) as excinfo:
        mturk_client.delete_hit(HITId=hit["HITId"])
    assert "waiting for approval" in error_of(excinfo)[1]
    mturk_client.approve_assignment(AssignmentId=str(task["assignment_id"]))
    mturk_client.delete_hit(HITId=hit["HITId"])
    assert mturk_client.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Disposed"
    assert mturk_client.list_hits()["HITs"] == []
    assert ledger_violations() == []


def test_update_expiration_stops_a_hit_or_moves_its_expiry(mturk_client, make_worker, worker_api):
    later, stopped = create_hit(mturk_client), create_hit(mturk_client)
    new_expiry = datetime.now(UTC) + timedelta(days=2)

    mturk_client.update_expiration_for_hit(HITId=later["HITId"], ExpireAt=new_expiry)
    mturk_client.update_expiration_for_hit(HITId=stopped["HITId"], ExpireAt=datetime(2015, 1, 1, tzinfo=UTC))

    moved = mturk_client.get_hit(HITId=later["HITId"])["HIT"]
    assert (moved["HITStatus"], abs(moved["Expiration"] - new_expiry) < timedelta(seconds=1)) == ("Assignable", True)
    ended = mturk_client.get_hit(HITId=stopped["HITId"])["HIT"]
    assert (ended["HITStatus"], ended["NumberOfAssignmentsAvailable"]) == ("Reviewable", 0)
    assert claim(worker_api(make_worker()))["task_id"] == int(later["HITId"])
    with pytest.raises(ClientError) as excinfo:
        mturk_client.update_expiration_for_hit(HITId=stopped["HITId"], ExpireAt=new_expiry)
    assert "cannot be opened again" in error_of(excinfo)[1]
    assert ledger_violations() == []


def test_additional_assignments_are_added_once_per_token(mturk_client):
    hit = create_hit(mturk_client)

    for _ in range(2):
        mturk_client.create_additional_assignments_for_hit(
            HITId=hit["HITId"], NumberOfAdditionalAssignments=2, UniqueRequestToken="more-1"
        )
    mturk_client.create_additional_assignments_for_hit(HITId=hit["HITId"], NumberOfAdditionalAssignments=1)

    assert mturk_client.get_hit(HITId=hit["HITId"])["HIT"]["MaxAssignments"] == 4
    with pytest.raises(ClientError) as excinfo:
        mturk_client.create_additional_assignments_for_hit(HITId=hit["HITId"], NumberOfAdditionalAssignments=50)
    assert error_of(excinfo)[1].startswith("NumberOfAdditionalAssignments: a task has at most 50 slots")
    assert ledger_violations() == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"MaxAssignments": 51}, "MaxAssignments: must be between 1 and 50"),
        ({"Reward": "0.0000001"}, "Reward: "),
        ({"Question": '<!DOCTYPE a [<!ENTITY b "c">]><HTMLQuestion/>'}, "Question: must not declare a DTD"),
        ({"AssignmentDurationInSeconds": 8 * 86400}, "AssignmentDurationInSeconds: must be between 30 and 604800"),
        ({"HITLayoutId": "layout"}, "HITLayoutId is not supported"),
    ],
)
def test_a_hit_groundwork_cannot_take_is_a_request_error_naming_the_parameter(mturk_client, overrides, message):
    with pytest.raises(ClientError) as excinfo:
        create_hit(mturk_client, **overrides)

    code, text = error_of(excinfo)
    assert code == "RequestError"
    assert text.startswith(message)
    assert Task.objects.count() == 0


def test_another_requesters_hit_does_not_exist(mturk_client, aws_client, make_requester):
    hit = create_hit(aws_client("mturk", make_requester()))

    for call in (mturk_client.get_hit, mturk_client.delete_hit, mturk_client.list_assignments_for_hit):
        with pytest.raises(ClientError) as excinfo:
            call(HITId=hit["HITId"])
        assert excinfo.value.response["Error"]["Code"] == "RequestError"
    with pytest.raises(ClientError):
        mturk_client.get_hit(HITId="not-a-number")
