"""Task types: answer schemas and checks, consolidation, Ground Truth output, masks, categories."""

from __future__ import annotations

import base64
import io
import json
import struct
import zlib

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from PIL import Image

from labeling.task_types import (
    TASK_TYPES,
    ObjectAnswers,
    decode_mask,
    encode_mask,
    get_task_type,
    parse_label_category_config,
    validate_label_categories,
)
from labeling.task_types.categories import parse_label_category_file
from labeling.task_types.masks_png import MAX_MASK_BASE64_CHARS, encode_mask_base64
from labeling.task_types.segmentation import class_colors
from marketplace.errors import InvalidInput

CREATED = "2018-10-18T22:18:13.527256"
SIZE = {"width": 100, "height": 80}


def _validator(type_name: str, labels: list[str]) -> Draft202012Validator:
    schema = get_task_type(type_name).answer_schema(labels)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _is_valid(type_name: str, labels: list[str], answer: object) -> bool:
    return _validator(type_name, labels).is_valid(answer)


def _field_error(type_name: str, answer: dict, *, labels: list[str], task_input: dict | None = None) -> dict:
    with pytest.raises(InvalidInput) as caught:
        get_task_type(type_name).check_answer(answer, labels=labels, task_input=task_input or {})
    return caught.value.fields


def _objects(*rows: tuple[tuple[int, ...], tuple[dict, ...]], task_input: dict | None = None) -> list[ObjectAnswers]:
    return [
        ObjectAnswers(index=index, workers=workers, answers=answers, task_input=task_input or {})
        for index, (workers, answers) in enumerate(rows)
    ]


def _png(array: np.ndarray, mode: str | None = None) -> str:
    image = Image.fromarray(array) if mode is None else Image.fromarray(array).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _box(label: str, left: float, top: float, width: float, height: float) -> dict:
    return {"label": label, "left": left, "top": top, "width": width, "height": height}


# --- registry -------------------------------------------------------------------------------


def test_registry_names_every_task_type_with_its_ground_truth_type():
    # when
    types = {name: (task_type.ground_truth_type, task_type.source_keys) for name, task_type in TASK_TYPES.items()}

    # then
    assert types == {
        "image_classification": ("groundtruth/image-classification", ("source-ref",)),
        "text_classification": ("groundtruth/text-classification", ("source", "source-ref")),
        "image_multilabel": ("groundtruth/image-classification-multilabel", ("source-ref",)),
        "text_multilabel": ("groundtruth/text-classification-multilabel", ("source", "source-ref")),
        "bounding_box": ("groundtruth/object-detection", ("source-ref",)),
        "named_entity_recognition": ("groundtruth/text-span", ("source",)),
        "semantic_segmentation": ("groundtruth/semantic-segmentation", ("source-ref",)),
    }
    assert all(get_task_type(name).name == name for name in TASK_TYPES)


def test_get_task_type_refuses_an_unknown_name():
    with pytest.raises(KeyError, match="unknown task type 'video'"):
        get_task_type("video")


def test_failure_metadata_has_the_common_keys_and_the_reason():
    # when
    metadata = get_task_type("bounding_box").failure_metadata(
        reason="no_answers", job_name="dogs", creation_date=CREATED
    )

    # then
    assert metadata == {
        "type": "groundtruth/object-detection",
        "job-name": "labeling-job/dogs",
        "human-annotated": "yes",
        "creation-date": CREATED,
        "failure-reason": "no_answers",
    }


def test_objects_without_answers_get_no_label_for_every_type():
    for name, task_type in TASK_TYPES.items():
        # given
        objects = [ObjectAnswers(index=0, workers=(), answers=(), task_input={})]

        # when
        outcome = task_type.consolidate(objects, n_workers=2, labels=["a", "b"], gold={})

        # then
        assert (name, outcome.objects[0].result, outcome.objects[0].confidence) == (name, None, None)
        assert outcome.worker_accuracy == {}


def test_consolidate_refuses_out_of_range_workers_and_gold():
    task_type = get_task_type("image_classification")
    objects = _objects(((0, 3), ({"label": "a"}, {"label": "b"})))
    with pytest.raises(ValueError, match="worker 3 is not in 0..1"):
        task_type.consolidate(objects, n_workers=2, labels=["a", "b"], gold={})
    with pytest.raises(ValueError, match="gold names object 5"):
        task_type.consolidate(objects[:0], n_workers=2, labels=["a", "b"], gold={5: {"label": "a"}})


