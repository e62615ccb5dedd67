"""Request validation of ``POST /api/v1/labeling-jobs`` (docs/labeling.md, "Creating a job"):
every bad field is a 400 naming it and creates nothing. No storage is read here: a job body is
checked before any byte moves, and ingestion only runs when a test runs the sweeps."""

from __future__ import annotations

import pytest

from labeling.models import LabelingJob
from labeling.services.storage_registration import storage_register
from marketplace.models import Batch, Task
from marketplace.services.workteams import workteam_create
from tests.support.factories import client_with

JOBS_URL = "/api/v1/labeling-jobs"
BUCKET = "gw-api-tests"
NAME_RULE = "must be 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit"
ATTRIBUTE_RULE = "must be 1 to 127 letters, digits and hyphens, starting and ending with a letter or digit"
TASK_TYPES = (
    "bounding_box, bounding_box_adjustment, custom, image_classification, image_multilabel, label_verification, "
    "named_entity_recognition, named_entity_recognition_adjustment, semantic_segmentation, "
    "semantic_segmentation_adjustment, text_classification, text_multilabel"
)


def valid_body(**overrides) -> dict:
    body = {
        "name": "animals-1",
        "label_attribute_name": "species",
        "task_type": "text_classification",
        "input_manifest_uri": f"s3://{BUCKET}/in/manifest.jsonl",
        "output_uri": f"s3://{BUCKET}/out/",
        "label_categories": ["cat", "dog"],
        "title": "Cat or dog?",
        "reward": "0.036",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not ...}


@pytest.fixture
def registered(requester):
    """The requester may use the whole test bucket (registering an s3:// prefix reads nothing)."""
    storage_register(organization=requester.organization, uri_prefix=f"s3://{BUCKET}/")
    return requester


def post(client, body, **headers):
    return client.post(JOBS_URL, body, format="json", **headers)


def nothing_created() -> dict:
    return {"jobs": LabelingJob.objects.count(), "batches": Batch.objects.count(), "tasks": Task.objects.count()}


NOTHING = {"jobs": 0, "batches": 0, "tasks": 0}


