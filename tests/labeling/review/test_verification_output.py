"""The verification type on its own (consolidation over the verdicts, the record) and the
worker-response files a verification job writes."""

from __future__ import annotations

import json

import pytest

from labeling.task_types import ObjectAnswers, get_task_type
from marketplace.models import Assignment
from tests.labeling.jobs_lifecycle.helpers import manifest, output_lines, start_job
from tests.labeling.review.helpers import answer_every_offer, box_job, finished, verification_body

VERDICTS = ["correct", "incorrect"]
VERIFY = get_task_type("label_verification")


def test_verdicts_are_consolidated_as_single_labels_with_gold_honoured():
    # given: object 0 two workers call incorrect; object 1 is gold "correct" though one says not
    objects = [
        ObjectAnswers(0, (0, 1), ({"verdict": "incorrect"}, {"verdict": "incorrect", "comment": "wide"}), {}),
        ObjectAnswers(1, (0, 1), ({"verdict": "incorrect"}, {"verdict": "correct"}), {}),
    ]

    # when
    outcome = VERIFY.consolidate(objects, n_workers=2, labels=VERDICTS, gold={1: {"verdict": "correct"}})

    # then
    assert [result.result["label"] for result in outcome.objects] == [1, 0]
    assert outcome.objects[1].confidence == pytest.approx(1.0)
    assert 0.5 < outcome.objects[0].confidence < 1.0
    assert VERIFY.is_correct(outcome.objects[1].result, {"verdict": "correct"}, labels=VERDICTS)
    assert not VERIFY.is_correct(outcome.objects[0].result, {"verdict": "correct"}, labels=VERDICTS)


def test_the_record_is_ground_truths_with_feedback_only_when_workers_commented():
    result = {"label": 1, "probabilities": [0.06999, 0.93001]}

    # when
    value, metadata = VERIFY.output_value(
        result,
        labels=["good", "bad"],
        job_name="verify-boxes",
        creation_date="2018-10-18T22:18:13.527256",
        answers=[{"verdict": "bad", "comment": "The box is too wide on the right."}, {"verdict": "bad"}],
    )
    silent_value, silent = VERIFY.output_value(
        result,
        labels=["good", "bad"],
        job_name="verify-boxes",
        creation_date="2018-10-18T22:18:13.527256",
        answers=[{"verdict": "bad"}],
    )

    # then
    assert value == silent_value == "1"
    assert metadata == {
        "class-name": "bad",
        "confidence": 0.93,
        "type": "groundtruth/label-verification",
        "job-name": "labeling-job/verify-boxes",
        "human-annotated": "yes",
        "creation-date": "2018-10-18T22:18:13.527256",
        "worker-feedback": [{"comment": "The box is too wide on the right."}],
    }
    assert silent == {key: item for key, item in metadata.items() if key != "worker-feedback"}


@pytest.mark.django_db
def test_worker_responses_record_each_verdict_and_comment(requester, bucket, make_worker):
    # given: a verification of one boxed image, judged by two workers
    boxes, _ = box_job(requester, bucket, make_worker(), images=1)
    verify = start_job(requester, verification_body(bucket, name="verify-one", input_uri=boxes["output_manifest_uri"]))
    first, second = make_worker(), make_worker()
    answer_every_offer(first, lambda task_input: {"verdict": "correct"})
    answer_every_offer(second, lambda task_input: {"verdict": "incorrect", "comment": "misses the tail"})

    # when
    verify = finished(requester, verify["id"])

    # then
    (key,) = bucket.list("out/verify-one/annotations/worker-response/iteration-1/0/")
    answers = json.loads(bucket.get(key))["answers"]
    assert [(a["workerId"], a["answerContent"]) for a in answers] == [
        (str(first.pk), {"crowd-classifier": {"label": "correct"}}),
        (str(second.pk), {"crowd-classifier": {"label": "incorrect"}, "comment": "misses the tail"}),
    ]
    (line,) = output_lines(bucket, verify)
    assert line["verify-boxes-metadata"]["worker-feedback"] == [{"comment": "misses the tail"}]


@pytest.mark.django_db
def test_gold_verdicts_are_known_truth_and_not_written_out(requester, bucket, make_worker):
    # given: one boxed image to verify and one gold line (its known verdict under the new attribute)
    boxes, boxed = box_job(requester, bucket, make_worker(), images=2)
    bucket.put("gold.jsonl", manifest([{**boxed[1], "verify-boxes": {"verdict": "incorrect"}}]))
    bucket.put("one.jsonl", manifest([boxed[0]]))
    body = verification_body(
        bucket,
        name="verify-gold",
        input_uri=bucket.uri("one.jsonl"),
        gold_manifest_uri=bucket.uri("gold.jsonl"),
        workers_per_object=1,
    )
    verify = start_job(requester, body)

    def judge(task_input: dict) -> dict:  # the gold image (1.jpg) judged as its known verdict
        return {"verdict": "incorrect" if "/images/1.jpg" in task_input["source-url"] else "correct"}

    # when: a worker answers both tasks
    seen = answer_every_offer(make_worker(), judge)
    verify = finished(requester, verify["id"])

    # then: both were offered alike; the gold answer was checked; only the real object is written
    assert len(seen) == 2
    assert {frozenset(offer["input"]) for offer in seen} == {
        frozenset({"source-url", "existing_type", "existing_annotation", "existing_labels"})
    }
    assert sorted(
        Assignment.objects.filter(task__batch_id=verify["batch_id"]).values_list("gold_correct", flat=True), key=str
    ) == [None, True]
    (line,) = output_lines(bucket, verify)
    assert line["verify-boxes"] == "0"
    assert line["verify-boxes-metadata"]["class-name"] == "correct"
