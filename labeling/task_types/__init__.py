"""Built-in labeling task types: answer schemas, consolidation and Ground Truth output.

``TASK_TYPES`` maps a task type's name to its ``TaskType`` (see ``base`` for the contract);
``get_task_type`` looks one up. Modules by family: ``classification`` (single label),
``multilabel``, ``boxes``, ``spans`` (named entities), ``segmentation`` (with ``masks_png``),
``free_form`` (``custom``: a custom template's free-form answers),
``verification`` (a review type: judging an existing label), ``adjustment`` (review types
correcting an existing box, span or mask annotation), and ``categories`` for label category
lists and Ground Truth's configuration file.
"""

from __future__ import annotations

from labeling.task_types.adjustment import (
    BoundingBoxAdjustment,
    NamedEntityRecognitionAdjustment,
    SemanticSegmentationAdjustment,
)
from labeling.task_types.base import (
    CONFIDENCE_DECIMALS,
    Consolidation,
    GoldTally,
    ObjectAnswers,
    ObjectResult,
    TaskType,
)
from labeling.task_types.boxes import BoundingBoxes
from labeling.task_types.categories import parse_label_category_config, validate_label_categories
from labeling.task_types.classification import SingleLabelClassification
from labeling.task_types.free_form import FreeForm
from labeling.task_types.masks_png import decode_mask, encode_mask
from labeling.task_types.multilabel import MultiLabelClassification
from labeling.task_types.segmentation import SemanticSegmentation
from labeling.task_types.spans import NamedEntityRecognition
from labeling.task_types.verification import LabelVerification

TASK_TYPES: dict[str, TaskType] = {
    task_type.name: task_type
    for task_type in (
        SingleLabelClassification(
            name="image_classification",
            ground_truth_type="groundtruth/image-classification",
            source_keys=("source-ref",),
        ),
        SingleLabelClassification(
            name="text_classification",
            ground_truth_type="groundtruth/text-classification",
            source_keys=("source", "source-ref"),
        ),
        MultiLabelClassification(
            name="image_multilabel",
            ground_truth_type="groundtruth/image-classification-multilabel",
            source_keys=("source-ref",),
        ),
        MultiLabelClassification(
            name="text_multilabel",
            ground_truth_type="groundtruth/text-classification-multilabel",
            source_keys=("source", "source-ref"),
        ),
        BoundingBoxes(),
        NamedEntityRecognition(),
        SemanticSegmentation(),
        FreeForm(),
        LabelVerification(),
        BoundingBoxAdjustment(),
        NamedEntityRecognitionAdjustment(),
        SemanticSegmentationAdjustment(),
    )
}


def get_task_type(name: str) -> TaskType:
    """The built-in task type called ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        return TASK_TYPES[name]
    except KeyError:
        raise KeyError(f"unknown task type {name!r}; known: {', '.join(sorted(TASK_TYPES))}") from None


__all__ = [
    "CONFIDENCE_DECIMALS",
    "TASK_TYPES",
    "Consolidation",
    "GoldTally",
    "ObjectAnswers",
    "ObjectResult",
    "TaskType",
    "decode_mask",
    "encode_mask",
    "get_task_type",
    "parse_label_category_config",
    "validate_label_categories",
]
