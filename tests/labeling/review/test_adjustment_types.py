"""The three adjustment task types on their own: answers checked as the base type's, the base
consolidation, and ``adjustment-status`` judged from the consolidated annotation against the
existing one (labeling/task_types/adjustment.py)."""

from __future__ import annotations

import numpy as np
import pytest

from labeling.portal.words import word
from labeling.task_types import ObjectAnswers, get_task_type
from labeling.task_types.masks_png import decode_mask, encode_mask_base64
from marketplace.errors import InvalidInput

CREATED = "2018-10-18T22:18:13.527256"
BOX_LABELS = ["dog", "bone"]
SIZE = {"width": 200, "height": 100}


def box(label: str, left: int, top: int, width: int, height: int) -> dict:
    return {"label": label, "left": left, "top": top, "width": width, "height": height}


EXISTING_BOXES = {"boxes": [box("dog", 10, 10, 50, 40), box("bone", 120, 50, 30, 20)], "image_size": SIZE}
BOX_INPUT = {"source-ref": "s3://b/1.jpg", "existing_annotation": EXISTING_BOXES, "existing_labels": BOX_LABELS}


def consolidate_one(type_name: str, answers: list[dict], task_input: dict, labels: list[str]) -> dict:
    """The consolidated result of one object answered by workers 0, 1, ..."""
    item = ObjectAnswers(index=0, workers=tuple(range(len(answers))), answers=tuple(answers), task_input=task_input)
    result = get_task_type(type_name).consolidate([item], n_workers=len(answers), labels=labels, gold={})
    consolidated = result.objects[0].result
    assert consolidated is not None
    return consolidated


def record(type_name: str, result: dict, labels: list[str], **extra) -> tuple[object, dict]:
    return get_task_type(type_name).output_value(
        result, labels=labels, job_name="fix-boxes", creation_date=CREATED, **extra
    )


def test_boxes_every_worker_keeps_are_written_unadjusted_as_a_ground_truth_object_detection_record():
    # when
    result = consolidate_one("bounding_box_adjustment", [EXISTING_BOXES] * 3, BOX_INPUT, BOX_LABELS)
    value, metadata = record("bounding_box_adjustment", result, BOX_LABELS)

    # then
    assert value == {
        "image_size": [{"width": 200, "height": 100, "depth": 3}],
        "annotations": [
            {"class_id": 0, "left": 10, "top": 10, "width": 50, "height": 40},
            {"class_id": 1, "left": 120, "top": 50, "width": 30, "height": 20},
        ],
    }
    assert metadata["type"] == "groundtruth/object-detection"
    assert metadata["class-map"] == {"0": "dog", "1": "bone"}
    assert metadata["adjustment-status"] == "unadjusted"
    assert [set(item) for item in metadata["objects"]] == [{"confidence"}, {"confidence"}]


def test_boxes_moved_resized_relabelled_deleted_or_added_are_adjusted():
    moved = {"boxes": [box("dog", 14, 10, 50, 40), box("bone", 120, 50, 30, 20)], "image_size": SIZE}
    resized = {"boxes": [box("dog", 10, 10, 58, 40), box("bone", 120, 50, 30, 20)], "image_size": SIZE}
    relabelled = {"boxes": [box("bone", 10, 10, 50, 40), box("bone", 120, 50, 30, 20)], "image_size": SIZE}
    deleted = {"boxes": [box("dog", 10, 10, 50, 40)], "image_size": SIZE}
    added = {"boxes": [*EXISTING_BOXES["boxes"], box("dog", 150, 5, 20, 20)], "image_size": SIZE}

    for answer in (moved, resized, relabelled, deleted, added):
        result = consolidate_one("bounding_box_adjustment", [answer], BOX_INPUT, BOX_LABELS)
        assert result["adjustment_status"] == "adjusted", answer
        assert record("bounding_box_adjustment", result, BOX_LABELS)[1]["adjustment-status"] == "adjusted"


