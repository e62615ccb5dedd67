"""Answers checked on submit, and dynamic redundancy."""

from __future__ import annotations

import random
import re

from labeling.models import DataObject
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Assignment, Task
from tests.labeling.jobs_lifecycle.helpers import (
    LABELS,
    answer_all,
    counters,
    get_job,
    job_body,
    labeled_line,
    other,
    output_lines,
    start_job,
    texts,
    truth,
)
from tests.support.worker_api import claim, submit


def test_a_label_outside_the_categories_is_a_400_and_the_assignment_stays_open(requester, bucket, make_worker):
    # given
    start_job(requester, job_body(bucket, lines=texts(1)))
    worker = make_worker()
    held = claim(worker).json()
    # when
    response = submit(worker, held["assignment_id"], {"label": "bird"})
    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"] == {"answer.label": ["'bird' is not one of ['cat', 'dog']"]}
    assert Assignment.objects.values_list("status", "answer").get() == ("accepted", None)
    assert Task.objects.values_list("slots_used", "slots_submitted").get() == (1, 0)
    assert submit(worker, held["assignment_id"], {"label": "cat"}).status_code == 200


def test_an_entity_ending_beyond_the_text_is_a_400_and_the_assignment_stays_open(requester, bucket, make_worker):
    # given
    body = job_body(
        bucket, lines=[{"source": "Alice met Bob"}], task_type="named_entity_recognition", label_categories=["person"]
    )
    start_job(requester, body)
    worker = make_worker()
    held = claim(worker).json()
    # when
    response = submit(worker, held["assignment_id"], {"entities": [{"label": "person", "start": 10, "end": 14}]})
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"answer.entities.0.end": ["must be at most the text's length (13)"]}
    assert Assignment.objects.values_list("status", "answer").get() == ("accepted", None)
    good = {"entities": [{"label": "person", "start": 10, "end": 13}]}
    assert submit(worker, held["assignment_id"], good).status_code == 200


REDUNDANCY = {
    "workers_per_object": 3,
    "target_confidence": 0.9,
    "min_workers_per_object": 2,
    "max_workers_per_object": 5,
}


def object_number(task_input: dict) -> int:
    return int(re.match(r"object (\d+):", task_input["source"]).group(1))


def noisy_crowd_member(worker_number: int, accuracy: float):
    """Right with probability ``accuracy``, drawn per (worker, object) from a fixed seed, so the
    answers do not depend on the order tasks are offered in."""

    def choose(task_input: dict) -> dict:
        draw = random.Random(1000 * worker_number + object_number(task_input)).random()
        label = truth(task_input)
        return {"label": label if draw < accuracy else other(label)}

    return choose


def test_an_easy_crowd_closes_objects_after_the_minimum_answers(requester, bucket, make_worker):
    # given 24 objects wanting 3 answers, and workers who are always right
    job = start_job(requester, job_body(bucket, lines=texts(24), **REDUNDANCY))
    first, second, third = make_worker(), make_worker(), make_worker()
    assert (answer_all(first), answer_all(second)) == (24, 24)
    # when
    run_labeling_sweeps()
    # then two agreeing answers are enough (consolidation's confidence is above 0.999 here): every
    # task closes with its third slot never used
    assert min(DataObject.objects.values_list("confidence", flat=True)) > 0.999
    assert set(Task.objects.values_list("status", "slots", "slots_used", "slots_submitted")) == {("complete", 3, 2, 2)}
    assert claim(third).status_code == 204
    run_labeling_sweeps()
    job = get_job(requester, job["id"])
    assert job["status"] == "completed"
    assert counters(job)["total_labeled"] == 24
    # answers_saved = sum over labeled objects of (workers_per_object - answers) = 24 * (3 - 2)
    assert job["answers_saved"] == 24
    assert [labeled_line(line)[1:] for line in output_lines(bucket, job)] == [(i % 2, LABELS[i % 2]) for i in range(24)]


def test_a_noisy_crowd_gets_extra_slots_up_to_the_maximum(requester, bucket, make_worker):
    # given 24 objects and five workers right 60% of the time: consolidation stays near 0.5,
    # far from the 0.9 target, whatever the draw
    job = start_job(requester, job_body(bucket, lines=texts(24), **REDUNDANCY))
    workers = [make_worker() for _ in range(5)]
    slots_seen = []
    # when the workers answer one after the other, a sweep after each
    for number, worker in enumerate(workers):
        answer_all(worker, noisy_crowd_member(number, accuracy=0.6))
        run_labeling_sweeps()
        slots_seen.append(sorted(set(Task.objects.values_list("slots", flat=True))))
    # then no object closes early; each unsure one gets one more slot at a time, up to 5
    assert slots_seen == [[3], [3], [4], [5], [5]]
    assert max(DataObject.objects.values_list("confidence", flat=True)) < 0.9
    assert set(Task.objects.values_list("status", "slots", "slots_submitted")) == {("complete", 5, 5)}
    assert claim(make_worker()).status_code == 204
    job = get_job(requester, job["id"])
    assert job["status"] == "completed"
    assert counters(job)["total_labeled"] == 24
    # answers_saved = 24 * (3 - 5): negative when the extra answers outweigh the savings
    assert job["answers_saved"] == -48


def test_without_a_target_confidence_objects_get_exactly_workers_per_object(requester, bucket, make_worker):
    # given
    job = start_job(requester, job_body(bucket, lines=texts(4), workers_per_object=2))
    first, second = make_worker(), make_worker()
    answer_all(first, noisy_crowd_member(0, accuracy=0.5))
    answer_all(second, noisy_crowd_member(1, accuracy=0.5))
    # when
    run_labeling_sweeps()
    # then
    assert set(Task.objects.values_list("status", "slots", "slots_submitted")) == {("complete", 2, 2)}
    job = get_job(requester, job["id"])
    assert (job["status"], job["answers_saved"]) == ("completed", 0)
