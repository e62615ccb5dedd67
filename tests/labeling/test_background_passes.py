"""How the background moves labeling jobs: the registered sweep (in-process loop and
``manage.py run_sweeps``), leases between passes, the sealed batch, and the error budget that
fails a job instead of retrying it for ever."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from labeling.models import DataObject, LabelingJob
from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import MAX_BACKGROUND_ERRORS, run_labeling_sweeps
from marketplace.background import registered_sweeps
from marketplace.models import Task
from tests.support.factories import client_with

LABELS = ["cat", "dog"]


@pytest.fixture
def folder(storage_root, requester):
    """A registered ``file://acme/`` folder holding a 4-object manifest and a 2-object gold one."""
    (storage_root / "acme").mkdir()
    (storage_root / "acme" / "in.jsonl").write_text(
        "".join(json.dumps({"source": f"text {i}"}) + "\n" for i in range(4))
    )
    (storage_root / "acme" / "gold.jsonl").write_text(
        "".join(json.dumps({"source": f"gold {i}", "species": {"label": LABELS[i]}}) + "\n" for i in range(2))
    )
    storage_register(organization=requester.organization, uri_prefix="file://acme/")
    return storage_root / "acme"


def _post_job(requester, **overrides) -> dict:
    body = {
        "name": "job-1",
        "label_attribute_name": "species",
        "task_type": "text_classification",
        "input_manifest_uri": "file://acme/in.jsonl",
        "output_uri": "file://acme/out/",
        "label_categories": LABELS,
        "title": "Cat or dog?",
        "reward": "0.05",
        "workers_per_object": 2,
        **overrides,
    }
    response = client_with(requester.api_key).post("/api/v1/labeling-jobs", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _answer_everything_cat(worker) -> None:
    while (offer := worker.client.post("/api/v1/worker/tasks/next")).status_code == 200:
        answered = worker.client.post(
            f"/api/v1/worker/assignments/{offer.json()['assignment_id']}/submit",
            {"answer": {"label": "cat"}},
            format="json",
        )
        assert answered.status_code == 200


def test_the_labeling_sweep_is_registered_for_the_in_process_loop_and_run_sweeps(requester, folder):
    # given a job still initializing
    job = _post_job(requester)
    out = io.StringIO()
    # when
    call_command("run_sweeps", stdout=out)
    # then: the command ran every registered sweep, the labeling one included
    assert set(registered_sweeps()) == {"marketplace", "labeling", "webhooks"}
    report = json.loads(out.getvalue())
    assert set(report) == {"marketplace", "labeling", "webhooks"}
    assert report["labeling"] == {"jobs_ingested": 1, "jobs_advanced": 0, "jobs_ended": 0}
    assert LabelingJob.objects.get(pk=job["id"]).status == "in_progress"


def test_a_job_held_by_another_pass_is_left_alone_until_its_lease_expires(requester, folder):
    # given a job whose lease another (live) pass holds
    job = _post_job(requester)
    LabelingJob.objects.filter(pk=job["id"]).update(lease_expires_at=timezone.now() + timedelta(minutes=5))
    # when
    skipped = run_labeling_sweeps()
    # then nothing happened to it
    assert skipped.jobs_ingested == 0
    assert LabelingJob.objects.get(pk=job["id"]).status == "initializing"
    assert Task.objects.count() == 0

    # given the holder died: its lease has run out
    LabelingJob.objects.filter(pk=job["id"]).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    # when
    taken_over = run_labeling_sweeps()
    # then this pass took the job over, ingested it and gave the lease back
    assert taken_over.jobs_ingested == 1
    after = LabelingJob.objects.get(pk=job["id"])
    assert (after.status, after.lease_expires_at) == ("in_progress", None)
    assert Task.objects.filter(batch=after.batch).count() == 4


def test_the_tasks_api_cannot_add_tasks_to_a_jobs_batch(requester, requester_client, folder):
    # given
    job = _post_job(requester)
    run_labeling_sweeps()
    batch_id = LabelingJob.objects.get(pk=job["id"]).batch_id
    # when
    response = requester_client.post(
        "/api/v1/tasks", {"title": "extra", "reward": "0.01", "batch_id": batch_id}, format="json"
    )
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "batch_id": ["is sealed (a labeling job's batch) and takes no more tasks"]
    }
    assert Task.objects.filter(batch_id=batch_id).count() == 4


