"""Whose work a verification excludes, by where its lines come from: every annotator of a
Groundwork job of the same requester, nobody for a job name of another requester, and the same
rule for objects given to a streaming verification job."""

from __future__ import annotations

import pytest

from labeling.services.storage_registration import storage_register
from marketplace.models import TaskWorkerExclusion
from tests.labeling.jobs_lifecycle.helpers import manifest, start_job
from tests.labeling.review.helpers import answer_every_offer, box_job, verification_body
from tests.labeling.streaming.helpers import add_ok
from tests.support.worker_api import claim, claim_offer

pytestmark = pytest.mark.django_db


def test_every_annotator_of_an_object_is_excluded_from_its_verification(requester, bucket, make_worker):
    # given: two images, each boxed by the same two annotators
    first, second = make_worker(), make_worker()
    boxes, _ = box_job(requester, bucket, first, more_annotators=(second,))
    verify = start_job(requester, verification_body(bucket, name="verify-both", input_uri=boxes["output_manifest_uri"]))

    # when
    refused = [claim(first).status_code, claim(second).status_code]
    reviewed = answer_every_offer(make_worker(), lambda task_input: {"verdict": "correct"})

    # then
    assert refused == [204, 204]
    assert len(reviewed) == 2
    excluded = TaskWorkerExclusion.objects.filter(task__batch_id=verify["batch_id"])
    assert sorted(excluded.values_list("worker_id", flat=True)) == sorted([first.pk, first.pk, second.pk, second.pk])


def test_a_job_name_of_another_requester_excludes_nobody_and_lends_no_labels(
    requester, make_requester, bucket, make_worker
):
    # given: another requester's finished job "dogs" over the same images; our lines copy its output
    other = make_requester()
    storage_register(organization=other.organization, uri_prefix=bucket.uri())
    their_annotator = make_worker()
    _, their_lines = box_job(other, bucket, their_annotator, images=1)
    bucket.put("copied.jsonl", manifest(their_lines))
    verify = start_job(requester, verification_body(bucket, name="verify-copy", input_uri=bucket.uri("copied.jsonl")))

    # when
    offer = claim_offer(their_annotator)

    # then: nothing of the other requester's was read: no exclusion, the record's own labels
    assert offer is not None and offer["task_id"] is not None
    assert offer["input"]["existing_labels"] == ["dog"]
    assert not TaskWorkerExclusion.objects.filter(task__batch_id=verify["batch_id"]).exists()


def test_objects_given_to_a_streaming_verification_exclude_their_annotators(requester, bucket, make_worker):
    # given: a finished box job, and a streaming verification job
    annotator = make_worker()
    _, boxed = box_job(requester, bucket, annotator, images=2)
    body = verification_body(bucket, name="verify-live", input_uri=None, input_mode="streaming")
    verify = start_job(requester, {key: value for key, value in body.items() if value is not None})

    # when: the boxed lines are given over the API
    added = add_ok(requester, verify["id"], boxed)
    refused = claim(annotator)
    offer = claim_offer(make_worker())

    # then
    assert added["added"] == 2
    assert refused.status_code == 204
    assert offer["input"]["existing_type"] == "bounding_box"
    assert TaskWorkerExclusion.objects.filter(worker=annotator).count() == 2
