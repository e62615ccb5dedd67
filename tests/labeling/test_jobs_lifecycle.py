"""A labeling job's life (docs/labeling.md "Lifecycle"): storage boundaries, ingestion failures,
``initializing``, stop, expiry, stopping conditions, dynamic redundancy and answer checks.

Real S3 (moto's server over HTTP), the real REST routes for requesters and workers, and the
background driven by calling the sweeps: ``run_labeling_sweeps()`` for jobs, the marketplace's
``run_sweeps()`` for deadlines and lifetimes.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from labeling.models import DataObject, LabelingJob
from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Assignment, Batch, Task
from marketplace.services.sweeps import run_sweeps
from tests.conftest import client_with

JOBS_URL = "/api/v1/labeling-jobs"
NEXT_URL = "/api/v1/worker/tasks/next"
LABELS = ["cat", "dog"]
ATTRIBUTE = "species"


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def bucket(s3, requester):
    """The test's bucket, registered whole for ``requester``."""
    storage_register(organization=requester.organization, uri_prefix=s3.uri())
    return s3


@pytest.fixture
def unreachable_s3(settings):
    """S3 settings pointing at a closed port: any S3 request would fail, so a test that passes
    with them shows that no S3 request was needed."""
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"
    settings.AWS_ACCESS_KEY_ID = "testing"
    settings.AWS_SECRET_ACCESS_KEY = "testing"


def manifest(lines: list) -> bytes:
    """JSON Lines from dicts (dumped), str (as written) and bytes (raw)."""
    raw = [
        line if isinstance(line, bytes) else (line if isinstance(line, str) else json.dumps(line)).encode()
        for line in lines
    ]
    return b"".join(line + b"\n" for line in raw)


def texts(n: int) -> list[dict]:
    """``n`` text objects whose true label is written in the text (the crowd below reads it)."""
    return [{"source": f"object {i}: {LABELS[i % 2]}"} for i in range(n)]


def truth(task_input: dict) -> str:
    return task_input["source"].rsplit(": ", 1)[1]


def other(label: str) -> str:
    return LABELS[1 - LABELS.index(label)]


def job_body(bucket, *, name: str = "job-1", lines: list | None = None, **overrides) -> dict:
    """A text classification job body whose manifest ``lines`` (default: 3 texts) are put in
    ``bucket`` under ``<name>/in.jsonl``."""
    bucket.put(f"{name}/in.jsonl", manifest(texts(3) if lines is None else lines))
    body = {
        "name": name,
        "label_attribute_name": ATTRIBUTE,
        "task_type": "text_classification",
        "input_manifest_uri": bucket.uri(f"{name}/in.jsonl"),
        "output_uri": bucket.uri("out/"),
        "label_categories": LABELS,
        "title": "Cat or dog?",
        "reward": "0.05",
        "workers_per_object": 1,
    }
    body.update(overrides)
    return body


def post_job(requester, body: dict):
    return client_with(requester.api_key).post(JOBS_URL, body, format="json")


def create_job(requester, body: dict) -> dict:
    response = post_job(requester, body)
    assert response.status_code == 201, response.content
    return response.json()


def get_job(requester, job_id: int) -> dict:
    response = client_with(requester.api_key).get(f"{JOBS_URL}/{job_id}")
    assert response.status_code == 200, response.content
    return response.json()


def stop_job(requester, job_id: int):
    return client_with(requester.api_key).post(f"{JOBS_URL}/{job_id}/stop")


def start_job(requester, body: dict) -> dict:
    """Create a job and run the sweep that ingests it; returns the job as the API shows it."""
    job = create_job(requester, body)
    run_labeling_sweeps()
    job = get_job(requester, job["id"])
    assert job["status"] == "in_progress", job["failure_reason"]
    return job


def work_created() -> dict:
    return {
        "batches": Batch.objects.count(),
        "tasks": Task.objects.count(),
        "data_objects": DataObject.objects.count(),
        "assignments": Assignment.objects.count(),
    }


