"""Verification jobs over Ground Truth output manifests: the existing annotation comes with
each task, its annotators are never offered it, verdicts are consolidated and written as
``groundtruth/label-verification`` records with the workers' comments."""

from __future__ import annotations

import pytest

from labeling.models import DataObject
from marketplace.models import Assignment, Task, TaskWorkerExclusion
from tests.labeling.jobs_lifecycle.helpers import (
    NOTHING,
    create_job,
    get_job,
    manifest,
    output_lines,
    post_job,
    start_job,
    work_created,
)
from tests.labeling.jobs_lifecycle.helpers import job_body as text_job_body
from tests.labeling.review.helpers import (
    BOX_LABELS,
    IMAGE_SIZE,
    answer_every_offer,
    box_for,
    box_job,
    finished,
    verification_body,
)
from tests.support.worker_api import claim, submit

pytestmark = pytest.mark.django_db


def test_a_box_verification_shows_the_boxes_excludes_their_annotator_and_writes_verdicts(
    requester, bucket, make_worker
):
    # given: a finished box job, boxed by one annotator
    annotator = make_worker()
    boxes, boxed_lines = box_job(requester, bucket, annotator)
    verify = start_job(requester, verification_body(bucket, name="verify-dogs", input_uri=boxes["output_manifest_uri"]))
    first, second = make_worker(), make_worker()

    # when: the annotator asks for work, then two reviewers judge every image
    refused = claim(annotator)
    seen = answer_every_offer(first, lambda task_input: {"verdict": "incorrect", "comment": "too wide: x"})
    answer_every_offer(second, lambda task_input: {"verdict": "incorrect"})
    verify = finished(requester, verify["id"])

    # then: the annotator was never offered its own boxes
    assert refused.status_code == 204
    assert TaskWorkerExclusion.objects.filter(worker=annotator).count() == 2
    assert not Assignment.objects.filter(worker=annotator, task__batch_id=verify["batch_id"]).exists()
    # each task showed the image with its boxes in the box type's answer format
    assert verify["label_categories"] == ["correct", "incorrect"]
    assert verify["source_label_attribute_name"] == "boxes"
    by_image = {offer["input"]["source-url"].split("?")[0].rsplit("/", 1)[1]: offer for offer in seen}
    assert sorted(by_image) == ["0.jpg", "1.jpg"]
    for name, offer in by_image.items():
        assert offer["task_type"] == "label_verification"
        assert offer["labels"] == ["correct", "incorrect"]
        assert offer["input"]["existing_type"] == "bounding_box"
        assert offer["input"]["existing_labels"] == BOX_LABELS
        assert offer["input"]["existing_annotation"] == {
            "boxes": [box_for(f"images/{name}")],
            "image_size": {**IMAGE_SIZE, "depth": 3},
        }
    # the output keeps the boxes and adds the verdict, as Ground Truth writes it
    lines = output_lines(bucket, verify)
    assert [{k: v for k, v in line.items() if not k.startswith("verify-boxes")} for line in lines] == boxed_lines
    for line in lines:
        metadata = line["verify-boxes-metadata"]
        assert line["verify-boxes"] == "1"
        assert metadata["class-name"] == "incorrect"
        assert metadata["type"] == "groundtruth/label-verification"
        assert metadata["job-name"] == "labeling-job/verify-dogs"
        assert metadata["human-annotated"] == "yes"
        assert 0.5 < metadata["confidence"] <= 1
        assert metadata["worker-feedback"] == [{"comment": "too wide: x"}]


def test_a_classification_verification_without_comments_writes_no_feedback(requester, bucket, make_worker):
    # given: a finished text classification job labeled by one worker
    labeler = make_worker()
    texts = start_job(requester, text_job_body(bucket, name="texts"))
    answer_every_offer(labeler, lambda task_input: {"label": "cat"})
    texts = finished(requester, texts["id"])
    body = verification_body(
        bucket,
        name="verify-texts",
        input_uri=texts["output_manifest_uri"],
        source_label_attribute_name="species",
        label_attribute_name="species-check",
        label_categories=["yes", "no", "unsure"],
        workers_per_object=1,
    )
    verify = start_job(requester, body)
    reviewer = make_worker()

    # when
    refused = claim(labeler)
    seen = answer_every_offer(reviewer, lambda task_input: {"verdict": "yes"})
    verify = finished(requester, verify["id"])

    # then
    assert refused.status_code == 204
    assert len(seen) == 3
    assert {(o["input"]["existing_type"], o["input"]["existing_labels"][1]) for o in seen} == {
        ("text_classification", "dog")
    }
    assert {o["input"]["existing_annotation"]["label"] for o in seen} == {"cat"}
    assert all(set(o["input"]) == {"source", "existing_type", "existing_annotation", "existing_labels"} for o in seen)
    lines = output_lines(bucket, verify)
    assert [line["species-check"] for line in lines] == ["0", "0", "0"]
    assert all(line["species-check-metadata"]["class-name"] == "yes" for line in lines)
    assert all("worker-feedback" not in line["species-check-metadata"] for line in lines)
    assert all(line["species"] == 0 for line in lines)  # the source attribute is carried through


