"""Ending a job: stop, expiry and stopping conditions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from labeling.models import DataObject
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Assignment, Task
from marketplace.services.sweeps import run_sweeps
from tests.labeling.jobs_lifecycle.helpers import (
    ATTRIBUTE,
    JOBS_URL,
    answer_all,
    answer_next,
    counters,
    create_job,
    failure_metadata,
    get_job,
    job_body,
    labeled_line,
    output_lines,
    start_job,
    stop_job,
    texts,
    truth,
    without_date,
)
from tests.support.factories import client_with
from tests.support.worker_api import claim, submit


def test_stop_keeps_live_work_then_ends_stopped_with_the_rest_unlabeled(requester, bucket, make_worker):
    # given a job of 3 objects, the first answered, the second held by a worker
    job = start_job(requester, job_body(bucket, lines=texts(3)))
    early, holder, late = make_worker(), make_worker(), make_worker()
    assert answer_next(early) is not None
    held = claim(holder).json()
    # when
    response = stop_job(requester, job["id"])
    # then tasks take no new work, but the held assignment may still be submitted
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "stopping"
    assert sorted(Task.objects.values_list("status", "slots_used", "slots_submitted")) == [
        ("complete", 1, 1),
        ("stopped", 0, 0),
        ("stopped", 1, 0),
    ]
    assert claim(late).status_code == 204
    run_labeling_sweeps()
    assert get_job(requester, job["id"])["status"] == "stopping"
    assert submit(holder, held["assignment_id"], {"label": truth(held["input"])}).status_code == 200
    # when the live assignment is in and a sweep runs
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert job["status"] == "stopped"
    assert counters(job) == {"total_labeled": 2, "human_labeled": 2, "machine_labeled": 0, "failed": 0, "unlabeled": 1}
    assert job["output_manifest_uri"] == bucket.uri("out/job-1/manifests/output/output.manifest")
    first, second, third = output_lines(bucket, job)
    assert labeled_line(first) == ("object 0: cat", 0, "cat")
    assert labeled_line(second) == ("object 1: dog", 1, "dog")
    assert set(third) == {"source", f"{ATTRIBUTE}-metadata"}
    assert without_date(third[f"{ATTRIBUTE}-metadata"]) == failure_metadata(
        "the job was stopped before this object was labeled"
    )


def test_stopping_a_stopped_job_again_is_a_no_op(requester, bucket):
    # given
    job = start_job(requester, job_body(bucket, lines=texts(2)))
    assert stop_job(requester, job["id"]).status_code == 200
    run_labeling_sweeps()
    stopped = get_job(requester, job["id"])
    assert stopped["status"] == "stopped"
    # when
    response = stop_job(requester, job["id"])
    # then
    assert response.status_code == 200
    assert response.json() == stopped
    assert get_job(requester, job["id"]) == stopped


def test_stopping_a_stopping_job_again_is_a_no_op(requester, bucket, make_worker):
    # given
    job = start_job(requester, job_body(bucket, lines=texts(2)))
    claim(make_worker())
    assert stop_job(requester, job["id"]).json()["status"] == "stopping"
    # when
    response = stop_job(requester, job["id"])
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "stopping"


def test_stopping_a_completed_job_is_a_409_job_ended(requester, bucket, make_worker):
    # given
    job = start_job(requester, job_body(bucket, lines=texts(1)))
    answer_all(make_worker())
    run_labeling_sweeps()
    completed = get_job(requester, job["id"])
    assert completed["status"] == "completed"
    # when
    response = stop_job(requester, job["id"])
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "job_ended"
    assert get_job(requester, job["id"]) == completed


def test_stopping_a_failed_job_is_a_409_job_ended(requester, bucket):
    # given
    job = create_job(requester, job_body(bucket, lines=[]))
    run_labeling_sweeps()
    failed = get_job(requester, job["id"])
    assert failed["status"] == "failed"
    # when
    response = stop_job(requester, job["id"])
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "job_ended"
    assert get_job(requester, job["id"]) == failed


def test_stopping_another_requesters_job_is_a_404(requester, bucket, make_requester):
    # given
    job = start_job(requester, job_body(bucket, lines=texts(2)))
    stranger = make_requester()
    # when
    response = stop_job(stranger, job["id"])
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client_with(stranger.api_key).get(f"{JOBS_URL}/{job['id']}").status_code == 404
    assert get_job(requester, job["id"])["status"] == "in_progress"
    assert sorted(Task.objects.values_list("status", flat=True)) == ["open", "open"]


def test_a_job_stopped_while_initializing_is_stopped_once_its_manifest_is_read(requester, bucket):
    # given
    job = create_job(requester, job_body(bucket, lines=texts(2)))
    # when
    response = stop_job(requester, job["id"])
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "initializing"
    run_labeling_sweeps()  # ingests: the tasks are created stopped
    assert get_job(requester, job["id"])["status"] == "stopping"
    assert sorted(Task.objects.values_list("status", flat=True)) == ["stopped", "stopped"]
    run_labeling_sweeps()
    job = get_job(requester, job["id"])
    assert job["status"] == "stopped"
    assert counters(job)["unlabeled"] == 2
    assert [set(line) for line in output_lines(bucket, job)] == [{"source", f"{ATTRIBUTE}-metadata"}] * 2


def test_objects_whose_tasks_expire_unanswered_are_failed_not_guessed(requester, bucket, make_worker):
    # given 3 objects, 2 answers each wanted: the first gets both, the second one, the third none
    job = start_job(
        requester, job_body(bucket, lines=texts(3), workers_per_object=2, task_availability_lifetime_seconds=30)
    )
    first, second = make_worker(), make_worker()
    assert [answer_next(first), answer_next(first), answer_next(second)] == list(
        Task.objects.order_by("pk").values_list("pk", flat=True)[:2]
    ) + [Task.objects.order_by("pk").first().pk]
    # when the tasks' lifetime ends
    Task.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    report = run_sweeps()
    run_labeling_sweeps()
    # then
    assert report.tasks_expired == 2
    job = get_job(requester, job["id"])
    assert job["status"] == "completed"
    assert counters(job) == {"total_labeled": 2, "human_labeled": 2, "machine_labeled": 0, "failed": 1, "unlabeled": 0}
    lines = output_lines(bucket, job)
    assert [labeled_line(line) for line in lines[:2]] == [("object 0: cat", 0, "cat"), ("object 1: dog", 1, "dog")]
    assert set(lines[2]) == {"source", f"{ATTRIBUTE}-metadata"}
    assert without_date(lines[2][f"{ATTRIBUTE}-metadata"]) == failure_metadata("every slot expired without an answer")
    assert list(DataObject.objects.order_by("line_number").values_list("status", "answers")) == [
        ("labeled", 2),
        ("labeled", 1),
        ("failed", 0),
    ]
    # The doc's definition: over labeled objects whose task completed, workers_per_object minus
    # the answers taken; the object whose task expired after one answer saved nothing.
    assert job["answers_saved"] == 0


def test_a_live_assignment_past_its_deadline_lets_a_stopping_job_end(requester, bucket, make_worker):
    # given a stopping job whose only live assignment is never submitted
    job = start_job(requester, job_body(bucket, lines=texts(2)))
    worker = make_worker()
    held = claim(worker).json()
    assert stop_job(requester, job["id"]).json()["status"] == "stopping"
    run_labeling_sweeps()
    assert get_job(requester, job["id"])["status"] == "stopping"
    # when its deadline passes
    Assignment.objects.filter(pk=held["assignment_id"]).update(deadline=timezone.now() - timedelta(seconds=1))
    run_sweeps()
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert job["status"] == "stopped"
    assert counters(job) == {"total_labeled": 0, "human_labeled": 0, "machine_labeled": 0, "failed": 0, "unlabeled": 2}
    assert sorted(Task.objects.values_list("status", "slots_used")) == [("stopped", 0), ("stopped", 0)]
    assert submit(worker, held["assignment_id"], {"label": "cat"}).json()["error"]["code"] == "deadline_passed"


def test_an_expired_task_with_a_live_assignment_waits_for_it(requester, bucket, make_worker):
    # given
    job = start_job(requester, job_body(bucket, lines=texts(1), task_availability_lifetime_seconds=30))
    worker = make_worker()
    held = claim(worker).json()
    Task.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    run_sweeps()
    # when
    run_labeling_sweeps()
    # then the job waits for the live assignment, which may still be submitted
    assert get_job(requester, job["id"])["status"] == "in_progress"
    assert Task.objects.get().status == "expired"
    assert submit(worker, held["assignment_id"], {"label": "cat"}).status_code == 200
    run_labeling_sweeps()
    job = get_job(requester, job["id"])
    assert (job["status"], counters(job)["total_labeled"], counters(job)["failed"]) == ("completed", 1, 0)


def test_an_assignment_past_its_deadline_frees_its_slot_for_another_worker(requester, bucket, make_worker):
    # given
    start_job(requester, job_body(bucket, lines=texts(1), task_time_limit_seconds=30))
    slow, other_worker = make_worker(), make_worker()
    held = claim(slow).json()
    assert claim(other_worker).status_code == 204
    # when the deadline passes and the sweep runs
    Assignment.objects.filter(pk=held["assignment_id"]).update(deadline=timezone.now() - timedelta(seconds=1))
    report = run_sweeps()
    # then
    assert report.assignments_expired == 1
    assert Assignment.objects.get(pk=held["assignment_id"]).status == "expired"
    late = submit(slow, held["assignment_id"], {"label": "cat"})
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "deadline_passed"
    offered = claim(other_worker)
    assert offered.status_code == 200
    assert offered.json()["task_id"] == held["task_id"]
    assert Task.objects.values_list("slots", "slots_used", "slots_submitted").get() == (1, 1, 0)


@pytest.mark.parametrize(
    ("conditions", "met"),
    [
        ({"max_human_labeled_objects": 2}, "max_human_labeled_objects"),
        ({"max_percentage_labeled": 40}, "max_percentage_labeled"),
    ],
)
def test_a_met_stopping_condition_completes_the_job_with_the_rest_unlabeled(
    requester, bucket, make_worker, conditions, met
):
    # given 5 objects, one answer each, of which 2 get answered
    job = start_job(requester, job_body(bucket, lines=texts(5), stopping_conditions=conditions))
    worker = make_worker()
    answer_next(worker)
    answer_next(worker)
    # when
    run_labeling_sweeps()
    # then the remaining tasks are stopped at once
    assert sorted(Task.objects.values_list("status", flat=True)) == ["complete"] * 2 + ["stopped"] * 3
    assert claim(make_worker()).status_code == 204
    run_labeling_sweeps()
    job = get_job(requester, job["id"])
    assert job["status"] == "completed"
    assert counters(job) == {"total_labeled": 2, "human_labeled": 2, "machine_labeled": 0, "failed": 0, "unlabeled": 3}
    lines = output_lines(bucket, job)
    assert [labeled_line(line) for line in lines[:2]] == [("object 0: cat", 0, "cat"), ("object 1: dog", 1, "dog")]
    reason = f"the job met its stopping condition ({met}) before this object was labeled"
    assert [without_date(line[f"{ATTRIBUTE}-metadata"]) for line in lines[2:]] == [failure_metadata(reason)] * 3
    assert [ATTRIBUTE in line for line in lines[2:]] == [False] * 3


def test_an_unmet_stopping_condition_lets_the_job_finish(requester, bucket, make_worker):
    # given
    job = start_job(requester, job_body(bucket, lines=texts(3), stopping_conditions={"max_human_labeled_objects": 4}))
    answer_all(make_worker())
    # when
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert job["status"] == "completed"
    assert counters(job) == {"total_labeled": 3, "human_labeled": 3, "machine_labeled": 0, "failed": 0, "unlabeled": 0}