NOTHING = {"batches": 0, "tasks": 0, "data_objects": 0, "assignments": 0}


def claim(worker):
    return worker.client.post(NEXT_URL)


def submit(worker, assignment_id: int, answer: dict):
    return worker.client.post(f"/api/v1/worker/assignments/{assignment_id}/submit", {"answer": answer}, format="json")


def answer_next(worker, choose=lambda task_input: {"label": truth(task_input)}) -> int | None:
    """Claim the next task and submit ``choose(input)``; the task id, or None when none is offered."""
    response = claim(worker)
    if response.status_code == 204:
        return None
    assert response.status_code == 200, response.content
    task = response.json()
    submitted = submit(worker, task["assignment_id"], choose(task["input"]))
    assert submitted.status_code == 200, submitted.content
    return task["task_id"]


def answer_all(worker, choose=lambda task_input: {"label": truth(task_input)}) -> int:
    """Answer every task offered to ``worker``; how many it answered."""
    answered = 0
    while answer_next(worker, choose) is not None:
        answered += 1
    return answered


def counters(job: dict) -> dict:
    return job["label_counters"]


def output_lines(bucket, job: dict) -> list[dict]:
    key = job["output_manifest_uri"].removeprefix(bucket.uri())
    return [json.loads(line) for line in bucket.get(key).decode().splitlines()]


def failure_metadata(reason: str, job_name: str = "job-1") -> dict:
    return {
        "type": "groundtruth/text-classification",
        "job-name": f"labeling-job/{job_name}",
        "human-annotated": "yes",
        "failure-reason": reason,
    }


def without_date(metadata: dict) -> dict:
    return {key: value for key, value in metadata.items() if key != "creation-date"}


def labeled_line(line: dict) -> tuple:
    """(source, class id, class name) of a labeled output line."""
    return line["source"], line[ATTRIBUTE], line[f"{ATTRIBUTE}-metadata"]["class-name"]


# --- storage boundaries -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["input_manifest_uri", "output_uri", "gold_manifest_uri", "label_category_config_uri"]
)
def test_a_uri_in_an_unregistered_bucket_is_403_before_any_s3_request(requester, unreachable_s3, field):
    # given
    storage_register(organization=requester.organization, uri_prefix="s3://gw-registered/")
    body = {
        "name": "job-1",
        "label_attribute_name": ATTRIBUTE,
        "task_type": "text_classification",
        "input_manifest_uri": "s3://gw-registered/in.jsonl",
        "output_uri": "s3://gw-registered/out/",
        "label_categories": LABELS,
        "title": "Cat or dog?",
        "reward": "0.05",
        field: "s3://gw-someone-else/data/x.jsonl",
    }
    if field == "label_category_config_uri":
        del body["label_categories"]
    # when
    response = post_job(requester, body)
    # then
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "storage_not_allowed"
    assert response.json()["error"]["fields"] == {field: ["is not in storage registered for your organization"]}
    assert LabelingJob.objects.count() == 0


def test_a_sibling_prefix_of_a_registered_one_is_403(requester, unreachable_s3):
    # given
    storage_register(organization=requester.organization, uri_prefix="s3://gw-shared/pre/")
    body = {
        "name": "job-1",
        "label_attribute_name": ATTRIBUTE,
        "task_type": "text_classification",
        "input_manifest_uri": "s3://gw-shared/prefix2/x.jsonl",
        "output_uri": "s3://gw-shared/pre/out/",
        "label_categories": LABELS,
        "title": "Cat or dog?",
        "reward": "0.05",
    }
    # when
    response = post_job(requester, body)
    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "storage_not_allowed"
    assert response.json()["error"]["fields"] == {
        "input_manifest_uri": ["is not in storage registered for your organization"]
    }
    assert LabelingJob.objects.count() == 0