def test_a_line_from_another_tool_is_verified_with_the_labels_its_record_names(requester, bucket, make_worker):
    # given: a Ground Truth output line of a job Groundwork never ran (no one is excluded)
    line = {
        "source-ref": bucket.uri("images/7.jpg"),
        "boxes": {
            "image_size": [{"width": 500, "height": 400, "depth": 3}],
            "annotations": [{"class_id": 5, "left": 161, "top": 250, "width": 30, "height": 30}],
        },
        "boxes-metadata": {
            "objects": [{"confidence": 0.9}],
            "class-map": {"5": "bone"},
            "type": "groundtruth/object-detection",
            "human-annotated": "yes",
            "creation-date": "2018-10-18T22:18:13.527256",
            "job-name": "labeling-job/identify-dogs-and-toys",
        },
    }
    bucket.put("gt/out.manifest", manifest([line]))
    start_job(requester, verification_body(bucket, name="verify-gt", input_uri=bucket.uri("gt/out.manifest")))

    # when
    offer = claim(make_worker()).json()

    # then
    assert offer["input"]["existing_labels"] == ["bone"]
    assert offer["input"]["existing_annotation"] == {
        "boxes": [{"label": "bone", "left": 161, "top": 250, "width": 30, "height": 30}],
        "image_size": {"width": 500, "height": 400, "depth": 3},
    }
    assert TaskWorkerExclusion.objects.count() == 0


def test_a_bad_verdict_or_a_blank_comment_is_a_400_and_the_assignment_stays_open(requester, bucket, make_worker):
    # given
    annotator = make_worker()
    boxes, _ = box_job(requester, bucket, annotator, images=1)
    start_job(requester, verification_body(bucket, name="verify-1", input_uri=boxes["output_manifest_uri"]))
    reviewer = make_worker()
    held = claim(reviewer).json()

    # when
    wrong = submit(reviewer, held["assignment_id"], {"verdict": "maybe"})
    blank = submit(reviewer, held["assignment_id"], {"verdict": "correct", "comment": "  "})
    label = submit(reviewer, held["assignment_id"], {"label": "correct"})

    # then
    assert wrong.status_code == 400
    assert wrong.json()["error"]["fields"] == {"answer.verdict": ["'maybe' is not one of ['correct', 'incorrect']"]}
    assert blank.status_code == 400
    assert blank.json()["error"]["fields"] == {"answer.comment": ["must not be blank; leave it out instead"]}
    assert label.status_code == 400
    assert Assignment.objects.values_list("status", "answer").get(pk=held["assignment_id"]) == ("accepted", None)
    assert submit(reviewer, held["assignment_id"], {"verdict": "correct", "comment": "fine"}).status_code == 200


