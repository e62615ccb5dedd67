"""Ingest: manifests refused with their reason, and a job initializing."""

from __future__ import annotations

import json

import pytest

from labeling.models import DataObject
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Batch, Task
from tests.labeling.jobs_lifecycle.helpers import (
    ATTRIBUTE,
    LABELS,
    NOTHING,
    counters,
    create_job,
    get_job,
    job_body,
    manifest,
    texts,
    work_created,
)
from tests.support.worker_api import claim

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