BAD_FIELDS = [
    # (overrides, {field: [messages]})
    pytest.param({"name": ...}, {"name": ["is required"]}, id="name-missing"),
    pytest.param({"name": "my job"}, {"name": [NAME_RULE]}, id="name-with-space"),
    pytest.param({"name": "a" * 64}, {"name": [NAME_RULE]}, id="name-64-chars"),
    pytest.param({"name": "-job"}, {"name": [NAME_RULE]}, id="name-leading-hyphen"),
    pytest.param({"name": 7}, {"name": [NAME_RULE]}, id="name-not-a-string"),
    pytest.param({"colour": "red"}, {"colour": ["is not a known field"]}, id="unknown-field"),
    pytest.param({"label_attribute_name": ...}, {"label_attribute_name": ["is required"]}, id="attribute-missing"),
    pytest.param(
        {"label_attribute_name": "my species"}, {"label_attribute_name": [ATTRIBUTE_RULE]}, id="attribute-with-space"
    ),
    pytest.param(
        {"label_attribute_name": "species-metadata"},
        {"label_attribute_name": ["must not end in -metadata"]},
        id="attribute-metadata",
    ),
    pytest.param(
        {"label_attribute_name": "species-ref"},
        {"label_attribute_name": ["must not end in -ref except for semantic_segmentation"]},
        id="attribute-ref-for-classification",
    ),
    pytest.param(
        {"task_type": "semantic_segmentation", "label_attribute_name": "mask"},
        {"label_attribute_name": ["must end in -ref for semantic_segmentation (its value is a mask URI)"]},
        id="segmentation-attribute-without-ref",
    ),
    pytest.param(
        {"label_attribute_name": "source"},
        {"label_attribute_name": ["must not be source or source-ref"]},
        id="attribute-source",
    ),
    pytest.param(
        {"task_type": "video_tracking"}, {"task_type": [f"must be one of {TASK_TYPES}"]}, id="unknown-task-type"
    ),
    pytest.param({"task_type": ...}, {"task_type": [f"must be one of {TASK_TYPES}"]}, id="task-type-missing"),
    pytest.param({"input_manifest_uri": ...}, {"input_manifest_uri": ["is required"]}, id="input-missing"),
    pytest.param(
        {"input_manifest_uri": "https://example.com/m.jsonl"},
        {"input_manifest_uri": ["must be an s3:// or file:// URI"]},
        id="input-https",
    ),
    pytest.param({"output_uri": ...}, {"output_uri": ["is required"]}, id="output-missing"),
    pytest.param(
        {"label_category_config_uri": f"s3://{BUCKET}/labels.json"},
        {"label_categories": ["give either label_categories or label_category_config_uri"]},
        id="both-categories-and-config",
    ),
    pytest.param(
        {"label_categories": ...},
        {"label_categories": ["give either label_categories or label_category_config_uri"]},
        id="neither-categories-nor-config",
    ),
    pytest.param(
        {"label_categories": []},
        {"label_categories": ["at least 2 label categories are needed for text_classification"]},
        id="categories-empty",
    ),
    pytest.param(
        {"label_categories": ["cat", "dog", "cat"]},
        {"label_categories": ["label 2 ('cat') repeats label 0"]},
        id="categories-duplicate",
    ),
    pytest.param(
        {"label_categories": ["cat", 3]},
        {"label_categories": ["label 1 must be a string, got int"]},
        id="categories-not-strings",
    ),
    pytest.param(
        {"label_categories": "cat,dog"},
        {"label_categories": ["label categories must be a list of names"]},
        id="categories-not-a-list",
    ),
    pytest.param({"workers_per_object": 0}, {"workers_per_object": ["must be between 1 and 50"]}, id="workers-0"),
    pytest.param({"workers_per_object": 51}, {"workers_per_object": ["must be between 1 and 50"]}, id="workers-51"),
    pytest.param({"workers_per_object": "3"}, {"workers_per_object": ["must be an integer"]}, id="workers-string"),
    pytest.param(
        {"workers_per_object": 3, "min_workers_per_object": 4, "target_confidence": 0.9},
        {"min_workers_per_object": ["must not exceed workers_per_object"]},
        id="min-above-workers",
    ),
    pytest.param(
        {"workers_per_object": 3, "max_workers_per_object": 2, "target_confidence": 0.9},
        {"max_workers_per_object": ["must be at least workers_per_object"]},
        id="max-below-workers",
    ),
    pytest.param(
        {"max_workers_per_object": 51, "target_confidence": 0.9},
        {"max_workers_per_object": ["must be between 1 and 50"]},
        id="max-51",
    ),
    pytest.param(
        {"target_confidence": 0}, {"target_confidence": ["must be a number between 0 and 1 (exclusive)"]}, id="target-0"
    ),
    pytest.param(
        {"target_confidence": 1}, {"target_confidence": ["must be a number between 0 and 1 (exclusive)"]}, id="target-1"
    ),
    pytest.param(
        {"max_workers_per_object": 5},
        {"max_workers_per_object": ["only applies with target_confidence (dynamic redundancy)"]},
        id="max-without-target",
    ),
    pytest.param(
        {"task_type": ["image_classification"]},
        {"task_type": [f"must be one of {TASK_TYPES}"]},
        id="task-type-list",
    ),
    pytest.param(
        {"target_confidence": "x"},
        {"target_confidence": ["must be a number between 0 and 1 (exclusive)"]},
        id="target-string",
    ),
    pytest.param(
        {"target_confidence": True},
        {"target_confidence": ["must be a number between 0 and 1 (exclusive)"]},
        id="target-bool",
    ),
    pytest.param(
        {"stopping_conditions": {"max_runtime_seconds": 60}},
        {"stopping_conditions.max_runtime_seconds": ["is not a known stopping condition"]},
        id="stopping-unknown-key",
    ),
    pytest.param(
        {"stopping_conditions": {"max_human_labeled_objects": 0}},
        {"stopping_conditions.max_human_labeled_objects": ["must be between 1 and 2147483647"]},
        id="stopping-max-objects-0",
    ),
    pytest.param(
        {"stopping_conditions": {"max_percentage_labeled": 0}},
        {"stopping_conditions.max_percentage_labeled": ["must be between 1 and 100"]},
        id="stopping-percentage-0",
    ),
    pytest.param(
        {"stopping_conditions": {"max_percentage_labeled": 101}},
        {"stopping_conditions.max_percentage_labeled": ["must be between 1 and 100"]},
        id="stopping-percentage-101",
    ),
    pytest.param(
        {"stopping_conditions": [50]}, {"stopping_conditions": ["must be an object"]}, id="stopping-not-an-object"
    ),
    pytest.param({"reward": ...}, {"reward": ["is required"]}, id="reward-missing"),
    pytest.param(
        {"reward": "0.0000001"}, {"reward": ["must have at most 6 fractional digits"]}, id="reward-7-decimals"
    ),
    pytest.param({"reward": 0.05}, {"reward": ['must be a decimal string such as "0.05"']}, id="reward-float"),
    pytest.param({"reward": "-1"}, {"reward": ["must not be negative"]}, id="reward-negative"),
    pytest.param(
        {"worker_visible_keys": ["caption", "source-ref"]},
        {"worker_visible_keys.1": ["must not be source, source-ref, the label attribute, or start with $"]},
        id="visible-source-ref",
    ),
    pytest.param(
        {"worker_visible_keys": ["species"]},
        {"worker_visible_keys.0": ["must not be source, source-ref, the label attribute, or start with $"]},
        id="visible-label-attribute",
    ),
    pytest.param(
        {"worker_visible_keys": "caption"},
        {"worker_visible_keys": ["must be a list of non-empty strings"]},
        id="visible-not-a-list",
    ),
    pytest.param({"title": ...}, {"title": ["is required"]}, id="title-missing"),
    pytest.param(
        {"task_time_limit_seconds": 29},
        {"task_time_limit_seconds": ["must be between 30 and 604800"]},
        id="time-limit-29",
    ),
    pytest.param(
        {"task_availability_lifetime_seconds": 29},
        {"task_availability_lifetime_seconds": ["must be between 30 and 31536000"]},
        id="lifetime-29",
    ),
    pytest.param({"priority": 101}, {"priority": ["must be between 0 and 100"]}, id="priority-101"),
    pytest.param({"workteam_id": "7"}, {"workteam_id": ["must be an integer"]}, id="workteam-string"),
]


