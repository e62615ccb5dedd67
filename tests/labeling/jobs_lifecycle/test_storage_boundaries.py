"""What a job may read and write: its requester's registered storage, and storage that goes away or
was never an object."""

from __future__ import annotations

import json
import uuid

import pytest

from labeling.models import DataObject, LabelingJob
from labeling.services.storage_registration import storage_register
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Assignment
from tests.labeling.jobs_lifecycle.helpers import (
    ATTRIBUTE,
    LABELS,
    NOTHING,
    answer_all,
    create_job,
    get_job,
    job_body,
    labeled_line,
    manifest,
    post_job,
    start_job,
    texts,
    work_created,
)


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
