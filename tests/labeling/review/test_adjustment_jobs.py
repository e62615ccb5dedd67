"""Adjustment jobs end to end through the REST and worker APIs: the existing annotation comes
with each task, workers correct some and keep others, and the output manifest carries the base
type's Ground Truth record with ``adjustment-status`` (docs/labeling.md, "Adjustment")."""

from __future__ import annotations

import pytest

from labeling.models import DataObject
from labeling.services.sweeps import run_labeling_sweeps
from marketplace.models import Assignment, Task
from tests.labeling.jobs_lifecycle.helpers import get_job, manifest, output_lines, post_job, start_job, work_created
from tests.labeling.review.helpers import BOX_LABELS, IMAGE_SIZE, answer_every_offer, box_for, box_job, finished
from tests.support.worker_api import claim, claim_offer, submit

pytestmark = pytest.mark.django_db


def adjustment_body(bucket, *, name: str, input_uri: str, **overrides) -> dict:
    body = {
        "name": name,
        "task_type": "bounding_box_adjustment",
        "label_attribute_name": "fixed-boxes",
        "source_label_attribute_name": "boxes",
        "label_categories": BOX_LABELS,
        "input_manifest_uri": input_uri,
        "output_uri": bucket.uri("out/"),
        "title": "Fix the boxes",
        "reward": "0.04",
        "workers_per_object": 1,
    }
    body.update(overrides)
    return body


def image_number(task_input: dict) -> int:
    return int(task_input["source-url"].split("?")[0].rsplit("/", 1)[1].split(".")[0])


def corrected(task_input: dict) -> dict:
    """Image 0: the box moved 15 px right; image 1: kept as it is; image 2: a bone box added."""
    existing = task_input["existing_annotation"]
    boxes = [dict(box) for box in existing["boxes"]]
    number = image_number(task_input)
    if number == 0:
        boxes[0]["left"] += 15
    elif number == 2:
        boxes.append({"label": "bone", "left": 300, "top": 250, "width": 40, "height": 20})
    return {"boxes": boxes, "image_size": existing["image_size"]}


def test_a_box_adjustment_job_writes_adjusted_and_unadjusted_records(requester, bucket, make_worker):
    # given: a finished box job over three images, boxed by one annotator; an adjustment job over
    # its output manifest
    annotator = make_worker()
    boxes, boxed_lines = box_job(requester, bucket, annotator, images=3)
    job = start_job(requester, adjustment_body(bucket, name="fix-dogs", input_uri=boxes["output_manifest_uri"]))
    first, second = make_worker(), make_worker()

    # when: the annotator asks for work; two other workers share the images, correcting two
    refused = claim(annotator)
    offers = []
    for worker in (first, second):
        offer = claim_offer(worker)
        assert offer is not None
        response = submit(worker, offer["assignment_id"], corrected(offer["input"]))
        assert response.status_code == 200, response.content
        offers.append(offer)
    offers += answer_every_offer(first, corrected)
    job = finished(requester, job["id"])

    # then: nobody adjusts their own boxes
    assert refused.status_code == 204
    assert not Assignment.objects.filter(worker=annotator, task__batch_id=job["batch_id"]).exists()
    # each task showed the image with its existing boxes, in the box type's answer format
    assert sorted(image_number(offer["input"]) for offer in offers) == [0, 1, 2]
    for offer in offers:
        number = image_number(offer["input"])
        assert offer["task_type"] == "bounding_box_adjustment"
        assert offer["labels"] == BOX_LABELS
        assert offer["input"]["existing_labels"] == BOX_LABELS
        assert offer["input"]["existing_annotation"] == {
            "boxes": [box_for(f"images/{number}.jpg")],
            "image_size": {**IMAGE_SIZE, "depth": 3},
        }
    # the output keeps every input line and adds the corrected boxes with their status
    lines = output_lines(bucket, job)
    assert [{k: v for k, v in line.items() if not k.startswith("fixed-boxes")} for line in lines] == boxed_lines
    by_image = {int(line["source-ref"].rsplit("/", 1)[1].split(".")[0]): line for line in lines}
    annotations = {number: line["fixed-boxes"]["annotations"] for number, line in by_image.items()}
    assert annotations == {
        0: [{"class_id": 0, "left": 25, "top": 20, "width": 60, "height": 120}],
        1: [{"class_id": 0, "left": 11, "top": 20, "width": 60, "height": 120}],
        2: [
            {"class_id": 0, "left": 12, "top": 20, "width": 60, "height": 120},
            {"class_id": 1, "left": 300, "top": 250, "width": 40, "height": 20},
        ],
    }
    statuses = {number: line["fixed-boxes-metadata"]["adjustment-status"] for number, line in by_image.items()}
    assert statuses == {0: "adjusted", 1: "unadjusted", 2: "adjusted"}
    for line in lines:
        metadata = line["fixed-boxes-metadata"]
        assert metadata["type"] == "groundtruth/object-detection"
        assert metadata["job-name"] == "labeling-job/fix-dogs"
        assert metadata["human-annotated"] == "yes"
        assert line["fixed-boxes"]["image_size"] == [{**IMAGE_SIZE, "depth": 3}]
        assert len(metadata["objects"]) == len(line["fixed-boxes"]["annotations"])
    assert by_image[2]["fixed-boxes-metadata"]["class-map"] == {"0": "dog", "1": "bone"}