def test_a_box_one_worker_of_three_adds_is_outvoted_and_the_object_stays_unadjusted():
    # given: the consolidated annotation keeps boxes most of the workers' weight drew
    added = {"boxes": [*EXISTING_BOXES["boxes"], box("dog", 150, 5, 20, 20)], "image_size": SIZE}

    # when
    result = consolidate_one("bounding_box_adjustment", [EXISTING_BOXES, EXISTING_BOXES, added], BOX_INPUT, BOX_LABELS)

    # then
    assert len(result["boxes"]) == 2
    assert result["adjustment_status"] == "unadjusted"


def test_existing_boxes_on_another_image_size_are_compared_scaled():
    # given: the source annotated the image at half size; the worker sees the full image
    half = {"boxes": [box("dog", 5, 5, 25, 20)], "image_size": {"width": 100, "height": 50}}
    task_input = {**BOX_INPUT, "existing_annotation": half}
    kept = {"boxes": [box("dog", 10, 10, 50, 40)], "image_size": SIZE}

    assert consolidate_one("bounding_box_adjustment", [kept], task_input, BOX_LABELS)["adjustment_status"] == (
        "unadjusted"
    )


def test_an_existing_label_the_job_lacks_cannot_be_kept_so_the_object_is_adjusted_and_the_line_refused():
    adjustment = get_task_type("bounding_box_adjustment")
    task_input = {**BOX_INPUT, "existing_labels": ["dog", "bone", "cat"]}
    with_cat = {**EXISTING_BOXES, "boxes": [*EXISTING_BOXES["boxes"], box("cat", 1, 1, 5, 5)]}

    assert adjustment.review_input_problem(BOX_INPUT, labels=["bone", "dog", "ball"]) is None
    assert adjustment.review_input_problem(task_input, labels=BOX_LABELS) == (
        "the existing annotation's label categories 'cat' are not among the job's label categories"
    )
    result = consolidate_one(
        "bounding_box_adjustment", [EXISTING_BOXES], {**task_input, "existing_annotation": with_cat}, BOX_LABELS
    )
    assert result["adjustment_status"] == "adjusted"


def test_box_answers_are_checked_as_the_base_types_are():
    adjustment = get_task_type("bounding_box_adjustment")
    outside = {"boxes": [box("dog", 190, 10, 50, 40)], "image_size": SIZE}

    with pytest.raises(InvalidInput) as caught:
        adjustment.check_answer(outside, labels=BOX_LABELS, task_input=BOX_INPUT)

    assert caught.value.fields == {"answer.boxes.0.width": ["the box ends at 240, outside the image (width 200)"]}
    assert adjustment.answer_schema(BOX_LABELS) == get_task_type("bounding_box").answer_schema(BOX_LABELS)


TEXT = "Amazon SageMaker was launched in November 2017."
NER_LABELS = ["Thing", "Date"]
EXISTING_ENTITIES = {"entities": [{"label": "Thing", "start": 0, "end": 16}, {"label": "Date", "start": 33, "end": 42}]}
NER_INPUT = {"source": TEXT, "existing_annotation": EXISTING_ENTITIES, "existing_labels": NER_LABELS}


def test_entities_kept_are_unadjusted_and_a_corrected_span_is_adjusted():
    corrected = {"entities": [{"label": "Thing", "start": 0, "end": 16}, {"label": "Date", "start": 33, "end": 46}]}

    kept = consolidate_one("named_entity_recognition_adjustment", [EXISTING_ENTITIES] * 2, NER_INPUT, NER_LABELS)
    fixed = consolidate_one("named_entity_recognition_adjustment", [corrected] * 2, NER_INPUT, NER_LABELS)
    value, metadata = record("named_entity_recognition_adjustment", fixed, NER_LABELS)

    assert kept["adjustment_status"] == "unadjusted"
    assert fixed["adjustment_status"] == "adjusted"
    assert value["annotations"]["entities"] == [
        {"label": "Thing", "startOffset": 0, "endOffset": 16},
        {"label": "Date", "startOffset": 33, "endOffset": 46},
    ]
    assert metadata["type"] == "groundtruth/text-span"
    assert metadata["adjustment-status"] == "adjusted"