# --- single-label classification ------------------------------------------------------------


def test_classification_schema_accepts_a_label_and_refuses_others():
    labels = ["cat", "dog"]
    assert _is_valid("image_classification", labels, {"label": "cat"})
    assert not _is_valid("image_classification", labels, {"label": "cow"})
    assert not _is_valid("image_classification", labels, {"label": "cat", "extra": 1})
    assert not _is_valid("image_classification", labels, {})
    assert not _is_valid("text_classification", labels, {"label": 0})


def test_classification_follows_the_majority_and_estimates_workers():
    # given: three workers, two agree on each object
    task_type = get_task_type("image_classification")
    objects = _objects(
        ((0, 1, 2), ({"label": "cat"}, {"label": "cat"}, {"label": "dog"})),
        ((0, 1, 2), ({"label": "dog"}, {"label": "dog"}, {"label": "dog"})),
        ((0, 1, 2), ({"label": "cat"}, {"label": "cat"}, {"label": "cat"})),
        ((), ()),
    )

    # when
    outcome = task_type.consolidate(objects, n_workers=3, labels=["cat", "dog"], gold={})

    # then
    assert [item.index for item in outcome.objects] == [0, 1, 2, 3]
    assert [item.result["label"] if item.result else None for item in outcome.objects] == [0, 1, 0, None]
    first = outcome.objects[0]
    assert first.confidence == pytest.approx(first.result["probabilities"][0], abs=1e-6)
    assert 0.5 < first.confidence <= 1.0
    assert sum(first.result["probabilities"]) == pytest.approx(1.0, abs=1e-5)
    assert {worker: count for worker, (_, count) in outcome.worker_accuracy.items()} == {0: 3, 1: 3, 2: 3}
    assert all(0.0 <= accuracy <= 1.0 for accuracy, _ in outcome.worker_accuracy.values())
    assert outcome.worker_accuracy[0][0] >= outcome.worker_accuracy[2][0]
    # three answers per worker: too few to tell workers apart, so they are weighed alike
    assert outcome.method.startswith("equal_workers")
    json.dumps([item.result for item in outcome.objects])


def test_classification_honours_gold_as_known_truth():
    # given: the crowd says cat, the gold says dog
    task_type = get_task_type("text_classification")
    objects = _objects(
        ((0, 1, 2), ({"label": "cat"}, {"label": "cat"}, {"label": "dog"})),
        ((0, 1, 2), ({"label": "cat"}, {"label": "cat"}, {"label": "cat"})),
    )

    # when
    outcome = task_type.consolidate(objects, n_workers=3, labels=["cat", "dog"], gold={0: {"label": "dog"}})

    # then
    assert outcome.objects[0].result["label"] == 1
    assert outcome.objects[0].confidence == 1.0


def test_classification_output_matches_ground_truth():
    # given
    task_type = get_task_type("image_classification")
    result = {"label": 0, "probabilities": [0.93, 0.07]}

    # when
    value, metadata = task_type.output_value(
        result, labels=["dog", "cat"], job_name="identify-animal-species", creation_date=CREATED
    )

    # then
    assert value == 0
    assert metadata == {
        "class-name": "dog",
        "confidence": 0.93,
        "type": "groundtruth/image-classification",
        "job-name": "labeling-job/identify-animal-species",
        "human-annotated": "yes",
        "creation-date": CREATED,
    }


def test_classification_output_rounds_confidence_to_four_decimals_and_marks_machine_labels():
    _, metadata = get_task_type("text_classification").output_value(
        {"label": 1, "probabilities": [0.0012344, 0.9987656]},
        labels=["a", "b"],
        job_name="j",
        creation_date=CREATED,
        human_annotated=False,
    )
    assert (metadata["confidence"], metadata["human-annotated"], metadata["type"]) == (
        0.9988,
        "no",
        "groundtruth/text-classification",
    )


def test_classification_is_correct_compares_the_class():
    task_type = get_task_type("image_classification")
    assert task_type.is_correct({"label": 1, "probabilities": [0, 1]}, {"label": "dog"}, labels=["cat", "dog"])
    assert not task_type.is_correct({"label": 0, "probabilities": [1, 0]}, {"label": "dog"}, labels=["cat", "dog"])


