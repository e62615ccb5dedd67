"""The task type registry, label categories and Ground Truth output details (issue 22)."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from labeling.task_types import (
    TASK_TYPES,
    ObjectAnswers,
    get_task_type,
    parse_label_category_config,
    validate_label_categories,
)
from labeling.task_types.categories import parse_label_category_file
from labeling.task_types.masks_png import encode_mask_base64
from labeling.task_types.segmentation import class_colors
from tests.labeling.task_type_consolidation.helpers import CREATED, _objects


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
        "custom": ("groundtruth/custom", ("source", "source-ref")),  # a custom template's (docs/templates.md)
        "label_verification": ("groundtruth/label-verification", ("source-ref", "source")),
        "bounding_box_adjustment": ("groundtruth/object-detection", ("source-ref",)),
        "named_entity_recognition_adjustment": ("groundtruth/text-span", ("source",)),
        "semantic_segmentation_adjustment": ("groundtruth/semantic-segmentation", ("source-ref",)),
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
