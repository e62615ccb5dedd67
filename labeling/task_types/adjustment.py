"""Adjustment task types: a worker starts from an existing annotation and corrects it.

``bounding_box_adjustment``, ``named_entity_recognition_adjustment`` and
``semantic_segmentation_adjustment`` each adjust their base type's annotations (``bounding_box``,
``named_entity_recognition``, ``semantic_segmentation``), as Ground Truth's adjustment jobs do:

- **Input.** A task's input is the base object (``source-ref`` or ``source``) plus
  ``existing_annotation`` (the annotation to correct, in the base type's answer format, label
  names for boxes and entities, pixel values indexing ``existing_labels`` for a mask) and
  ``existing_labels`` (the source's label categories); ``labeling.services.source_annotations``
  reads them from the manifest line. The job's own label categories must include every existing
  label (Ground Truth's rule: "the same labels used in the original labeling job; you can add
  new labels"); ``review_input_problem`` says so per line.
- **Answer.** The corrected annotation in the base type's answer format, checked as the base type
  checks it (schema and ``check_answer``), with the job's label categories.
- **Consolidation.** The base type's own (``consolidation.geometric`` through the base class):
  the existing annotation is the workers' starting point, not a vote.
- **Output.** The base type's Ground Truth record under the job's label attribute, its metadata
  adding ``"adjustment-status"``: ``"adjusted"`` when the consolidated annotation (the one
  written) differs from the existing one, ``"unadjusted"`` when it is the same. "The same" is
  judged in the base type's terms (``same_annotation``): the same boxes with the same labels,
  each edge within half a pixel (the existing boxes scaled to the consolidated image size when
  the two differ); the same set of spans (label, start, end); the same class (by name) at every
  pixel. So an ``unadjusted`` line's new attribute always carries the existing annotation, and
  an ``adjusted`` one a different annotation (a worker whose change the others outvoted does
  not make it ``adjusted``). The status is decided at consolidation and stored in the result
  (``ADJUSTMENT_STATUS_KEY``), so the output writer needs nothing more.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
from PIL import Image

from labeling.task_types.base import Consolidation, GoldTally, ObjectAnswers, ObjectResult, TaskType
from labeling.task_types.boxes import BoundingBoxes
from labeling.task_types.masks_png import decode_mask, encode_mask_base64
from labeling.task_types.segmentation import SemanticSegmentation
from labeling.task_types.spans import NamedEntityRecognition

ADJUSTED = "adjusted"
UNADJUSTED = "unadjusted"
# Where a consolidated result keeps its status (read by ``output_value``).
ADJUSTMENT_STATUS_KEY = "adjustment_status"
EXISTING_ANNOTATION_KEY = "existing_annotation"
EXISTING_LABELS_KEY = "existing_labels"
# Consolidated boxes are whole pixels: an existing edge at a fraction of a pixel, kept by every
# worker, comes back rounded. Half a pixel is rounding, not a correction.
BOX_EDGE_TOLERANCE = 0.5 + 1e-9
BOX_KEYS = ("left", "top", "width", "height")


class AdjustmentTaskType(TaskType):
    """What the three adjustment types add to their base type (a mixin listed before it)."""

    base_type: TaskType

    def consolidate(
        self,
        objects: Sequence[ObjectAnswers],
        *,
        n_workers: int,
        labels: list[str],
        gold: Mapping[int, dict],
        worker_records: Mapping[int, tuple[float, int]] | None = None,
        worker_gold_records: Mapping[int, GoldTally] | None = None,
    ) -> Consolidation:
        """The base type's consolidation, each result carrying ``ADJUSTMENT_STATUS_KEY``."""
        consolidation = super().consolidate(  # type: ignore[safe-super]
            objects,
            n_workers=n_workers,
            labels=labels,
            gold=gold,
            worker_records=worker_records,
            worker_gold_records=worker_gold_records,
        )
        inputs = {item.index: item.task_input for item in objects}
        results = tuple(
            result
            if result.result is None
            else ObjectResult(
                result.index,
                {
                    **result.result,
                    ADJUSTMENT_STATUS_KEY: self.adjustment_status(result.result, inputs[result.index], labels),
                },
                result.confidence,
            )
            for result in consolidation.objects
        )
        return dataclasses.replace(consolidation, objects=results)

    def adjustment_status(self, result: dict, task_input: dict, labels: list[str]) -> str:
        """``"unadjusted"`` when ``result`` (a consolidated result of this type) is the task's
        existing annotation, ``"adjusted"`` otherwise (an input without one: nothing existed,
        so anything is an adjustment, and nothing at all is not)."""
        existing = task_input.get(EXISTING_ANNOTATION_KEY)
        existing_labels = task_input.get(EXISTING_LABELS_KEY)
        if not isinstance(existing, dict) or not isinstance(existing_labels, list):
            existing, existing_labels = self.empty_annotation(result), list(labels)
        try:
            same = self.same_annotation(result, existing, existing_labels=existing_labels, labels=labels)
        except (KeyError, TypeError, ValueError):  # an existing annotation this job cannot hold
            same = False
        return UNADJUSTED if same else ADJUSTED

    def same_annotation(self, result: dict, existing: dict, *, existing_labels: list[str], labels: list[str]) -> bool:
        """Whether a consolidated ``result`` (class ids into ``labels``) is ``existing`` (the
        base answer format, classes named by or indexing ``existing_labels``)."""
        raise NotImplementedError

    def empty_annotation(self, result: dict) -> dict:
        """The answer that annotates nothing, in the base answer format."""
        raise NotImplementedError

    def review_input_problem(self, task_input: dict, *, labels: list[str]) -> str | None:
        """Why a task input cannot be adjusted with the job's ``labels``, or ``None``: every
        existing label must be one of the job's (so a worker can keep what is right)."""
        existing_labels = task_input.get(EXISTING_LABELS_KEY)
        if not isinstance(existing_labels, list):
            return f"has no {EXISTING_LABELS_KEY}"
        missing = [name for name in existing_labels if name not in labels]
        if missing:
            names = ", ".join(repr(name) for name in missing)
            return f"the existing annotation's label categories {names} are not among the job's label categories"
        return None

    def output_value(
        self,
        result: dict,
        *,
        labels: list[str],
        job_name: str,
        creation_date: str,
        human_annotated: bool = True,
        mask_uri: str | None = None,
        answers: Sequence[dict] = (),
        short_names: Mapping[str, str] | None = None,
    ) -> tuple[object, dict]:
        """The base type's record, its metadata adding ``adjustment-status``."""
        value, metadata = super().output_value(  # type: ignore[safe-super]
            result,
            labels=labels,
            job_name=job_name,
            creation_date=creation_date,
            human_annotated=human_annotated,
            mask_uri=mask_uri,
            answers=answers,
            short_names=short_names,
        )
        status = result.get(ADJUSTMENT_STATUS_KEY)
        if status in (ADJUSTED, UNADJUSTED):
            metadata["adjustment-status"] = status
        return value, metadata