@pytest.mark.parametrize(
    ("uri", "status", "message"),
    [
        ("file://../x.jsonl", 400, "must not contain '..': paths stay inside the storage root"),
        ("file://acme/../../x.jsonl", 400, "must not contain '..': paths stay inside the storage root"),
        ("file:///etc/passwd", 400, "must be a path inside the storage root"),
        ("file://elsewhere/in.jsonl", 403, "is not in storage registered for your organization"),
    ],
    ids=["dot-dot", "dot-dot-inside", "absolute-outside", "unregistered-folder"],
)
def test_a_file_uri_outside_the_registered_folder_is_refused(requester, storage_root, uri, status, message):
    # given
    storage_register(organization=requester.organization, uri_prefix="file://acme/")
    (storage_root / "acme" / "in.jsonl").write_bytes(manifest(texts(1)))
    (storage_root / "elsewhere").mkdir()
    (storage_root / "elsewhere" / "in.jsonl").write_bytes(manifest(texts(1)))
    body = {
        "name": "job-1",
        "label_attribute_name": ATTRIBUTE,
        "task_type": "text_classification",
        "input_manifest_uri": uri,
        "output_uri": "file://acme/out/",
        "label_categories": LABELS,
        "title": "Cat or dog?",
        "reward": "0.05",
    }
    # when
    response = post_job(requester, body)
    # then
    assert response.status_code == status, response.content
    assert response.json()["error"]["fields"] == {"input_manifest_uri": [message]}
    assert LabelingJob.objects.count() == 0


def test_a_job_on_a_registered_file_folder_runs_and_writes_its_output_there(requester, storage_root, make_worker):
    # given
    storage_register(organization=requester.organization, uri_prefix="file://acme/")
    (storage_root / "acme" / "in.jsonl").write_bytes(manifest(texts(2)))
    job = start_job(
        requester,
        {
            "name": "job-1",
            "label_attribute_name": ATTRIBUTE,
            "task_type": "text_classification",
            "input_manifest_uri": "file://acme/in.jsonl",
            "output_uri": "file://acme/out/",
            "label_categories": LABELS,
            "title": "Cat or dog?",
            "reward": "0.05",
            "workers_per_object": 1,
        },
    )
    assert answer_all(make_worker()) == 2
    # when
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert job["status"] == "completed"
    assert job["output_manifest_uri"] == "file://acme/out/job-1/manifests/output/output.manifest"
    written = (storage_root / "acme/out/job-1/manifests/output/output.manifest").read_text().splitlines()
    assert [labeled_line(json.loads(line)) for line in written] == [
        ("object 0: cat", 0, "cat"),
        ("object 1: dog", 1, "dog"),
    ]


def test_a_source_ref_in_a_foreign_bucket_fails_the_job_naming_the_line(requester, bucket):
    # given
    lines = [{"source-ref": bucket.uri("images/0.jpg")}, {"source-ref": "s3://gw-someone-else/images/1.jpg"}]
    body = job_body(bucket, lines=lines, task_type="image_classification")
    job = create_job(requester, body)
    # when
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert job["status"] == "failed"
    assert job["failure_reason"] == (
        "input manifest line 2: source-ref 's3://gw-someone-else/images/1.jpg' is not in storage registered "
        "for this requester"
    )
    assert work_created() == NOTHING


def test_a_registered_bucket_that_does_not_exist_fails_the_job_readably(requester, s3):
    # given
    missing = f"gw-missing-{uuid.uuid4().hex[:12]}"
    storage_register(organization=requester.organization, uri_prefix=f"s3://{missing}/")
    job = create_job(
        requester,
        {
            "name": "job-1",
            "label_attribute_name": ATTRIBUTE,
            "task_type": "text_classification",
            "input_manifest_uri": f"s3://{missing}/in.jsonl",
            "output_uri": f"s3://{missing}/out/",
            "label_categories": LABELS,
            "title": "Cat or dog?",
            "reward": "0.05",
        },
    )
    # when
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert job["status"] == "failed"
    assert job["failure_reason"] == f"s3://{missing}/in.jsonl: bucket does not exist"
    assert job["batch_id"] is None
    assert work_created() == NOTHING