# --- multi-label classification -------------------------------------------------------------


def test_multilabel_schema_accepts_subsets_and_refuses_others():
    labels = ["cat", "dog", "bird"]
    assert _is_valid("image_multilabel", labels, {"labels": ["cat", "dog"]})
    assert _is_valid("text_multilabel", labels, {"labels": []})
    assert not _is_valid("image_multilabel", labels, {"labels": ["cat", "cat"]})
    assert not _is_valid("image_multilabel", labels, {"labels": ["cow"]})
    assert not _is_valid("image_multilabel", labels, {"labels": "cat"})
    assert not _is_valid("image_multilabel", labels, {"labels": [], "label": "cat"})


def test_multilabel_schema_refuses_a_repeated_label():
    schema = get_task_type("image_multilabel").answer_schema(["cat", "dog", "bird"])
    problems = list(Draft202012Validator(schema).iter_errors({"labels": ["cat", "dog", "cat"]}))
    assert [(list(problem.absolute_path), problem.validator) for problem in problems] == [(["labels"], "uniqueItems")]


def test_multilabel_keeps_the_labels_most_workers_chose():
    # given
    task_type = get_task_type("image_multilabel")
    objects = _objects(
        ((0, 1, 2), ({"labels": ["cat", "dog"]}, {"labels": ["cat"]}, {"labels": ["cat", "dog"]})),
        ((0, 1, 2), ({"labels": ["dog"]}, {"labels": ["dog"]}, {"labels": []})),
        ((0, 1, 2), ({"labels": ["cat"]}, {"labels": ["cat"]}, {"labels": ["cat"]})),
    )

    # when
    outcome = task_type.consolidate(objects, n_workers=3, labels=["cat", "dog"], gold={})

    # then
    assert [item.result["present"] for item in outcome.objects] == [[0, 1], [1], [0]]
    for item in outcome.objects:
        p = np.array(item.result["probabilities"])
        assert item.confidence == pytest.approx(float(np.prod(np.where(p >= 0.5, p, 1 - p))), abs=1e-5)
    assert {worker: count for worker, (_, count) in outcome.worker_accuracy.items()} == {0: 3, 1: 3, 2: 3}
    assert outcome.method.startswith("multilabel(")


def test_multilabel_honours_gold():
    task_type = get_task_type("text_multilabel")
    objects = _objects(((0, 1), ({"labels": ["cat"]}, {"labels": ["cat"]})), ((0, 1), ({"labels": []}, {"labels": []})))

    outcome = task_type.consolidate(objects, n_workers=2, labels=["cat", "dog"], gold={0: {"labels": ["dog"]}})

    assert outcome.objects[0].result == {"present": [1], "probabilities": [0.0, 1.0]}
    assert outcome.objects[0].confidence == 1.0


def test_multilabel_output_matches_ground_truth():
    # given: no worker answers passed: the labels judged present are listed
    labels = ["person", "bicycle", "car", "bus", "truck", "dog", "cat", "bird", "clothing"]
    result = {"present": [0, 1, 8], "probabilities": [0.77, 0.95, 0.1, 0, 0, 0, 0, 0.3, 0.62]}

    # when
    value, metadata = get_task_type("image_multilabel").output_value(
        result, labels=labels, job_name="image-labels", creation_date="2020-02-27T21:36:25.000201"
    )

    # then
    assert value == [0, 1, 8]
    assert metadata == {
        "job-name": "labeling-job/image-labels",
        "class-map": {"1": "bicycle", "0": "person", "8": "clothing"},
        "human-annotated": "yes",
        "creation-date": "2020-02-27T21:36:25.000201",
        "confidence-map": {"1": 0.95, "0": 0.77, "8": 0.62},
        "type": "groundtruth/image-classification-multilabel",
    }


def test_multilabel_is_correct_compares_sets():
    task_type = get_task_type("image_multilabel")
    result = {"present": [0, 2], "probabilities": [0.9, 0.1, 0.8]}
    assert task_type.is_correct(result, {"labels": ["c", "a"]}, labels=["a", "b", "c"])
    assert not task_type.is_correct(result, {"labels": ["a"]}, labels=["a", "b", "c"])