def test_entity_answers_past_the_text_are_refused_naming_the_field():
    too_long = {"entities": [{"label": "Date", "start": 33, "end": 99}]}

    with pytest.raises(InvalidInput) as caught:
        get_task_type("named_entity_recognition_adjustment").check_answer(
            too_long, labels=NER_LABELS, task_input=NER_INPUT
        )

    assert caught.value.fields == {"answer.entities.0.end": [f"must be at most the text's length ({len(TEXT)})"]}


SEG_LABELS = ["BACKGROUND", "road", "car"]


def mask(rows: list[list[int]]) -> str:
    return encode_mask_base64(np.array(rows, dtype=np.uint8))


EXISTING_MASK = [[0, 1, 1, 0], [0, 2, 2, 0], [0, 0, 0, 0]]
SEG_INPUT = {
    "source-ref": "s3://b/city.png",
    "existing_annotation": {"mask": mask(EXISTING_MASK)},
    "existing_labels": SEG_LABELS,
}


def test_a_kept_mask_is_unadjusted_and_a_repainted_one_adjusted_with_its_mask_written():
    repainted = [[0, 1, 1, 1], [0, 2, 2, 0], [0, 0, 0, 0]]
    answers_kept = [{"mask": mask(EXISTING_MASK)}] * 2
    answers_fixed = [{"mask": mask(repainted)}] * 2

    kept = consolidate_one("semantic_segmentation_adjustment", answers_kept, SEG_INPUT, SEG_LABELS)
    fixed = consolidate_one("semantic_segmentation_adjustment", answers_fixed, SEG_INPUT, SEG_LABELS)
    value, metadata = record(
        "semantic_segmentation_adjustment", fixed, SEG_LABELS, mask_uri="s3://b/out/annotations/0.png"
    )

    assert kept["adjustment_status"] == "unadjusted"
    assert fixed["adjustment_status"] == "adjusted"
    assert decode_mask(fixed["mask"], n_classes=3).tolist() == repainted
    assert value == "s3://b/out/annotations/0.png"
    assert metadata["type"] == "groundtruth/semantic-segmentation"
    assert sorted(metadata["internal-color-map"]) == ["0", "1", "2"]
    assert metadata["adjustment-status"] == "adjusted"


def test_an_existing_mask_is_read_by_class_name_when_the_job_orders_its_classes_otherwise():
    # given: the job lists car before road (and adds a class); the worker repaints nothing
    job_labels = ["BACKGROUND", "car", "road", "bus"]
    same_in_job_ids = [[0, 2, 2, 0], [0, 1, 1, 0], [0, 0, 0, 0]]

    result = consolidate_one(
        "semantic_segmentation_adjustment", [{"mask": mask(same_in_job_ids)}], SEG_INPUT, job_labels
    )

    assert result["adjustment_status"] == "unadjusted"
    assert get_task_type("semantic_segmentation_adjustment").review_input_problem(SEG_INPUT, labels=job_labels) is None


def test_a_mask_with_a_class_beyond_the_labels_is_refused_naming_the_field():
    with pytest.raises(InvalidInput) as caught:
        get_task_type("semantic_segmentation_adjustment").check_answer(
            {"mask": mask([[0, 3]])}, labels=SEG_LABELS, task_input=SEG_INPUT
        )

    assert caught.value.fields == {"answer.mask": ["has pixel value 3; class indexes must be below 3"]}


def test_an_input_without_an_existing_annotation_counts_anything_drawn_as_an_adjustment():
    drawn = consolidate_one("bounding_box_adjustment", [EXISTING_BOXES], {"source-ref": "s3://b/1.jpg"}, BOX_LABELS)
    empty = consolidate_one(
        "bounding_box_adjustment", [{"boxes": [], "image_size": SIZE}], {"source-ref": "s3://b/1.jpg"}, BOX_LABELS
    )

    assert drawn["adjustment_status"] == "adjusted"
    assert empty["adjustment_status"] == "unadjusted"


def test_the_portal_names_the_adjustment_types_in_words():
    assert [word(name) for name in ("bounding_box_adjustment", "semantic_segmentation_adjustment")] == [
        "Bounding box adjustment",
        "Semantic segmentation adjustment",
    ]
    assert word("named_entity_recognition_adjustment") == "Named entity adjustment"