def test_a_missing_manifest_object_fails_the_job_readably(requester, bucket):
    # given
    body = job_body(bucket, input_manifest_uri=bucket.uri("nowhere/in.jsonl"))
    job = create_job(requester, body)
    # when
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert (job["status"], job["failure_reason"]) == (
        "failed",
        f"{bucket.uri('nowhere/in.jsonl')}: object does not exist",
    )
    assert work_created() == NOTHING


# --- ingest failures --------------------------------------------------------------------------

GOOD = {"source": "object 0: cat"}


@pytest.mark.parametrize(
    ("lines", "task_type", "reason"),
    [
        pytest.param(
            [GOOD, "{not json"],
            "text_classification",
            "input manifest line 2: the body is not valid JSON: Expecting property name enclosed in double "
            "quotes: line 1 column 2 (char 1)",
            id="not-json",
        ),
        pytest.param(
            [GOOD, GOOD, '["a", "b"]'],
            "text_classification",
            "input manifest line 3: must be a JSON object",
            id="json-array",
        ),
        pytest.param(
            [{"caption": "no source"}],
            "text_classification",
            "input manifest line 1: needs exactly one of source-ref and source",
            id="no-source",
        ),
        pytest.param(
            [GOOD, {"source": "a cat", "source-ref": "s3://x/y.txt"}],
            "text_classification",
            "input manifest line 2: needs exactly one of source-ref and source",
            id="both-sources",
        ),
        pytest.param(
            [GOOD, {"source": ""}],
            "text_classification",
            "input manifest line 2: source must be a non-empty string",
            id="empty-source",
        ),
        pytest.param(
            [GOOD, {"source": "a cat", "$where": 1}],
            "text_classification",
            "input manifest line 2: attribute names must not start with $ ('$where')",
            id="dollar-key",
        ),
        pytest.param(
            [GOOD, {"source": "c" * 20_001}],
            "text_classification",
            "input manifest line 2: attribute 'source' is longer than 20000 characters",
            id="long-attribute",
        ),
        pytest.param(
            [GOOD, {"source": "a cat", ATTRIBUTE: 0}],
            "text_classification",
            "input manifest line 2: already has the label attribute 'species'",
            id="already-labeled",
        ),
        pytest.param(
            [GOOD],
            "image_classification",
            "input manifest line 1: image_classification needs source-ref",
            id="image-with-source",
        ),
        pytest.param([], "text_classification", "the input manifest holds no data objects", id="empty"),
        pytest.param(["", "   "], "text_classification", "the input manifest holds no data objects", id="blank-lines"),
    ],
)
def test_a_bad_manifest_line_fails_the_job_naming_it_and_creates_nothing(requester, bucket, lines, task_type, reason):
    # given
    job = create_job(requester, job_body(bucket, lines=lines, task_type=task_type))
    # when
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert (job["status"], job["failure_reason"]) == ("failed", reason)
    assert job["batch_id"] is None
    assert job["ended_at"] is not None
    assert work_created() == NOTHING


def test_a_line_of_100001_characters_fails_the_job_naming_it(requester, bucket):
    # given
    padding = "x" * (100_001 - len('{"source": "a cat", "pad": ""}'))
    long_line = json.dumps({"source": "a cat", "pad": padding})
    assert len(long_line) == 100_001
    body = job_body(bucket, lines=[GOOD, long_line])
    job = create_job(requester, body)
    # when
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert (job["status"], job["failure_reason"]) == ("failed", "input manifest line 2: longer than 100000 characters")
    assert work_created() == NOTHING


def test_invalid_utf8_fails_the_job_naming_the_line(requester, bucket):
    # given
    body = job_body(bucket, lines=[GOOD, GOOD, b'{"source": "caf\xe9"}'])
    job = create_job(requester, body)
    # when
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert (job["status"], job["failure_reason"]) == ("failed", "input manifest line 3: not valid UTF-8")
    assert work_created() == NOTHING