# --- bounding boxes -------------------------------------------------------------------------


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


# --- named entities -------------------------------------------------------------------------

TEXT = "Amazon SageMaker is a cloud machine-learning platform that was launched in November 2017."


def test_ner_schema_accepts_entities_and_refuses_bad_ones():
    labels = ["Thing", "Date"]
    assert _is_valid("named_entity_recognition", labels, {"entities": [{"label": "Date", "start": 0, "end": 3}]})
    assert _is_valid("named_entity_recognition", labels, {"entities": []})
    assert not _is_valid("named_entity_recognition", labels, {"entities": [{"label": "Date", "start": -1, "end": 3}]})
    assert not _is_valid("named_entity_recognition", labels, {"entities": [{"label": "Date", "start": 0.5, "end": 3}]})
    assert not _is_valid("named_entity_recognition", labels, {"entities": [{"label": "Place", "start": 0, "end": 3}]})
    assert not _is_valid("named_entity_recognition", labels, {"entities": [{"label": "Date", "start": 0}]})


def test_ner_check_answer_names_the_bad_span():
    labels = ["Thing", "Date"]
    source = {"source": "abcdef"}
    ok = {"label": "Thing", "start": 0, "end": 6}
    assert _field_error(
        "named_entity_recognition",
        {"entities": [ok, {"label": "Date", "start": 3, "end": 3}]},
        labels=labels,
        task_input=source,
    ) == {"answer.entities.1.end": ["must be greater than start (3)"]}
    assert _field_error(
        "named_entity_recognition",
        {"entities": [ok, ok, {"label": "Date", "start": 2, "end": 7}]},
        labels=labels,
        task_input=source,
    ) == {"answer.entities.1": ["repeats entity 0"]}
    assert _field_error(
        "named_entity_recognition",
        {"entities": [{"label": "Date", "start": 2, "end": 7}]},
        labels=labels,
        task_input=source,
    ) == {"answer.entities.0.end": ["must be at most the text's length (6)"]}


def test_ner_keeps_the_span_most_workers_marked():
    # given: two workers mark "Amazon" as Thing, the third marks "Amazo" as Date
    task_type = get_task_type("named_entity_recognition")
    objects = _objects(
        (
            (0, 1, 2),
            (
                {"entities": [{"label": "Thing", "start": 0, "end": 6}]},
                {"entities": [{"label": "Thing", "start": 0, "end": 6}]},
                {"entities": [{"label": "Date", "start": 0, "end": 5}]},
            ),
        ),
        task_input={"source": TEXT},
    )

    # when
    outcome = task_type.consolidate(objects, n_workers=3, labels=["Thing", "Date"], gold={})

    # then: the majority's span, with the probability that it is exactly right (two of three
    # gave it); the text's confidence is at most that
    (entity,) = outcome.objects[0].result["entities"]
    assert (entity["label"], entity["start"], entity["end"]) == (0, 0, 6)
    assert 0.5 < entity["confidence"] < 1.0
    assert 0.0 < outcome.objects[0].confidence <= entity["confidence"]
    assert outcome.worker_accuracy == {0: (1.0, 1), 1: (1.0, 1), 2: (0.0, 1)}


def test_ner_gold_object_keeps_its_gold_spans():
    task_type = get_task_type("named_entity_recognition")
    objects = _objects(((0, 1), ({"entities": []}, {"entities": [{"label": "Date", "start": 75, "end": 88}]})))

    gold = {0: {"entities": [{"label": "Date", "start": 75, "end": 88}]}}

    outcome = task_type.consolidate(objects, n_workers=2, labels=["Thing", "Date"], gold=gold)

    assert outcome.objects[0].result == {"entities": [{"label": 1, "start": 75, "end": 88, "confidence": 1.0}]}
    assert outcome.worker_accuracy == {0: (0.0, 1), 1: (1.0, 1)}