def test_a_job_whose_passes_keep_failing_ends_failed_with_its_data_kept(requester, folder, make_worker):
    # given a job with gold, answered, whose stored gold answer was then corrupted (a label
    # that is not a category): every consolidation of it raises
    job = _post_job(requester, gold_manifest_uri="file://acme/gold.jsonl")
    run_labeling_sweeps()
    _answer_everything_cat(make_worker())
    DataObject.objects.filter(job_id=job["id"], is_gold=True).update(gold_answer={"label": "unicorn"})
    # when the sweep runs one time fewer than the budget, then once more
    for _ in range(MAX_BACKGROUND_ERRORS - 1):
        run_labeling_sweeps()
    still_retried = LabelingJob.objects.get(pk=job["id"])
    last = run_labeling_sweeps()
    # then
    assert (still_retried.status, still_retried.background_errors) == ("in_progress", MAX_BACKGROUND_ERRORS - 1)
    failed = LabelingJob.objects.get(pk=job["id"])
    assert last.jobs_ended == 1
    assert failed.status == "failed"
    assert failed.failure_reason == (
        "an internal error stopped the job (ValueError); its data is kept, please report it"
    )
    assert DataObject.objects.filter(job_id=job["id"]).count() == 6
    assert failed.lease_expires_at is None


def test_output_storage_that_fails_is_retried_then_fails_the_job_with_the_reason(
    requester, folder, make_worker, storage_root
):
    # given a job whose answers are all in, and whose output folder cannot be written (a file
    # stands where the output folder must go: the storage fails, the location is still allowed)
    job = _post_job(requester, workers_per_object=1)
    run_labeling_sweeps()
    _answer_everything_cat(make_worker())
    (folder / "out").write_text("not a folder")
    # when the sweep runs one time fewer than the budget
    for _ in range(MAX_BACKGROUND_ERRORS - 1):
        run_labeling_sweeps()
    # then the job is still in progress, everything consolidated, waiting for the storage
    waiting = LabelingJob.objects.get(pk=job["id"])
    assert (waiting.status, waiting.human_labeled, waiting.background_errors) == (
        "in_progress",
        4,
        MAX_BACKGROUND_ERRORS - 1,
    )

    # when the storage is fixed, the next pass writes the output and completes the job
    (folder / "out").unlink()
    run_labeling_sweeps()
    # then
    done = LabelingJob.objects.get(pk=job["id"])
    assert done.status == "completed"
    assert done.output_manifest_uri == "file://acme/out/job-1/manifests/output/output.manifest"
    assert len((folder / "out/job-1/manifests/output/output.manifest").read_text().splitlines()) == 4


def test_output_storage_that_keeps_failing_fails_the_job_with_the_storage_reason(requester, folder, make_worker):
    # given the same job, its output folder blocked for good
    job = _post_job(requester, workers_per_object=1)
    run_labeling_sweeps()
    _answer_everything_cat(make_worker())
    (folder / "out").write_text("not a folder")
    # when
    for _ in range(MAX_BACKGROUND_ERRORS):
        run_labeling_sweeps()
    # then
    failed = LabelingJob.objects.get(pk=job["id"])
    assert failed.status == "failed"
    assert failed.failure_reason.startswith("could not write the output: file://acme/out/job-1/")
    assert DataObject.objects.filter(job_id=job["id"], status="labeled").count() == 4


def test_a_refresh_the_storage_refuses_is_logged_and_retried_without_failing_the_job(
    requester, folder, make_worker, caplog
):
    # given a running job with new answers (one of two per object), its output folder blocked
    job = _post_job(requester)
    run_labeling_sweeps()
    _answer_everything_cat(make_worker())
    (folder / "out").write_text("not a folder")
    # when the pass consolidates the answers and tries to refresh the output
    with caplog.at_level("WARNING", logger="labeling.services.output"):
        run_labeling_sweeps()
    # then the job goes on, no error counted, the failure logged, nothing marked as refreshed
    running = LabelingJob.objects.get(pk=job["id"])
    assert (running.status, running.background_errors, running.output_refreshed_at) == ("in_progress", 0, None)
    assert running.answers_consolidated == 4
    assert any("output not refreshed: could not write the output" in record.getMessage() for record in caplog.records)

    # when the storage is fixed, the next pass (no new answers) writes the refresh it owes
    (folder / "out").unlink()
    run_labeling_sweeps()
    # then the running job's manifest holds every input line, copied as it is (none labeled yet)
    refreshed = LabelingJob.objects.get(pk=job["id"])
    assert refreshed.status == "in_progress" and refreshed.output_refreshed_at is not None
    manifest = (folder / "out/job-1/manifests/output/output.manifest").read_text().splitlines()
    assert [json.loads(line) for line in manifest] == [{"source": f"text {i}"} for i in range(4)]
    assert sorted(path.name for path in (folder / "out/job-1/annotations/worker-response/iteration-1").iterdir()) == [
        "0",
        "1",
        "2",
        "3",
    ]
