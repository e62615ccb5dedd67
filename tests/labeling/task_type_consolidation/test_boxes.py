"""Bounding boxes."""

from __future__ import annotations

import pytest

from labeling.task_types import get_task_type
from tests.labeling.task_type_consolidation.helpers import CREATED, SIZE, _box, _field_error, _is_valid, _objects


def test_boxes_schema_accepts_boxes_and_refuses_bad_ones():
    labels = ["dog", "bone"]
    good = {"boxes": [_box("dog", 0, 0, 10.5, 20)], "image_size": {"width": 100, "height": 80, "depth": 3}}
    assert _is_valid("bounding_box", labels, good)
    assert _is_valid("bounding_box", labels, {"boxes": [], "image_size": SIZE})
    assert not _is_valid("bounding_box", labels, {"boxes": [_box("cat", 0, 0, 1, 1)], "image_size": SIZE})
    assert not _is_valid("bounding_box", labels, {"boxes": [_box("dog", 0, 0, 0, 1)], "image_size": SIZE})
    assert not _is_valid("bounding_box", labels, {"boxes": [_box("dog", -1, 0, 1, 1)], "image_size": SIZE})
    assert not _is_valid("bounding_box", labels, {"boxes": [], "image_size": {"width": 0, "height": 8}})
    assert not _is_valid("bounding_box", labels, {"boxes": []})
    assert not _is_valid("bounding_box", labels, {"boxes": [{**_box("dog", 0, 0, 1, 1), "x": 1}], "image_size": SIZE})
    assert not _is_valid("bounding_box", labels, {"boxes": [_box("dog", 0, 0, 1, 1)] * 1001, "image_size": SIZE})


def test_boxes_check_answer_allows_touching_the_edge_and_names_a_box_outside():
    task_type = get_task_type("bounding_box")
    task_type.check_answer({"boxes": [_box("dog", 90, 70, 10, 10)], "image_size": SIZE}, labels=["dog"], task_input={})

    fields = _field_error(
        "bounding_box",
        {"boxes": [_box("dog", 0, 0, 5, 5), _box("dog", 0, 75, 5, 5.5)], "image_size": SIZE},
        labels=["dog"],
    )
    assert fields == {"answer.boxes.1.height": ["the box ends at 80.5, outside the image (height 80)"]}
    fields = _field_error("bounding_box", {"boxes": [_box("dog", 96, 0, 5, 5)], "image_size": SIZE}, labels=["dog"])
    assert list(fields) == ["answer.boxes.0.width"]


def test_boxes_average_the_agreeing_boxes_and_drop_a_lone_worker():
    # given: two workers draw nearly the same dog, the third draws nothing; then all draw nothing
    task_type = get_task_type("bounding_box")
    objects = _objects(
        (
            (0, 1, 2),
            (
                {"boxes": [_box("dog", 10, 10, 20, 20)], "image_size": SIZE},
                {"boxes": [_box("dog", 12, 10, 20, 20)], "image_size": SIZE},
                {"boxes": [], "image_size": SIZE},
            ),
        ),
        ((0, 1), ({"boxes": [], "image_size": SIZE}, {"boxes": [], "image_size": SIZE})),
    )

    # when
    outcome = task_type.consolidate(objects, n_workers=3, labels=["cat", "dog"], gold={})

    # then: the mean box, its confidence a probability (see labeling.task_types.drawn): two of
    # three drew it, so it is likely but not certain; the image's confidence is at most the
    # box's (it also needs nothing missed), and the empty image's is high but below 1 (two
    # workers could have missed the same object)
    quality = 380 / 420
    first, second = outcome.objects
    (box,) = first.result["boxes"]
    assert {key: box[key] for key in ("class_id", "left", "top", "width", "height")} == {
        "class_id": 1,
        "left": 11,
        "top": 10,
        "width": 20,
        "height": 20,
    }
    assert 0.5 < box["confidence"] < 1.0
    assert 0.0 < first.confidence <= box["confidence"]
    assert second.result == {"image_size": {"width": 100, "height": 80, "depth": 3}, "boxes": []}
    assert 0.5 < second.confidence < 1.0
    assert outcome.worker_accuracy == {
        0: (pytest.approx((quality + 1.0) / 2), 2),
        1: (pytest.approx((quality + 1.0) / 2), 2),
        2: (0.0, 1),
    }


def test_boxes_confidence_without_boxes_is_the_chance_the_lone_box_was_wrong():
    task_type = get_task_type("bounding_box")
    lone = (
        (0, 1, 2),
        (
            {"boxes": [_box("dog", 10, 10, 20, 20)], "image_size": SIZE},
            {"boxes": [], "image_size": SIZE},
            {"boxes": [], "image_size": SIZE},
        ),
    )
    empty = ((0, 1, 2), tuple({"boxes": [], "image_size": SIZE} for _ in range(3)))

    outcome = task_type.consolidate(_objects(lone, empty), n_workers=3, labels=["dog"], gold={})

    # the box is dropped (one of three drew it); the image is right only if that box was false
    assert outcome.objects[0].result["boxes"] == []
    assert 0.0 < outcome.objects[0].confidence < outcome.objects[1].confidence < 1.0