def test_ner_output_matches_ground_truth():
    # given
    result = {
        "entities": [
            {"label": 0, "start": 22, "end": 53, "confidence": 0.91},
            {"label": 1, "start": 75, "end": 88, "confidence": 0.88},
        ]
    }

    # when
    value, metadata = get_task_type("named_entity_recognition").output_value(
        result, labels=["Thing", "Date"], job_name="example-ner", creation_date="2020-10-29T00:40:39.398470"
    )

    # then
    assert value == {
        "annotations": {
            "labels": [{"label": "Thing"}, {"label": "Date"}],
            "entities": [
                {"label": "Thing", "startOffset": 22, "endOffset": 53},
                {"label": "Date", "startOffset": 75, "endOffset": 88},
            ],
        }
    }
    assert metadata == {
        "job-name": "labeling-job/example-ner",
        "type": "groundtruth/text-span",
        "creation-date": "2020-10-29T00:40:39.398470",
        "human-annotated": "yes",
        "entities": [{"confidence": 0.91}, {"confidence": 0.88}],
    }


def test_ner_is_correct_compares_span_sets():
    task_type = get_task_type("named_entity_recognition")
    result = {"entities": [{"label": 1, "start": 75, "end": 88, "confidence": 0.9}]}
    labels = ["Thing", "Date"]
    assert task_type.is_correct(result, {"entities": [{"label": "Date", "start": 75, "end": 88}]}, labels=labels)
    assert not task_type.is_correct(result, {"entities": [{"label": "Date", "start": 75, "end": 87}]}, labels=labels)


# --- masks and segmentation -----------------------------------------------------------------


def test_mask_round_trip_keeps_every_pixel():
    # given
    mask = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)

    # when
    png = encode_mask(mask)
    decoded = decode_mask(base64.b64encode(png).decode(), n_classes=3)

    # then
    assert png.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(png)).mode == "L"
    assert decoded.dtype == np.uint8
    assert decoded.tolist() == mask.tolist()


def test_decode_mask_accepts_a_data_url_and_a_palette_image():
    mask = np.array([[0, 1], [1, 0]], dtype=np.uint8)
    palette = Image.fromarray(mask, mode="L").convert("P")
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG")
    assert Image.open(io.BytesIO(buffer.getvalue())).mode == "P"

    assert decode_mask(base64.b64encode(buffer.getvalue()).decode(), n_classes=2).tolist() == [[0, 1], [1, 0]]
    assert decode_mask("data:image/png;base64," + _png(mask), n_classes=2).tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not base64!", "is not valid base64"),
        (base64.b64encode(b"GIF89a....").decode(), "is not a PNG image"),
        (_png(np.zeros((2, 2, 3), dtype=np.uint8)), "has mode RGB; a mask must be single-channel"),
        (_png(np.zeros((1, 4097), dtype=np.uint8)), "is 4097x1 pixels; at most 4096x4096 are allowed"),
        (_png(np.array([[0, 3]], dtype=np.uint8)), "has pixel value 3; class indexes must be below 3"),
        (_png(np.zeros((4, 4), dtype=np.uint8))[:40], "is not a readable PNG (UnidentifiedImageError)"),
        ("A" * (MAX_MASK_BASE64_CHARS + 1), "is larger than 10 MB"),
    ],
)
def test_decode_mask_refuses_bad_masks(text, reason):
    with pytest.raises(ValueError) as caught:
        decode_mask(text, n_classes=3)
    assert str(caught.value).startswith(reason)


def test_truncated_png_is_refused_as_unreadable():
    png = encode_mask(np.arange(64 * 64, dtype=np.int64).reshape(64, 64) % 3)
    with pytest.raises(ValueError, match="is not a readable PNG"):
        decode_mask(base64.b64encode(png[: len(png) - 30]).decode(), n_classes=3)


def test_decode_mask_refuses_a_huge_image_before_decoding_it():
    # given: a PNG whose header claims 100,000 x 100,000 pixels
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")

    # when / then
    with pytest.raises(ValueError, match="^has too many pixels; at most 4096x4096 are allowed$"):
        decode_mask(base64.b64encode(png).decode(), n_classes=3)


