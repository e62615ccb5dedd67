"""The review loop end to end (issue 19, "Must show"): a bounding-box job, a label_verification
job chained on it, then a bounding_box_adjustment job chained on the verification, taking only
the objects judged incorrect. Each job is created over REST with nothing but
``chain_from_job_id`` (and the selection) pointing at the one before, ingested and ended by the
background pass, answered by workers over the worker API; its output manifest is read back from
S3 (moto's server) and checked record by record against Ground Truth's formats
(``docs/ground-truth-formats.md``). Nobody reviews their own boxes: the annotator is never
offered a verification or adjustment task."""

from __future__ import annotations

import re

import pytest

from tests.labeling.chaining.helpers import (
    answer_all,
    box,
    boxes_answer,
    finish_job,
    jsonl,
    read_jsonl,
    start_job,
)
from tests.support import worker_api

pytestmark = pytest.mark.django_db

LABELS = ["cat", "dog"]
IMAGES = ["a.png", "b.png", "c.png", "d.png"]
BAD = {"c.png", "d.png"}  # the annotator boxes these wrong; the verifier says so
CREATION_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
COMMON_METADATA = {"type", "job-name", "human-annotated", "creation-date"}


def image_of(task_input: dict) -> str:
    """The image a task shows (its presigned URL names the key)."""
    return next(name for name in IMAGES if f"images/{name}" in task_input["source-url"])


def drawn(name: str) -> dict:
    """What the annotator draws: a cat where it is, except on the bad images (too far left)."""
    return boxes_answer(box("cat", 2 if name in BAD else 20))


def assert_common(metadata: dict, job_name: str) -> None:
    assert metadata["job-name"] == f"labeling-job/{job_name}"
    assert metadata["human-annotated"] == "yes"
    assert CREATION_DATE.match(metadata["creation-date"]), metadata["creation-date"]
    assert 0 <= metadata.get("confidence", 0) <= 1


def assert_object_detection(value: dict, metadata: dict, *, job_name: str, extra: set[str] = frozenset()) -> None:
    """A ``groundtruth/object-detection`` record (GROUND_TRUTH_FORMATS.md, "Bounding boxes")."""
    assert set(value) == {"image_size", "annotations"}
    assert value["image_size"] == [{"width": 100, "height": 80, "depth": 3}]
    assert all(set(item) == {"class_id", "left", "top", "width", "height"} for item in value["annotations"])
    assert set(metadata) == {*COMMON_METADATA, "objects", "class-map", *extra}
    assert metadata["type"] == "groundtruth/object-detection"
    assert len(metadata["objects"]) == len(value["annotations"])
    assert all(0 <= item["confidence"] <= 1 for item in metadata["objects"])
    assert metadata["class-map"] == {str(item["class_id"]): LABELS[item["class_id"]] for item in value["annotations"]}
    assert_common(metadata, job_name)