def test_boxes_scale_answers_drawn_on_another_image_size():
    task_type = get_task_type("bounding_box")
    half = {"width": 50, "height": 40}
    objects = _objects(
        (
            (0, 1, 2),
            (
                {"boxes": [_box("dog", 10, 10, 20, 20)], "image_size": SIZE},
                {"boxes": [_box("dog", 10, 10, 20, 20)], "image_size": SIZE},
                {"boxes": [_box("dog", 5, 5, 10, 10)], "image_size": half},
            ),
        )
    )

    outcome = task_type.consolidate(objects, n_workers=3, labels=["dog"], gold={})

    (box,) = outcome.objects[0].result["boxes"]
    assert {key: box[key] for key in ("class_id", "left", "top", "width", "height")} == {
        "class_id": 0,
        "left": 10,
        "top": 10,
        "width": 20,
        "height": 20,
    }
    assert 0.5 < box["confidence"] < 1.0
    assert outcome.worker_accuracy == {0: (1.0, 1), 1: (1.0, 1), 2: (1.0, 1)}


def test_boxes_gold_sets_worker_weights_for_the_other_images():
    # given: on the gold image only worker 2 is right; on the next image 0 and 1 outvote 2
    task_type = get_task_type("bounding_box")
    left_box = {"boxes": [_box("dog", 0, 0, 10, 10)], "image_size": SIZE}
    right_box = {"boxes": [_box("dog", 60, 40, 10, 10)], "image_size": SIZE}
    objects = _objects(((0, 1, 2), (left_box, left_box, right_box)), ((0, 1, 2), (left_box, left_box, right_box)))

    # when
    without_gold = task_type.consolidate(objects, n_workers=3, labels=["dog"], gold={})
    with_gold = task_type.consolidate(objects, n_workers=3, labels=["dog"], gold={0: right_box})

    # then
    assert [box["left"] for box in without_gold.objects[1].result["boxes"]] == [0]
    assert [box["left"] for box in with_gold.objects[1].result["boxes"]] == [60]
    assert with_gold.objects[0].result["boxes"] == [
        {"class_id": 0, "left": 60, "top": 40, "width": 10, "height": 10, "confidence": 1.0}
    ]
    assert with_gold.objects[0].confidence == 1.0
    assert with_gold.method == "consolidate_boxes(job-wide worker weights from gold and agreement)"
    assert with_gold.worker_accuracy == {0: (0.0, 2), 1: (0.0, 2), 2: (1.0, 2)}


def test_boxes_output_matches_ground_truth():
    # given
    labels = ["dog", "toy", "ball", "bed", "bowl", "bone"]
    result = {
        "image_size": {"width": 500, "height": 400, "depth": 3},
        "boxes": [
            {"class_id": 0, "left": 111, "top": 134, "width": 61, "height": 128, "confidence": 0.8},
            {"class_id": 5, "left": 161, "top": 250, "width": 30, "height": 30, "confidence": 0.9},
        ],
    }

    # when
    value, metadata = get_task_type("bounding_box").output_value(
        result, labels=labels, job_name="identify-dogs-and-toys", creation_date=CREATED
    )

    # then
    assert value == {
        "image_size": [{"width": 500, "height": 400, "depth": 3}],
        "annotations": [
            {"class_id": 0, "left": 111, "top": 134, "width": 61, "height": 128},
            {"class_id": 5, "left": 161, "top": 250, "width": 30, "height": 30},
        ],
    }
    assert metadata == {
        "objects": [{"confidence": 0.8}, {"confidence": 0.9}],
        "class-map": {"0": "dog", "5": "bone"},
        "type": "groundtruth/object-detection",
        "human-annotated": "yes",
        "creation-date": CREATED,
        "job-name": "labeling-job/identify-dogs-and-toys",
    }


def test_boxes_is_correct_matches_boxes_at_iou_one_half_with_the_same_class():
    task_type = get_task_type("bounding_box")
    result = {
        "image_size": {"width": 100, "height": 80, "depth": 3},
        "boxes": [{"class_id": 0, "left": 10, "top": 10, "width": 20, "height": 20, "confidence": 0.9}],
    }
    assert task_type.is_correct(result, {"boxes": [_box("dog", 12, 10, 20, 20)], "image_size": SIZE}, labels=["dog"])
    assert not task_type.is_correct(
        result, {"boxes": [_box("cat", 10, 10, 20, 20)], "image_size": SIZE}, labels=["dog", "cat"]
    )
    shifted = {"boxes": [_box("dog", 20, 10, 20, 20)], "image_size": SIZE}
    assert not task_type.is_correct(result, shifted, labels=["dog"])
    assert not task_type.is_correct(result, {"boxes": [], "image_size": SIZE}, labels=["dog"])