def test_encode_mask_refuses_non_masks():
    with pytest.raises(ValueError, match="2-D"):
        encode_mask(np.zeros((2, 2, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="0..255"):
        encode_mask(np.array([[256]]))
    with pytest.raises(ValueError, match="integer"):
        encode_mask(np.array([[0.5]]))


def test_segmentation_schema_and_check_answer():
    labels = ["BACKGROUND", "buildings"]
    assert _is_valid("semantic_segmentation", labels, {"mask": _png(np.zeros((2, 2), dtype=np.uint8))})
    assert not _is_valid("semantic_segmentation", labels, {"mask": ""})
    assert not _is_valid("semantic_segmentation", labels, {"mask": 3})
    assert not _is_valid("semantic_segmentation", labels, {"mask": "x", "other": 1})

    fields = _field_error("semantic_segmentation", {"mask": _png(np.full((2, 2), 2, dtype=np.uint8))}, labels=labels)
    assert fields == {"answer.mask": ["has pixel value 2; class indexes must be below 2"]}


def test_segmentation_votes_per_pixel():
    # given: two identical masks and a third that differs in one pixel of 20
    task_type = get_task_type("semantic_segmentation")
    agreed = np.zeros((4, 5), dtype=np.uint8)
    agreed[1:3, 1:3] = 1
    odd = agreed.copy()
    odd[0, 0] = 2
    objects = _objects(
        ((0, 1, 2), ({"mask": _png(agreed)}, {"mask": _png(agreed)}, {"mask": _png(odd)})),
    )

    # when
    outcome = task_type.consolidate(objects, n_workers=3, labels=["road", "car", "sky"], gold={})

    # then: the vote; each class's confidence its expected IoU (high, not 1: the odd pixel
    # leaves a little doubt), the image's their mean over the classes in the mask
    result = outcome.objects[0].result
    assert decode_mask(result["mask"], n_classes=3).tolist() == agreed.tolist()
    written = Image.open(io.BytesIO(task_type.mask_png(result)))
    assert written.mode == "P"  # class ids as pixel values, the internal-color-map's colours
    assert np.asarray(written).tolist() == agreed.tolist()
    car_color = class_colors(3)[1]
    assert written.convert("RGB").getpixel((1, 1)) == tuple(int(car_color[i : i + 2], 16) for i in (1, 3, 5))
    assert (result["width"], result["height"]) == (5, 4)
    assert 0.9 < result["class_confidence"][0] < 1.0
    assert 0.9 < result["class_confidence"][1] < 1.0
    assert result["class_confidence"][2] is None
    assert outcome.objects[0].confidence == pytest.approx(np.mean(result["class_confidence"][:2]), abs=1e-6)
    assert outcome.worker_accuracy == {0: (1.0, 1), 1: (1.0, 1), 2: (0.95, 1)}


def test_segmentation_resizes_a_mask_of_another_size():
    task_type = get_task_type("semantic_segmentation")
    big = np.ones((4, 4), dtype=np.uint8)
    small = np.ones((2, 2), dtype=np.uint8)
    objects = _objects(((0, 1, 2), ({"mask": _png(big)}, {"mask": _png(big)}, {"mask": _png(small)})))

    outcome = task_type.consolidate(objects, n_workers=3, labels=["bg", "fg"], gold={})

    assert decode_mask(outcome.objects[0].result["mask"], n_classes=2).tolist() == big.tolist()
    assert outcome.worker_accuracy[2] == (1.0, 1)


def test_segmentation_output_matches_ground_truth():
    # given
    task_type = get_task_type("semantic_segmentation")
    result = {"mask": _png(np.zeros((2, 2), dtype=np.uint8)), "width": 2, "height": 2, "confidence": 0.9}
    uri = "s3://bucket/out/job/annotations/consolidated-annotation/output/0.png"

    # when
    value, metadata = task_type.output_value(
        result, labels=["BACKGROUND", "buildings"], job_name="label-city-streets", creation_date=CREATED, mask_uri=uri
    )

    # then
    assert value == uri
    assert metadata == {
        "internal-color-map": {
            "0": {"class-name": "BACKGROUND", "confidence": 0.9, "hex-color": "#ffffff"},
            "1": {"class-name": "buildings", "confidence": 0.9, "hex-color": class_colors(2)[1]},
        },
        "type": "groundtruth/semantic-segmentation",
        "human-annotated": "yes",
        "creation-date": CREATED,
        "job-name": "labeling-job/label-city-streets",
    }
    with pytest.raises(ValueError, match="needs the mask's URI"):
        task_type.output_value(result, labels=["a"], job_name="j", creation_date=CREATED)


def test_class_colors_are_distinct_hex_and_stable():
    colors = class_colors(255)
    assert len(set(colors)) == 255
    assert colors[0] == "#ffffff"
    assert "#ffffff" not in colors[1:]
    assert all(len(color) == 7 and color.startswith("#") for color in colors)
    assert class_colors(3) == colors[:3]


def test_segmentation_is_correct_needs_nine_pixels_in_ten():
    task_type = get_task_type("semantic_segmentation")
    truth = np.zeros((2, 5), dtype=np.uint8)
    one_off = truth.copy()
    one_off[0, 0] = 1
    two_off = one_off.copy()
    two_off[0, 1] = 1
    result = {"mask": encode_mask_base64(one_off)}
    assert task_type.is_correct(result, {"mask": _png(truth)}, labels=["a", "b"])
    assert not task_type.is_correct({"mask": encode_mask_base64(two_off)}, {"mask": _png(truth)}, labels=["a", "b"])


def test_other_types_have_no_mask_png():
    assert get_task_type("bounding_box").mask_png({"boxes": []}) is None


# --- label categories -----------------------------------------------------------------------


def test_label_category_config_gives_the_names_in_order():
    data = b'{"document-version": "2018-11-28", "labels": [{"label": "cat"}, {"label": "dog", "extra": 1}]}'
    assert parse_label_category_config(data) == ["cat", "dog"]
    assert parse_label_category_config({"labels": [{"label": "cat"}]}) == ["cat"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "the label category configuration is not UTF-8 JSON"),
        (b"\xff\xfe", "the label category configuration is not UTF-8 JSON"),
        (b"[]", 'the label category configuration must be a JSON object with a "labels" list'),
        (b'{"document-version": "2018-11-28"}', 'the label category configuration has no "labels" list'),
        (b'{"labels": ["cat"]}', 'labels[0] must be an object with a "label" name'),
        (b'{"labels": [{"label": 3}]}', "label 0 must be a string, got int"),
        (b'{"labels": [{"label": " "}]}', "label 0 is empty"),
        (b'{"labels": [{"label": "a"}, {"label": "a"}]}', "label 1 ('a') repeats label 0"),
        (b'{"labels": []}', "at least 1 label category is needed"),
        (json.dumps({"labels": [{"label": "x" * 257}]}).encode(), "label 0 is longer than 256 characters"),
        (json.dumps({"labels": [{"label": str(i)} for i in range(1001)]}).encode(), "at most 1000 label categories"),
    ],
)
def test_label_category_config_refuses_bad_files(data, reason):
    with pytest.raises(ValueError) as caught:
        parse_label_category_config(data)
    assert str(caught.value).startswith(reason)


