"""Parsers of Ground Truth output records (each type's shape and metadata checked) and PNG masks."""

from __future__ import annotations

import base64
import io
import re
from datetime import datetime

import numpy as np
from PIL import Image

from tests.labeling.simulation.common import CREATION_DATE


def assert_common_metadata(metadata: dict, *, ground_truth_type: str, job_name: str) -> None:
    assert metadata["type"] == ground_truth_type
    assert metadata["job-name"] == f"labeling-job/{job_name}"
    assert metadata["human-annotated"] == "yes"
    assert CREATION_DATE.match(metadata["creation-date"]), metadata["creation-date"]
    assert datetime.fromisoformat(metadata["creation-date"]).tzinfo is None
    assert "failure-reason" not in metadata


def assert_confidence(value: object) -> None:
    assert isinstance(value, float | int) and not isinstance(value, bool)
    assert 0.0 <= value <= 1.0
    assert round(value, 4) == value  # four decimals at most


COMMON_KEYS = {"type", "job-name", "human-annotated", "creation-date"}


def parse_classification(
    line: dict, *, attribute: str, labels: list[str], ground_truth_type: str, job_name: str
) -> str:
    """A single-label record (class id as a number or a numeric string); the label's name."""
    metadata = line[f"{attribute}-metadata"]
    assert set(metadata) == COMMON_KEYS | {"class-name", "confidence"}
    assert_common_metadata(metadata, ground_truth_type=ground_truth_type, job_name=job_name)
    class_id = int(line[attribute])
    assert str(line[attribute]) == str(class_id)
    assert metadata["class-name"] == labels[class_id]
    assert_confidence(metadata["confidence"])
    return labels[class_id]


def parse_multilabel(
    line: dict, *, attribute: str, labels: list[str], ground_truth_type: str, job_name: str
) -> set[str]:
    """A multi-label record; the set of label names whose probability is at least 0.5 (the
    record lists every label a worker chose: the reader picks the cut-off)."""
    metadata = line[f"{attribute}-metadata"]
    assert set(metadata) == COMMON_KEYS | {"class-map", "confidence-map"}
    assert_common_metadata(metadata, ground_truth_type=ground_truth_type, job_name=job_name)
    class_ids = line[attribute]
    assert isinstance(class_ids, list) and len(set(class_ids)) == len(class_ids)
    assert metadata["class-map"] == {str(class_id): labels[int(class_id)] for class_id in class_ids}
    assert set(metadata["confidence-map"]) == set(metadata["class-map"])
    for confidence in metadata["confidence-map"].values():
        assert_confidence(confidence)
    return {labels[int(class_id)] for class_id in class_ids if metadata["confidence-map"][str(class_id)] >= 0.5}


def parse_boxes(line: dict, *, attribute: str, labels: list[str], job_name: str) -> tuple[dict, list[dict]]:
    """An object-detection record; (image size, boxes in the answer format)."""
    metadata = line[f"{attribute}-metadata"]
    assert set(metadata) == COMMON_KEYS | {"objects", "class-map"}
    assert_common_metadata(metadata, ground_truth_type="groundtruth/object-detection", job_name=job_name)
    value = line[attribute]
    assert set(value) == {"image_size", "annotations"}
    assert len(value["image_size"]) == 1
    size = value["image_size"][0]
    assert set(size) == {"width", "height", "depth"}
    boxes = []
    for annotation in value["annotations"]:
        assert set(annotation) == {"class_id", "left", "top", "width", "height"}
        assert all(isinstance(annotation[key], int) for key in annotation)
        assert 0 <= annotation["left"] and annotation["left"] + annotation["width"] <= size["width"]
        assert 0 <= annotation["top"] and annotation["top"] + annotation["height"] <= size["height"]
        boxes.append(
            {
                "label": labels[annotation["class_id"]],
                **{key: annotation[key] for key in ("left", "top", "width", "height")},
            }
        )
    assert len(metadata["objects"]) == len(value["annotations"])
    for item in metadata["objects"]:
        assert set(item) == {"confidence"}
        assert_confidence(item["confidence"])
    present = {annotation["class_id"] for annotation in value["annotations"]}
    assert metadata["class-map"] == {str(class_id): labels[class_id] for class_id in sorted(present)}
    return size, boxes


def parse_entities(line: dict, *, attribute: str, labels: list[str], job_name: str) -> list[dict]:
    """A text-span record; entities in the answer format."""
    metadata = line[f"{attribute}-metadata"]
    assert set(metadata) == COMMON_KEYS | {"entities"}
    assert_common_metadata(metadata, ground_truth_type="groundtruth/text-span", job_name=job_name)
    value = line[attribute]
    assert set(value) == {"annotations"}
    assert set(value["annotations"]) == {"labels", "entities"}
    assert value["annotations"]["labels"] == [{"label": name} for name in labels]
    entities = []
    for entity in value["annotations"]["entities"]:
        assert set(entity) == {"label", "startOffset", "endOffset"}
        assert entity["label"] in labels
        assert 0 <= entity["startOffset"] < entity["endOffset"] <= len(line["source"])
        entities.append({"label": entity["label"], "start": entity["startOffset"], "end": entity["endOffset"]})
    assert len(metadata["entities"]) == len(entities)
    for item in metadata["entities"]:
        assert set(item) == {"confidence"}
        assert_confidence(item["confidence"])
    return entities


def parse_segmentation(line: dict, *, attribute: str, labels: list[str], job_name: str) -> str:
    """A semantic-segmentation record; the mask's URI."""
    metadata = line[f"{attribute}-metadata"]
    assert set(metadata) == COMMON_KEYS | {"internal-color-map"}
    assert_common_metadata(metadata, ground_truth_type="groundtruth/semantic-segmentation", job_name=job_name)
    color_map = metadata["internal-color-map"]
    assert list(color_map) == [str(class_id) for class_id in range(len(labels))]
    confidences = set()
    for class_id, entry in color_map.items():
        assert set(entry) == {"class-name", "confidence", "hex-color"}
        assert entry["class-name"] == labels[int(class_id)]
        assert re.fullmatch(r"#[0-9a-f]{6}", entry["hex-color"])
        assert_confidence(entry["confidence"])
        confidences.add(entry["confidence"])
    assert len(confidences) == 1  # one confidence per image, repeated for each class
    assert len({entry["hex-color"] for entry in color_map.values()}) == len(labels)
    return line[attribute]


def decode_png(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.mode in ("L", "P")
    return np.asarray(image, dtype=np.uint8)


def decode_png_base64(text: str) -> np.ndarray:
    return decode_png(base64.b64decode(text))


def encode_png_base64(mask: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(mask, dtype=np.uint8), mode="L").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
