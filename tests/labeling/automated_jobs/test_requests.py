"""Asking for automated labeling, reading it back, switching it off, and a job too small for it."""

from __future__ import annotations

import pytest

from labeling.automation import MIN_OBJECTS
from labeling.models import JobAutomation, LabelingJob
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Task
from tests.labeling.automated_jobs.helpers import (
    LABELS,
    OBJECTS,
    drive,
    get_job,
    job_body,
    machine_lines,
    manifest_lines,
    output_lines,
    post_job,
    predicted,
    start_job,
    switch_off,
    text,
)
from tests.marketplace.ledger_invariants import ledger_violations


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"task_type": "bounding_box", "label_attribute_name": "boxes"},
            "automated_labeling",
            "is only for image_classification and text_classification jobs",
        ),
        (
            {"input_mode": "streaming"},
            "automated_labeling",
            "is not available for a streaming job",
        ),
        ({"automated_labeling": {"target_accuracy": 0.3}}, "automated_labeling.target_accuracy", None),
        ({"automated_labeling": {"target_accuracy": 1}}, "automated_labeling.target_accuracy", None),
        ({"automated_labeling": {"target_accuracy": "high"}}, "automated_labeling.target_accuracy", None),
        ({"automated_labeling": {"threshold": 0.9}}, "automated_labeling.threshold", None),
        (
            {"automated_labeling": {"embedding_key": "e", "prediction_key": "p"}},
            "automated_labeling.prediction_key",
            "give either embedding_key or prediction_key, not both",
        ),
        ({"automated_labeling": {"embedding_key": "source"}}, "automated_labeling.embedding_key", None),
        ({"automated_labeling": {"prediction_key": ""}}, "automated_labeling.prediction_key", None),
        ({"automated_labeling": {"enabled": "yes"}}, "automated_labeling.enabled", "must be true or false"),
        ({"automated_labeling": [0.9]}, "automated_labeling", "must be an object"),
    ],
)
def test_a_bad_automated_labeling_request_is_a_400_naming_the_field(requester, bucket, overrides, field, message):
    # given
    body = {**job_body(bucket, manifest_lines(3, lambda i: predicted(0.5))), **overrides}
    # when
    response = post_job(requester, body)
    # then
    assert response.status_code == 400, response.content
    fields = response.json()["error"]["fields"]
    assert field in fields, fields
    if message:
        assert fields[field] == [message]
    assert LabelingJob.objects.count() == 0
    assert JobAutomation.objects.count() == 0


def test_the_job_reports_its_automated_labeling_and_defaults(requester, bucket):
    # given
    body = job_body(bucket, manifest_lines(3, lambda i: predicted(0.5)), automation={})
    # when
    response = post_job(requester, body)
    # then
    assert response.status_code == 201, response.content
    assert response.json()["automated_labeling"] == {
        "status": "waiting_for_sample",
        "reason": "",
        "target_accuracy": 0.95,
        "embedding_key": None,
        "prediction_key": None,
        "rounds": 0,
        "threshold": None,
        "validated_accuracy": None,
        "accuracy_lower_bound": None,
        "validation_size": 0,
        "audit": {"audited": 0, "agreed": 0, "pending": 0, "agreement": None, "passed": None},
        "machine_labeled": 0,
        "starting_model_uri": None,
        "money_saved": "0.00",
    }


def test_a_job_without_automation_says_null_and_enabled_false_asks_for_none(requester, bucket):
    # given
    lines = manifest_lines(3, lambda i: predicted(0.5))
    plain = {key: value for key, value in job_body(bucket, lines).items() if key != "automated_labeling"}
    # when
    first = post_job(requester, plain)
    second = post_job(requester, job_body(bucket, lines, name="auto-2", automation={"enabled": False}))
    # then
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["automated_labeling"] is None is second.json()["automated_labeling"]
    assert JobAutomation.objects.count() == 0