def test_validate_label_categories_applies_each_types_limits():
    assert validate_label_categories(["a", "b"], get_task_type("image_classification")) == ["a", "b"]
    assert validate_label_categories(("a",), get_task_type("image_multilabel")) == ["a"]
    with pytest.raises(ValueError, match="at least 2 label categories are needed for image_classification"):
        validate_label_categories(["a"], get_task_type("image_classification"))
    with pytest.raises(ValueError, match="at most 10 label categories are allowed for bounding_box, got 11"):
        validate_label_categories([str(i) for i in range(11)], get_task_type("bounding_box"))
    # segmentation: BACKGROUND (added at 0) counts among the 255
    segmentation = validate_label_categories([str(i) for i in range(254)], get_task_type("semantic_segmentation"))
    assert segmentation[:2] == ["BACKGROUND", "0"] and len(segmentation) == 255
    with pytest.raises(
        ValueError,
        match="at most 255 label categories are allowed for semantic_segmentation, BACKGROUND included, got 256",
    ):
        validate_label_categories([str(i) for i in range(255)], get_task_type("semantic_segmentation"))
    with pytest.raises(ValueError, match="must be a list of names"):
        validate_label_categories("cat,dog", get_task_type("text_classification"))
    with pytest.raises(ValueError, match="repeats label 0"):
        validate_label_categories(["a", "a"], get_task_type("named_entity_recognition"))


# --- Ground Truth output details (issue 22) --------------------------------------------------


def test_multilabel_output_lists_every_label_a_worker_chose_with_its_probability():
    # given: "dog" (p = 0.2) was chosen by one worker only, "cat" judged present
    result = {"present": [0], "probabilities": [0.9, 0.2, 0.05]}
    answers = [{"labels": ["cat"]}, {"labels": ["cat", "dog"]}]

    value, metadata = get_task_type("text_multilabel").output_value(
        result,
        labels=["cat", "dog", "bird"],
        job_name="j",
        creation_date="2020-02-27T21:36:25.000201",
        answers=answers,
    )

    assert value == [0, 1]
    assert metadata["class-map"] == {"0": "cat", "1": "dog"}
    assert metadata["confidence-map"] == {"0": 0.9, "1": 0.2}