@pytest.mark.parametrize(
    ("answer", "fields"),
    [
        (
            {"boxes": [{"label": "cat", "left": 1, "top": 1, "width": 5, "height": 5}], "image_size": IMAGE_SIZE},
            ["answer.boxes.0.label"],
        ),
        (
            {"boxes": [{"label": "dog", "left": 480, "top": 1, "width": 50, "height": 5}], "image_size": IMAGE_SIZE},
            ["answer.boxes.0.width"],
        ),
        ({"boxes": []}, ["answer"]),  # a missing key is named on its parent, the message names it
        ({"label": "dog"}, None),
    ],
    ids=["unknown-label", "outside-the-image", "no-image-size", "another-types-answer"],
)
def test_a_bad_adjustment_is_a_400_naming_the_field_and_leaves_the_assignment_open(
    requester, bucket, make_worker, answer, fields
):
    # given: an adjustment task claimed
    boxes, _ = box_job(requester, bucket, make_worker(), images=1)
    start_job(requester, adjustment_body(bucket, name="fix-one", input_uri=boxes["output_manifest_uri"]))
    worker = make_worker()
    offer = claim_offer(worker)
    assert offer is not None

    # when
    response = submit(worker, offer["assignment_id"], answer)

    # then
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    if fields is not None:
        assert list(error["fields"]) == fields
        if fields == ["answer"]:
            assert "image_size" in error["fields"]["answer"][0]
    else:
        assert all(path.startswith("answer") for path in error["fields"])
    assignment = Assignment.objects.get(pk=offer["assignment_id"])
    assert (assignment.status, assignment.answer) == ("accepted", None)


def test_a_job_whose_labels_lack_an_existing_label_fails_naming_the_line(requester, bucket, make_worker):
    # given: boxes labelled dog and bone; an adjustment job that only knows dog
    boxes, _ = box_job(requester, bucket, make_worker(), images=1)
    before = work_created()
    body = adjustment_body(bucket, name="fix-lacking", input_uri=boxes["output_manifest_uri"], label_categories=["dog"])

    # when
    response = post_job(requester, body)
    job = finished_or_failed(requester, response.json()["id"])

    # then
    assert job["status"] == "failed"
    assert "line 1" in job["failure_reason"]
    assert "'bone'" in job["failure_reason"]
    assert work_created()["tasks"] == before["tasks"]


def finished_or_failed(requester, job_id: int) -> dict:
    run_labeling_sweeps()
    return get_job(requester, job_id)


TEXT = "Amazon SageMaker is a cloud machine-learning platform that was launched in November 2017."


def ner_line(entities: list[dict]) -> dict:
    return {
        "source": TEXT,
        "ner": {
            "annotations": {
                "labels": [{"label": "Thing"}, {"label": "Date"}],
                "entities": [{"label": e["label"], "startOffset": e["start"], "endOffset": e["end"]} for e in entities],
            }
        },
        "ner-metadata": {
            "job-name": "labeling-job/example-ner",
            "type": "groundtruth/text-span",
            "creation-date": "2020-10-29T00:40:39.398470",
            "human-annotated": "yes",
            "entities": [{"confidence": 0.9} for _ in entities],
        },
    }


def test_a_named_entity_adjustment_job_over_a_ground_truth_manifest_consolidates_and_writes(
    requester, bucket, make_worker
):
    # given: Ground Truth's own example line (its Date span ends one character short) and a text
    # whose spans are right; two workers per text
    short = [{"label": "Thing", "start": 22, "end": 53}, {"label": "Date", "start": 75, "end": 87}]
    right = [{"label": "Thing", "start": 0, "end": 16}]
    bucket.put("ner/in.jsonl", manifest([ner_line(short), {**ner_line(right), "source": TEXT + " "}]))
    job = start_job(
        requester,
        {
            "name": "fix-ner",
            "task_type": "named_entity_recognition_adjustment",
            "label_attribute_name": "fixed-ner",
            "source_label_attribute_name": "ner",
            "label_categories": ["Thing", "Date", "Place"],
            "input_manifest_uri": bucket.uri("ner/in.jsonl"),
            "output_uri": bucket.uri("out/"),
            "title": "Fix the entities",
            "reward": "0.03",
            "workers_per_object": 2,
        },
    )

    def fix(task_input: dict) -> dict:
        entities = [dict(entity) for entity in task_input["existing_annotation"]["entities"]]
        for entity in entities:
            if entity["label"] == "Date":
                entity["end"] = 88
        return {"entities": entities}

    # when
    for worker in (make_worker(), make_worker()):
        assert len(answer_every_offer(worker, fix)) == 2
    job = finished(requester, job["id"])

    # then
    lines = output_lines(bucket, job)
    assert [line["fixed-ner-metadata"]["adjustment-status"] for line in lines] == ["adjusted", "unadjusted"]
    assert lines[0]["fixed-ner"]["annotations"]["entities"] == [
        {"label": "Thing", "startOffset": 22, "endOffset": 53},
        {"label": "Date", "startOffset": 75, "endOffset": 88},
    ]
    assert lines[0]["fixed-ner"]["annotations"]["labels"] == [{"label": "Thing"}, {"label": "Date"}, {"label": "Place"}]
    assert lines[1]["fixed-ner"]["annotations"]["entities"] == [{"label": "Thing", "startOffset": 0, "endOffset": 16}]
    for line in lines:
        assert line["fixed-ner-metadata"]["type"] == "groundtruth/text-span"
        assert len(line["fixed-ner-metadata"]["entities"]) == len(line["fixed-ner"]["annotations"]["entities"])
    assert DataObject.objects.filter(job_id=job["id"], status=DataObject.Status.LABELED).count() == 2
    assert Task.objects.filter(batch_id=job["batch_id"], task_type="named_entity_recognition_adjustment").count() == 2