@pytest.mark.parametrize(
    ("gold_line", "reason"),
    [
        (
            {"source": "a bird", ATTRIBUTE: {"label": "bird"}},
            "gold manifest line 1: the known answer is invalid: 'bird' is not one of ['cat', 'dog']",
        ),
        (
            {"source": "a cat"},
            "gold manifest line 1: needs the known answer under 'species', in the task type's answer format",
        ),
        (
            {"source": "a cat", ATTRIBUTE: "cat"},
            "gold manifest line 1: needs the known answer under 'species', in the task type's answer format",
        ),
    ],
    ids=["unknown-label", "no-answer", "answer-not-an-object"],
)
def test_a_bad_gold_line_fails_the_job_naming_it(requester, bucket, gold_line, reason):
    # given
    bucket.put("gold.jsonl", manifest([gold_line]))
    job = create_job(requester, job_body(bucket, gold_manifest_uri=bucket.uri("gold.jsonl")))
    # when
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert (job["status"], job["failure_reason"]) == ("failed", reason)
    assert work_created() == NOTHING


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        (
            b"{labels",
            "the label category configuration is not UTF-8 JSON: Expecting property name enclosed in double "
            "quotes: line 1 column 2 (char 1)",
        ),
        (
            b'{"document-version": "2018-11-28", "labels": "cat"}',
            'the label category configuration has no "labels" list',
        ),
        (
            b'{"document-version": "2018-11-28", "labels": [{"name": "cat"}]}',
            'labels[0] must be an object with a "label" name',
        ),
        (
            b'{"document-version": "2018-11-28", "labels": [{"label": "cat"}]}',
            "at least 2 label categories are needed for text_classification",
        ),
    ],
    ids=["not-json", "labels-not-a-list", "entry-without-label", "one-label"],
)
def test_a_bad_label_category_config_fails_the_job(requester, bucket, config, problem):
    # given
    bucket.put("labels.json", config)
    body = job_body(bucket, label_category_config_uri=bucket.uri("labels.json"))
    del body["label_categories"]
    job = create_job(requester, body)
    # when
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert (job["status"], job["failure_reason"]) == ("failed", f"{bucket.uri('labels.json')}: {problem}")
    assert job["label_categories"] == []
    assert work_created() == NOTHING


def test_a_good_label_category_config_fills_the_label_categories(requester, bucket, make_worker):
    # given
    config = {
        "document-version": "2018-11-28",
        "labels": [{"label": "cat"}, {"label": "dog"}, {"label": "bird"}],
        "instructions": {"shortInstruction": "Pick one"},
    }
    bucket.put("labels.json", json.dumps(config).encode())
    body = job_body(bucket, label_category_config_uri=bucket.uri("labels.json"))
    del body["label_categories"]
    job = create_job(requester, body)
    assert job["label_categories"] == []
    # when
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert job["status"] == "in_progress"
    assert job["label_categories"] == ["cat", "dog", "bird"]
    assert list(Task.objects.values_list("labels", flat=True)) == [["cat", "dog", "bird"]] * 3
    offered = claim(make_worker()).json()
    assert offered["labels"] == ["cat", "dog", "bird"]
    assert offered["answer_schema"]["properties"]["label"]["enum"] == ["cat", "dog", "bird"]


# --- initializing -----------------------------------------------------------------------------