def test_segmentation_labels_put_background_at_zero():
    task_type = get_task_type("semantic_segmentation")
    assert validate_label_categories(["road", "car"], task_type) == ["BACKGROUND", "road", "car"]
    assert validate_label_categories(["BACKGROUND", "road"], task_type) == ["BACKGROUND", "road"]
    with pytest.raises(ValueError, match="BACKGROUND is class 0: list it first or leave it out"):
        validate_label_categories(["road", "BACKGROUND"], task_type)
    with pytest.raises(ValueError, match="at least one label category besides BACKGROUND"):
        validate_label_categories(["BACKGROUND"], task_type)
    # other task types keep the list as given
    assert validate_label_categories(["road", "car"], get_task_type("image_multilabel")) == ["road", "car"]


def test_label_category_file_gives_short_display_names_to_ner_output():
    names, short = parse_label_category_file(
        json.dumps(
            {
                "document-version": "2018-11-28",
                "labels": [{"label": "Organization", "shortDisplayName": "ORG"}, {"label": "Date"}],
            }
        )
    )
    assert (names, short) == (["Organization", "Date"], {"Organization": "ORG"})
    with pytest.raises(ValueError, match=r"labels\[0\].shortDisplayName must be a non-empty string"):
        parse_label_category_file({"labels": [{"label": "a", "shortDisplayName": ""}]})

    value, _ = get_task_type("named_entity_recognition").output_value(
        {"entities": []}, labels=names, job_name="j", creation_date="2020-10-29T00:40:39.398470", short_names=short
    )
    assert value["annotations"]["labels"] == [{"label": "Organization", "shortDisplayName": "ORG"}, {"label": "Date"}]


@pytest.mark.parametrize(
    ("task_type", "answer", "content"),
    [
        ("image_classification", {"label": "cat"}, {"crowd-image-classifier": {"label": "cat"}}),
        ("text_classification", {"label": "cat"}, {"crowd-classifier": {"label": "cat"}}),
        ("image_multilabel", {"labels": ["cat"]}, {"crowd-image-classifier-multi-select": {"labels": ["cat"]}}),
        ("text_multilabel", {"labels": []}, {"crowd-classifier-multi-select": {"labels": []}}),
        (
            "bounding_box",
            {
                "boxes": [{"label": "cat", "left": 1, "top": 2, "width": 3, "height": 4}],
                "image_size": {"width": 9, "height": 8},
            },
            {
                "boundingBox": {
                    "boundingBoxes": [{"height": 4, "label": "cat", "left": 1, "top": 2, "width": 3}],
                    "inputImageProperties": {"height": 8, "width": 9},
                }
            },
        ),
        (
            "named_entity_recognition",
            {"entities": [{"label": "cat", "start": 0, "end": 3}]},
            {"crowd-entity-annotation": {"entities": [{"endOffset": 3, "label": "cat", "startOffset": 0}]}},
        ),
    ],
)
def test_answer_content_has_the_built_in_ui_shape(task_type, answer, content):
    assert get_task_type(task_type).answer_content(answer, labels=["cat", "dog"]) == content


def test_segmentation_answer_content_is_a_palette_png_of_class_ids():
    mask = np.array([[0, 1], [2, 1]], dtype=np.uint8)
    labels = ["BACKGROUND", "road", "car"]

    content = get_task_type("semantic_segmentation").answer_content({"mask": encode_mask_base64(mask)}, labels=labels)

    body = content["crowd-semantic-segmentation"]
    assert body["inputImageProperties"] == {"height": 2, "width": 2}
    assert body["labelMappings"] == {"road": {"color": class_colors(3)[1]}, "car": {"color": class_colors(3)[2]}}
    image = Image.open(io.BytesIO(base64.b64decode(body["labeledImage"]["pngImageData"])))
    assert image.mode == "P" and np.array_equal(np.asarray(image), mask)
    assert image.getpalette()[:3] == [255, 255, 255]  # BACKGROUND is white