def test_a_job_too_small_runs_without_automation_and_says_why(requester, bucket, make_worker):
    # given
    n = MIN_OBJECTS - 1
    job = start_job(requester, job_body(bucket, manifest_lines(n, lambda i: predicted(0.97))))
    # then: every object is offered at once
    automation = job["automated_labeling"]
    assert automation["status"] == "too_small"
    assert automation["reason"] == (
        f"the job has {n} objects; automated labeling needs at least {MIN_OBJECTS} to validate its model on human "
        "labels, so humans label every object"
    )
    assert Task.objects.filter(status=Task.Status.OPEN).count() == n
    assert not Task.objects.filter(status=Task.Status.HELD).exists()
    # when
    job = drive(requester, job["id"], make_worker(), lambda source: "cat")
    # then
    assert (job["status"], job["label_counters"]["human_labeled"], job["label_counters"]["machine_labeled"]) == (
        "completed",
        n,
        0,
    )
    assert job["automated_labeling"]["status"] == "too_small"


def test_switching_off_mid_job_keeps_the_machine_labels_and_gives_the_rest_to_humans(requester, bucket, make_worker):
    # given: confident, right predictions for even objects; unsure ones for odd objects
    n = OBJECTS + 100  # enough that objects are still held after the first round
    truth = {text(i): LABELS[(i // 2) % 2] for i in range(n)}

    def prediction(i: int) -> list[float]:
        return predicted(0.5 if i % 2 else 0.97 if truth[text(i)] == "cat" else 0.03)

    job = start_job(requester, job_body(bucket, manifest_lines(n, prediction)))
    worker = make_worker()
    job = drive(requester, job["id"], worker, truth.__getitem__, until=lambda j: j["label_counters"]["machine_labeled"])
    machine = job["label_counters"]["machine_labeled"]
    rounds = job["automated_labeling"]["rounds"]
    assert Task.objects.filter(status=Task.Status.HELD).exists()
    # when
    response = switch_off(requester, job["id"])
    again = switch_off(requester, job["id"])
    # then
    assert response.status_code == 200, response.content
    assert response.json()["automated_labeling"]["status"] == "switched_off"
    assert again.status_code == 200
    run_labeling_sweeps()
    assert not Task.objects.filter(status=Task.Status.HELD).exists()
    job = drive(requester, job["id"], worker, truth.__getitem__)
    automation = job["automated_labeling"]
    assert (job["status"], automation["status"], automation["rounds"]) == ("completed", "switched_off", rounds)
    assert job["label_counters"]["machine_labeled"] == machine == len(machine_lines(output_lines(bucket, job)))
    assert job["label_counters"]["human_labeled"] == n - machine
    assert ledger_violations() == []


def test_switching_off_is_refused_for_a_job_without_automation_and_cannot_switch_on(requester, bucket):
    # given
    lines = manifest_lines(3, lambda i: predicted(0.5))
    plain = post_job(requester, {k: v for k, v in job_body(bucket, lines).items() if k != "automated_labeling"})
    automated = post_job(requester, job_body(bucket, lines, name="auto-2"))
    # when
    refused = switch_off(requester, plain.json()["id"])
    switched_on = switch_off(requester, automated.json()["id"], {"enabled": True})
    # then
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "automation_not_requested"
    assert switched_on.status_code == 400
    assert switched_on.json()["error"]["fields"] == {
        "enabled": ["must be false: automated labeling can be switched off while a job runs, not back on"]
    }
    assert get_job(requester, automated.json()["id"])["automated_labeling"]["status"] == "waiting_for_sample"


def test_another_requesters_job_cannot_be_switched(requester, make_requester, bucket):
    # given
    job = post_job(requester, job_body(bucket, manifest_lines(3, lambda i: predicted(0.5)))).json()
    # when
    response = switch_off(make_requester(), job["id"])
    # then
    assert response.status_code == 404
    assert JobAutomation.objects.get().status == "waiting_for_sample"