def test_boxes_then_a_chained_verification_then_an_adjustment_of_the_incorrect_ones(requester, bucket, make_worker):
    annotator, verifier, adjuster = make_worker(), make_worker(), make_worker()
    for name in IMAGES:
        bucket.put(f"images/{name}", b"not really an image " + name.encode())
    bucket.put(
        "in/images.jsonl", jsonl([{"source-ref": bucket.uri(f"images/{name}"), "shot": name} for name in IMAGES])
    )
    common = {"output_uri": bucket.uri("out/"), "reward": "0.05", "workers_per_object": 1}

    # given: a box job, boxed by the annotator
    boxes = start_job(
        requester,
        {
            **common,
            "name": "boxes",
            "task_type": "bounding_box",
            "label_attribute_name": "animals",
            "label_categories": LABELS,
            "input_manifest_uri": bucket.uri("in/images.jsonl"),
            "title": "Box the animals",
        },
    )
    assert answer_all(annotator, lambda task_input: drawn(image_of(task_input))) == 4
    boxes = finish_job(requester, boxes["id"])
    assert boxes["status"] == "completed"
    box_lines = read_jsonl(bucket, boxes["output_manifest_uri"])
    assert [line["shot"] for line in box_lines] == IMAGES
    for line in box_lines:
        assert_object_detection(line["animals"], line["animals-metadata"], job_name="boxes")
        assert line["animals"]["annotations"][0]["left"] == (2 if line["shot"] in BAD else 20)

    # when: a verification chained on it (its source attribute and verdicts left to their defaults)
    verification = start_job(
        requester,
        {
            **common,
            "name": "verify-boxes",
            "task_type": "label_verification",
            "label_attribute_name": "animals-verified",
            "chain_from_job_id": boxes["id"],
            "title": "Are the boxes right?",
        },
    )
    assert verification["source_label_attribute_name"] == "animals"
    assert verification["label_categories"] == ["correct", "incorrect"]
    assert read_jsonl(bucket, verification["input_manifest_uri"]) == box_lines
    # then: the annotator is offered none of it; the verifier sees the boxes it judges
    assert worker_api.claim(annotator).status_code == 204
    seen: dict[str, dict] = {}

    def judge(task_input: dict) -> dict:
        name = image_of(task_input)
        seen[name] = task_input["existing_annotation"]
        if name == "c.png":
            return {"verdict": "incorrect", "comment": "The box misses the cat."}
        return {"verdict": "incorrect" if name in BAD else "correct"}

    assert answer_all(verifier, judge) == 4
    assert seen == {name: drawn(name) | {"image_size": {"width": 100, "height": 80, "depth": 3}} for name in IMAGES}
    verification = finish_job(requester, verification["id"])
    verified_lines = read_jsonl(bucket, verification["output_manifest_uri"])
    # and: each line is the box line unchanged plus Ground Truth's label-verification record
    for line, before in zip(verified_lines, box_lines, strict=True):
        assert {key: value for key, value in line.items() if not key.startswith("animals-verified")} == before
        verdict = "incorrect" if line["shot"] in BAD else "correct"
        metadata = line["animals-verified-metadata"]
        assert line["animals-verified"] == str(["correct", "incorrect"].index(verdict))
        assert metadata["type"] == "groundtruth/label-verification"
        assert metadata["class-name"] == verdict
        assert_common(metadata, "verify-boxes")
        if line["shot"] == "c.png":
            assert metadata["worker-feedback"] == [{"comment": "The box misses the cat."}]
        else:
            assert "worker-feedback" not in metadata
            assert set(metadata) == {*COMMON_METADATA, "class-name", "confidence"}

    # when: an adjustment chained on the verification, of the objects judged incorrect
    adjustment = start_job(
        requester,
        {
            **common,
            "name": "adjust-boxes",
            "task_type": "bounding_box_adjustment",
            "label_attribute_name": "animals-adjusted",
            "chain_from_job_id": verification["id"],
            "chain_select": {"verdict": "incorrect"},
            "title": "Fix the boxes",
        },
    )
    # then: it adjusts the box job's boxes, with its label categories, on the two incorrect images
    assert adjustment["source_label_attribute_name"] == "animals"
    assert adjustment["label_categories"] == LABELS
    assert read_jsonl(bucket, adjustment["input_manifest_uri"]) == [
        line for line in verified_lines if line["shot"] in BAD
    ]
    assert worker_api.claim(annotator).status_code == 204

    def adjust(task_input: dict) -> dict:
        name = image_of(task_input)
        assert task_input["existing_annotation"]["boxes"] == drawn(name)["boxes"]
        # c is moved to where the cat is; d is left as it was
        return boxes_answer(box("cat", 20)) if name == "c.png" else task_input["existing_annotation"]

    assert answer_all(adjuster, adjust) == 2
    adjustment = finish_job(requester, adjustment["id"])
    adjusted_lines = read_jsonl(bucket, adjustment["output_manifest_uri"])
    # and: each line is the verified line plus an object-detection record with adjustment-status
    assert [line["shot"] for line in adjusted_lines] == ["c.png", "d.png"]
    for line in adjusted_lines:
        before = next(item for item in verified_lines if item["shot"] == line["shot"])
        assert {key: value for key, value in line.items() if not key.startswith("animals-adjusted")} == before
        metadata = line["animals-adjusted-metadata"]
        assert_object_detection(
            line["animals-adjusted"], metadata, job_name="adjust-boxes", extra={"adjustment-status"}
        )
        left = line["animals-adjusted"]["annotations"][0]["left"]
        if line["shot"] == "c.png":
            assert (left, metadata["adjustment-status"]) == (20, "adjusted")
        else:
            assert (left, metadata["adjustment-status"]) == (2, "unadjusted")
    for job in (boxes, verification, adjustment):
        assert job["status"] == "completed"
        assert job["label_counters"]["failed"] == job["label_counters"]["unlabeled"] == 0

    # when: a verification chained on the adjustment (review finding 1.1, 1.2)
    second_look = start_job(
        requester,
        {
            **common,
            "name": "verify-adjusted",
            "task_type": "label_verification",
            "label_attribute_name": "animals-checked",
            "chain_from_job_id": adjustment["id"],
            "title": "Are the corrected boxes right?",
        },
    )
    # then: it judges the corrected boxes, not the ones they correct, with the adjustment's labels,
    # and the adjuster is offered none of it
    assert second_look["source_label_attribute_name"] == "animals-adjusted"
    assert worker_api.claim(adjuster).status_code == 204
    checked: dict[str, tuple[list, list]] = {}

    def check(task_input: dict) -> dict:
        checked[image_of(task_input)] = (task_input["existing_annotation"]["boxes"], task_input["existing_labels"])
        return {"verdict": "correct"}

    assert answer_all(make_worker(), check) == 2
    assert checked == {
        "c.png": (boxes_answer(box("cat", 20))["boxes"], LABELS),
        "d.png": (drawn("d.png")["boxes"], LABELS),
    }
