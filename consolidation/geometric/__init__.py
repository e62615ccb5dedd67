"""Geometric task types: bounding boxes, named-entity spans and segmentation masks.

Each consolidates one item (an image, a document) at a time from plain arrays, weighting workers
by quality (given, or estimated from their agreement with a first unweighted pass), and returns
per-object confidences.
"""

from consolidation.geometric.boxes import BoxesResult, consolidate_boxes, iou_matrix
from consolidation.geometric.masks import MaskResult, consolidate_masks
from consolidation.geometric.spans import SpansResult, consolidate_spans

__all__ = [
    "BoxesResult",
    "MaskResult",
    "SpansResult",
    "consolidate_boxes",
    "consolidate_masks",
    "consolidate_spans",
    "iou_matrix",
]