@pytest.mark.parametrize(("overrides", "fields"), BAD_FIELDS)
def test_a_bad_field_is_a_400_naming_it_and_creates_nothing(registered, overrides, fields):
    # given
    client = client_with(registered.api_key)
    # when
    response = post(client, valid_body(**overrides))
    # then
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == fields
    assert nothing_created() == NOTHING


def test_an_empty_body_names_every_required_field(registered):
    # given
    client = client_with(registered.api_key)
    # when
    response = post(client, {})
    # then
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {
        "name",
        "label_attribute_name",
        "task_type",
        "input_manifest_uri",
        "output_uri",
        "label_categories",
        "reward",
        "title",
    }
    assert nothing_created() == NOTHING


@pytest.mark.parametrize("body", [[valid_body()], "animals-1", 3], ids=["array", "string", "number"])
def test_a_body_that_is_not_an_object_is_a_400(registered, body):
    # given
    client = client_with(registered.api_key)
    # when
    response = post(client, body)
    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"] == {"non_field_errors": ["the body must be a JSON object"]}
    assert nothing_created() == NOTHING


def test_a_valid_body_creates_an_initializing_job_with_the_documented_defaults(registered):
    # given
    client = client_with(registered.api_key)
    # when
    response = post(client, valid_body())
    # then
    assert response.status_code == 201, response.content
    data = response.json()
    job = LabelingJob.objects.get()
    assert data["id"] == job.pk
    assert {
        key: data[key]
        for key in (
            "status",
            "failure_reason",
            "label_counters",
            "batch_id",
            "answers_saved",
            "output_manifest_uri",
            "workers_per_object",
            "min_workers_per_object",
            "max_workers_per_object",
            "target_confidence",
            "task_time_limit_seconds",
            "task_availability_lifetime_seconds",
            "priority",
            "reward",
            "stopping_conditions",
            "label_categories",
            "worker_visible_keys",
        )
    } == {
        "status": "initializing",
        "failure_reason": "",
        "batch_id": None,
        "answers_saved": 0,
        "label_counters": {"total_labeled": 0, "human_labeled": 0, "machine_labeled": 0, "failed": 0, "unlabeled": 0},
        "output_manifest_uri": "",
        "workers_per_object": 3,
        "min_workers_per_object": 2,
        "max_workers_per_object": 3,
        "target_confidence": None,
        "task_time_limit_seconds": 300,
        "task_availability_lifetime_seconds": 7 * 86400,
        "priority": 0,
        "reward": "0.036",
        "stopping_conditions": {},
        "label_categories": ["cat", "dog"],
        "worker_visible_keys": [],
    }
    assert (Batch.objects.count(), Task.objects.count()) == (0, 0)


