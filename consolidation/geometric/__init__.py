"""Geometric task types: bounding boxes, named-entity spans and segmentation masks.

Each consolidates one item (an image, a document) at a time from plain arrays, weighting workers
by quality (given, or estimated from their agreement with a first unweighted pass). Boxes' and
spans' per-item scores rank objects; their probabilities come from ``detection_fit`` over a
whole job's candidates. Masks give each class's expected IoU.
"""

from consolidation.geometric.boxes import BoxesResult, consolidate_boxes, iou_matrix
from consolidation.geometric.detection import DetectionFit, detection_fit
from consolidation.geometric.masks import MaskResult, consolidate_masks
from consolidation.geometric.spans import SpansResult, consolidate_spans

__all__ = [
    "BoxesResult",
    "DetectionFit",
    "MaskResult",
    "SpansResult",
    "consolidate_boxes",
    "consolidate_masks",
    "consolidate_spans",
    "detection_fit",
    "iou_matrix",
]
