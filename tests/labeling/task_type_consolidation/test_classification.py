"""Single-label and multi-label classification."""

from __future__ import annotations

import json

import numpy as np
import pytest
from jsonschema import Draft202012Validator

from labeling.task_types import get_task_type
from tests.labeling.task_type_consolidation.helpers import CREATED, _is_valid, _objects


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
