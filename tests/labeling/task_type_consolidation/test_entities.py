"""Named entities."""

from __future__ import annotations

from labeling.task_types import get_task_type
from tests.labeling.task_type_consolidation.helpers import _field_error, _is_valid, _objects

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