def test_a_job_is_initializing_with_no_tasks_until_the_sweep_ingests_it(requester, bucket, make_worker):
    # given
    worker = make_worker()
    # when
    job = create_job(requester, job_body(bucket, lines=texts(3), workers_per_object=2))
    # then
    assert (job["status"], job["batch_id"]) == ("initializing", None)
    assert get_job(requester, job["id"])["status"] == "initializing"
    assert work_created() == NOTHING
    assert claim(worker).status_code == 204
    # when
    report = run_labeling_sweeps()
    # then
    assert report.jobs_ingested == 1
    job = get_job(requester, job["id"])
    assert job["status"] == "in_progress"
    assert job["batch_id"] == Batch.objects.get().pk
    assert counters(job) == {"total_labeled": 0, "human_labeled": 0, "machine_labeled": 0, "failed": 0, "unlabeled": 3}
    assert list(
        DataObject.objects.order_by("line_number").values_list("line_number", "is_gold", "task__slots", "task__status")
    ) == [
        (1, False, 2, "open"),
        (2, False, 2, "open"),
        (3, False, 2, "open"),
    ]
    offered = claim(worker).json()
    assert offered["input"] == {"source": "object 0: cat"}
    assert offered["labels"] == LABELS


def test_ingesting_twice_changes_nothing(requester, bucket):
    # given
    job = create_job(requester, job_body(bucket, lines=texts(3)))
    run_labeling_sweeps()
    before = work_created()
    # when
    report = run_labeling_sweeps()
    # then
    assert report.jobs_ingested == 0
    assert work_created() == before == {"batches": 1, "tasks": 3, "data_objects": 3, "assignments": 0}
    assert get_job(requester, job["id"])["status"] == "in_progress"


# --- stop -------------------------------------------------------------------------------------


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


# --- expiry -----------------------------------------------------------------------------------


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


# --- stopping conditions ----------------------------------------------------------------------


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


# --- answers checked on submit ----------------------------------------------------------------


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


# --- dynamic redundancy -----------------------------------------------------------------------

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


# --- storage that goes away or was never an object ---------------------------------------------


def test_an_input_uri_naming_a_folder_fails_the_job_instead_of_leaving_it_initializing(requester, bucket):
    # given
    job = create_job(requester, job_body(bucket, input_manifest_uri=bucket.uri("in/")))
    # when
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert (job["status"], job["failure_reason"]) == (
        "failed",
        f"input_manifest_uri: {bucket.uri('in/')} names a folder, not an object",
    )
    assert work_created() == NOTHING


def test_a_label_category_config_over_the_size_limit_fails_the_job(requester, bucket):
    # given
    bucket.put("labels.json", b" " * (1024 * 1024 + 1))
    body = job_body(bucket, label_category_config_uri=bucket.uri("labels.json"))
    del body["label_categories"]
    job = create_job(requester, body)
    # when
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert (job["status"], job["failure_reason"]) == (
        "failed",
        f"label_category_config_uri: {bucket.uri('labels.json')} is larger than 1048576 bytes",
    )
    assert work_created() == NOTHING


def test_storage_unregistered_before_ingestion_fails_the_job(requester, bucket):
    # given
    body = job_body(bucket)
    job = create_job(requester, body)
    requester.organization.storage_locations.all().delete()
    # when
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert (job["status"], job["failure_reason"]) == (
        "failed",
        f"input_manifest_uri: {body['input_manifest_uri']} is not in storage registered for your organization",
    )
    assert work_created() == NOTHING


def test_an_output_location_that_cannot_be_written_fails_the_job_keeping_its_data(requester, bucket, make_worker):
    # given
    job = start_job(requester, job_body(bucket, lines=texts(2)))
    answer_all(make_worker())
    requester.organization.storage_locations.all().delete()
    # when
    run_labeling_sweeps()
    # then
    job = get_job(requester, job["id"])
    assert (job["status"], job["failure_reason"], job["output_manifest_uri"]) == (
        "failed",
        f"could not write the output: output_uri: {bucket.uri('out/')} is not in storage registered "
        "for your organization",
        "",
    )
    assert list(DataObject.objects.order_by("line_number").values_list("status", "answers")) == [
        ("labeled", 1),
        ("labeled", 1),
    ]
    assert Assignment.objects.filter(status="submitted").count() == 2
    assert bucket.list("out/") == []