class BoundingBoxAdjustment(AdjustmentTaskType, BoundingBoxes):
    """``bounding_box_adjustment``: correct an image's boxes (move, resize, relabel, delete, add)."""

    name = "bounding_box_adjustment"
    reviewed_types = ("bounding_box",)

    def same_annotation(self, result: dict, existing: dict, *, existing_labels: list[str], labels: list[str]) -> bool:
        size = result["image_size"]
        width, height = int(size["width"]), int(size["height"])
        existing_size = existing["image_size"]
        scale = [width / float(existing_size["width"]), height / float(existing_size["height"])] * 2
        index_of = {name: position for position, name in enumerate(labels)}
        mine = sorted((int(box["class_id"]), *(float(box[key]) for key in BOX_KEYS)) for box in result["boxes"])
        theirs = sorted(
            (index_of[box["label"]], *(float(box[key]) * factor for key, factor in zip(BOX_KEYS, scale, strict=True)))
            for box in existing["boxes"]
        )
        if len(mine) != len(theirs):
            return False
        unmatched = list(theirs)
        for box in mine:  # one to one, whatever the order of near-equal boxes
            match = next(
                (
                    other
                    for other in unmatched
                    if other[0] == box[0] and _edges_close(np.array(box[1:]), np.array(other[1:]))
                ),
                None,
            )
            if match is None:
                return False
            unmatched.remove(match)
        return True

    def empty_annotation(self, result: dict) -> dict:
        return {"boxes": [], "image_size": dict(result["image_size"])}