def test_a_line_without_the_source_attribute_fails_the_job_naming_it_and_creates_nothing(requester, bucket):
    # given: the second line has no boxes
    good = {
        "source-ref": bucket.uri("images/1.jpg"),
        "boxes": {"image_size": [{"width": 10, "height": 10}], "annotations": []},
        "boxes-metadata": {"class-map": {}, "type": "groundtruth/object-detection", "job-name": "labeling-job/x"},
    }
    bucket.put("bad/in.jsonl", manifest([good, {"source-ref": bucket.uri("images/2.jpg")}]))
    before = work_created()

    # when
    job = create_job(requester, verification_body(bucket, name="verify-bad", input_uri=bucket.uri("bad/in.jsonl")))
    finished_job = _after_ingest(requester, job["id"])

    # then
    assert finished_job["status"] == "failed"
    assert finished_job["failure_reason"] == (
        "input manifest line 2: has no 'boxes' (the source_label_attribute_name) holding the annotation to review"
    )
    assert work_created() == before == NOTHING


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (
            {"boxes": {"image_size": [{"width": 10, "height": 10}], "annotations": []}},
            "input manifest line 1: has no boxes-metadata object (a Ground Truth output record's metadata)",
        ),
        (
            {"boxes": 0, "boxes-metadata": {"class-name": "dog", "type": "groundtruth/image-classification"}},
            "input manifest line 1: boxes-metadata: is a image_classification record; earlier lines hold "
            "bounding_box records",
        ),
        (
            {
                "boxes": {
                    "image_size": [{"width": 10, "height": 10}],
                    "annotations": [{"class_id": 0, "left": 5, "top": 5, "width": 9, "height": 2}],
                },
                "boxes-metadata": {"class-map": {"0": "dog"}, "type": "groundtruth/object-detection"},
            },
            "input manifest line 1: boxes: is not a valid bounding_box annotation: boxes.0.width: the box ends "
            "at 14, outside the image (width 10)",
        ),
        (
            {"boxes": ["x"], "boxes-metadata": {"type": "groundtruth/text-span"}},
            "input manifest line 1: boxes-metadata: type 'groundtruth/text-span' cannot be reviewed by this job "
            "(known: groundtruth/image-classification, groundtruth/object-detection, groundtruth/text-classification)",
        ),
    ],
)
def test_a_bad_existing_annotation_fails_the_job_with_the_reason(requester, bucket, record, reason):
    # given (the mixed-types case: a valid box line comes first)
    first = {
        "source-ref": bucket.uri("images/0.jpg"),
        "boxes": {"image_size": [{"width": 10, "height": 10}], "annotations": []},
        "boxes-metadata": {"class-map": {}, "type": "groundtruth/object-detection"},
    }
    lines = (
        [first, {"source-ref": bucket.uri("images/1.jpg"), **record}]
        if "earlier" in reason
        else [{"source-ref": bucket.uri("images/1.jpg"), **record}]
    )
    reason = reason.replace("line 1", "line 2") if "earlier" in reason else reason
    bucket.put("bad/in.jsonl", manifest(lines))

    # when
    job = create_job(requester, verification_body(bucket, name="verify-bad", input_uri=bucket.uri("bad/in.jsonl")))
    job = _after_ingest(requester, job["id"])

    # then
    assert (job["status"], job["failure_reason"]) == ("failed", reason)
    assert work_created() == NOTHING


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        (
            {"source_label_attribute_name": "verify-boxes"},
            {
                "source_label_attribute_name": [
                    "must differ from label_attribute_name (the job writes its own attribute beside it)"
                ]
            },
        ),
        (
            {"source_label_attribute_name": None},
            {"source_label_attribute_name": ["is required for label_verification"]},
        ),
        (
            {"source_label_attribute_name": "boxes-metadata"},
            {"source_label_attribute_name": ["must name a label attribute, not source, source-ref or a -metadata key"]},
        ),
        (
            {"source_label_attribute_name": "no spaces"},
            {
                "source_label_attribute_name": [
                    "must be 1 to 127 letters, digits and hyphens, starting and ending with a letter or digit"
                ]
            },
        ),
        (
            {"task_type": "bounding_box", "label_categories": ["dog"]},
            {
                "source_label_attribute_name": [
                    "only applies to a review task type (bounding_box_adjustment, label_verification, "
                    "named_entity_recognition_adjustment, semantic_segmentation_adjustment)"
                ]
            },
        ),
        (
            {"label_categories": ["correct"]},
            {"label_categories": ["at least 2 label categories are needed for label_verification"]},
        ),
    ],
)
def test_bad_review_fields_are_400s_naming_the_field_and_create_no_job(requester, bucket, overrides, fields):
    # given
    body = verification_body(bucket, name="verify-x", input_uri=bucket.uri("in.jsonl"))
    body.update(overrides)
    body = {key: value for key, value in body.items() if value is not None}

    # when
    response = post_job(requester, body)

    # then
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"] == fields
    assert not Task.objects.exists() and not DataObject.objects.exists()
    assert get_job_count(requester) == 0


def get_job_count(requester) -> int:
    return requester.organization.labeling_jobs.count()


def _after_ingest(requester, job_id: int) -> dict:
    from labeling.services.sweeps import run_labeling_sweeps

    run_labeling_sweeps()
    return get_job(requester, job_id)