def test_a_segmentation_job_needs_a_ref_attribute_and_takes_one(registered):
    # given
    client = client_with(registered.api_key)
    # when
    response = post(client, valid_body(task_type="semantic_segmentation", label_attribute_name="mask-ref"))
    # then
    assert response.status_code == 201, response.content
    assert LabelingJob.objects.get().label_attribute_name == "mask-ref"


def test_a_name_already_used_by_this_requester_is_a_409_name_taken(registered):
    # given
    client = client_with(registered.api_key)
    first = post(client, valid_body())
    assert first.status_code == 201
    # when
    response = post(client, valid_body(title="Another title"))
    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "name_taken"
    assert list(LabelingJob.objects.values_list("pk", "title")) == [(first.json()["id"], "Cat or dog?")]


def test_another_requester_may_use_the_same_name(registered, make_requester):
    # given
    other = make_requester()
    storage_register(organization=other.organization, uri_prefix=f"s3://{BUCKET}/")
    assert post(client_with(registered.api_key), valid_body()).status_code == 201
    # when
    response = post(client_with(other.api_key), valid_body())
    # then
    assert response.status_code == 201
    assert LabelingJob.objects.filter(name="animals-1").count() == 2


def test_a_workteam_of_another_requester_is_a_400(registered, make_requester):
    # given
    other = make_requester()
    foreign_team = workteam_create(owner=other.organization, name="their team")
    client = client_with(registered.api_key)
    # when
    response = post(client, valid_body(workteam_id=foreign_team.pk))
    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"] == {"workteam_id": ["no such workteam"]}
    assert nothing_created() == NOTHING


def test_an_own_private_workteam_is_accepted(registered):
    # given
    team = workteam_create(owner=registered.organization, name="our team")
    client = client_with(registered.api_key)
    # when
    response = post(client, valid_body(workteam_id=team.pk))
    # then
    assert response.status_code == 201
    assert response.json()["workteam_id"] == team.pk


def test_the_same_idempotency_key_and_body_replay_the_first_job(registered):
    # given
    client = client_with(registered.api_key)
    first = post(client, valid_body(), HTTP_IDEMPOTENCY_KEY="job-key-1")
    # when
    second = post(client, valid_body(), HTTP_IDEMPOTENCY_KEY="job-key-1")
    # then
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert list(LabelingJob.objects.values_list("pk", flat=True)) == [first.json()["id"]]


def test_the_same_idempotency_key_with_another_body_is_a_422(registered):
    # given
    client = client_with(registered.api_key)
    first = post(client, valid_body(), HTTP_IDEMPOTENCY_KEY="job-key-2")
    # when
    response = post(client, valid_body(name="animals-2"), HTTP_IDEMPOTENCY_KEY="job-key-2")
    # then
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert list(LabelingJob.objects.values_list("pk", flat=True)) == [first.json()["id"]]