class NamedEntityRecognitionAdjustment(AdjustmentTaskType, NamedEntityRecognition):
    """``named_entity_recognition_adjustment``: correct a text's entities."""

    name = "named_entity_recognition_adjustment"
    reviewed_types = ("named_entity_recognition",)

    def same_annotation(self, result: dict, existing: dict, *, existing_labels: list[str], labels: list[str]) -> bool:
        mine = {
            (labels[int(entity["label"])], int(entity["start"]), int(entity["end"])) for entity in result["entities"]
        }
        theirs = {(entity["label"], int(entity["start"]), int(entity["end"])) for entity in existing["entities"]}
        return mine == theirs

    def empty_annotation(self, result: dict) -> dict:
        return {"entities": []}


class SemanticSegmentationAdjustment(AdjustmentTaskType, SemanticSegmentation):
    """``semantic_segmentation_adjustment``: repaint an image's mask. The existing mask's pixel
    values index ``existing_labels``; they are read by class name, so a job that lists the
    classes in another order (or adds some) still compares and shows them right."""

    name = "semantic_segmentation_adjustment"
    reviewed_types = ("semantic_segmentation",)

    def same_annotation(self, result: dict, existing: dict, *, existing_labels: list[str], labels: list[str]) -> bool:
        mine = decode_mask(result["mask"], n_classes=256)
        theirs = existing_mask_in_labels(existing["mask"], existing_labels=existing_labels, labels=labels)
        if theirs.shape != mine.shape:
            height, width = mine.shape
            theirs = np.asarray(
                Image.fromarray(theirs).resize((width, height), Image.Resampling.NEAREST), dtype=np.uint8
            )
        return bool(np.array_equal(mine, theirs))

    def empty_annotation(self, result: dict) -> dict:
        return {"mask": encode_mask_base64(np.zeros((int(result["height"]), int(result["width"])), dtype=np.uint8))}


def existing_mask_in_labels(mask: str, *, existing_labels: list[str], labels: list[str]) -> np.ndarray:
    """An existing mask (pixel values index ``existing_labels``) with pixel values indexing the
    job's ``labels`` instead; ``ValueError`` when a class it uses is not one of them."""
    pixels = decode_mask(mask, n_classes=len(existing_labels))
    index_of = {name: position for position, name in enumerate(labels)}
    lookup = np.zeros(256, dtype=np.uint8)
    for value in np.unique(pixels).tolist():
        name = existing_labels[value]
        if name not in index_of:
            raise ValueError(f"the existing mask's class {name!r} is not one of the job's label categories")
        lookup[value] = index_of[name]
    return lookup[pixels]


def _edges_close(box: np.ndarray, other: np.ndarray) -> bool:
    """Left, top, right and bottom edges within ``BOX_EDGE_TOLERANCE`` (``box`` is left, top,
    width, height)."""
    edges = np.array([box[0], box[1], box[0] + box[2], box[1] + box[3]])
    other_edges = np.array([other[0], other[1], other[0] + other[2], other[1] + other[3]])
    return bool(np.all(np.abs(edges - other_edges) <= BOX_EDGE_TOLERANCE))
