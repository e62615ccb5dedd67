"""A labeling job's ``qualification_requirements``: validated at creation, carried by its batch,
enforced by the real dispatch."""

from __future__ import annotations

import pytest

from labeling.models import LabelingJob
from labeling.services.storage_registration import storage_register
from marketplace.models import Batch
from tests.marketplace.qualification_helpers import claimed_task_ids, create_type, grant

from .jobs_lifecycle.helpers import job_body, post_job, start_job, texts


@pytest.fixture
def bucket(s3, requester):
    storage_register(organization=requester.organization, uri_prefix=s3.uri())
    return s3


def test_a_jobs_requirements_are_enforced_on_its_tasks(requester, bucket, make_worker):
    # given
    expert = create_type(requester)
    requirements = [{"qualification_type_id": expert["id"], "comparator": ">=", "values": 3}]
    qualified, unqualified = make_worker(), make_worker()
    assert grant(requester, expert["id"], qualified, 3).status_code == 201
    assert grant(requester, expert["id"], unqualified, 2).status_code == 201

    # when
    job = start_job(requester, job_body(bucket, lines=texts(2), qualification_requirements=requirements))

    # then
    expected = [{"qualification_type_id": expert["id"], "comparator": ">=", "values": [3]}]
    assert job["qualification_requirements"] == expected
    batch = Batch.objects.get(pk=job["batch_id"])
    assert (batch.qualification_requirements, batch.has_requirements) == (expected, True)
    assert claimed_task_ids(unqualified) == []
    assert len(claimed_task_ids(qualified)) == 2


@pytest.mark.parametrize(
    ("requirements", "fields"),
    [
        (
            [{"qualification_type_id": "MINE", "comparator": "~"}],
            {"qualification_requirements.0.comparator": ["must be one of >=, <=, ==, !=, exists, in"]},
        ),
        ({"qualification_type_id": 1}, {"qualification_requirements": ["must be a list of at most 10 requirements"]}),
        (
            [{"qualification_type_id": "THEIRS", "comparator": "exists"}],
            {
                "qualification_requirements.0.qualification_type_id": [
                    "no such qualification type (your own active types and the system types may be required)"
                ]
            },
        ),
    ],
)
def test_a_bad_requirement_is_a_400_naming_it_and_creates_no_job(
    requester, bucket, make_requester, requirements, fields
):
    # given
    mine = create_type(requester)["id"]
    theirs = create_type(make_requester())["id"]
    if isinstance(requirements, list):
        requirements = [
            {**r, "qualification_type_id": {"MINE": mine, "THEIRS": theirs}[r["qualification_type_id"]]}
            for r in requirements
        ]
    # when
    response = post_job(requester, job_body(bucket, qualification_requirements=requirements))
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields
    assert LabelingJob.objects.count() == 0
