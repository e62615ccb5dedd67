"""Bounding boxes: match boxes across workers by IoU, then average each match.

For one image: workers are visited from the most to the least trusted; each worker's boxes are
matched one-to-one to the clusters built so far by the Hungarian algorithm on IoU (a pair
counts only at ``IoU >= iou_threshold``), and unmatched boxes start new clusters. A cluster's
box is the quality-weighted mean of its members' corners and its label the weighted vote.
Clusters whose weighted share of the item's annotators is below ``min_support`` are dropped as
one worker's false positive. Per-object ``confidence`` is an agreement score, that share times
the members' weighted mean IoU with the consolidated box (high when most trusted workers drew the
same box tightly); it ranks boxes but is no probability. A job's calibrated probabilities come
from ``consolidation.geometric.detection`` over every image's clusters (``members`` says which
input boxes formed each).

Worker quality, when not given, is estimated as each worker's F1 against an unweighted first
pass, times their matched boxes' mean IoU with it. The Python loop runs over one image's
workers (a handful); the work per worker is array code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from consolidation.geometric._quality import MIN_WEIGHT, participants, weights_for, worker_ids
from consolidation.results import frozen


@dataclass(frozen=True)
class BoxesResult:
    """Consolidated boxes ``(left, top, width, height)`` with label, agreement score
    (``confidence``: support x tightness, a ranking, not a probability; see
    ``consolidation.geometric.detection`` for calibrated ones), the weighted share of annotators
    that drew each (``support``), the weights used per worker id, and ``members``: for each input
    box, the index of the output box whose cluster it joined (-1: its cluster was dropped)."""

    boxes: NDArray[np.float64]
    labels: NDArray[np.int64]
    confidence: NDArray[np.float64]
    support: NDArray[np.float64]
    worker_quality: NDArray[np.float64]
    members: NDArray[np.int64]


def _corners(boxes: NDArray[np.float64]) -> NDArray[np.float64]:
    corners = boxes.copy()
    corners[:, 2:] += boxes[:, :2]
    return corners


def iou_matrix(a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """Pairwise intersection over union of boxes given as ``(left, top, width, height)``."""
    first = _corners(np.asarray(a, dtype=np.float64).reshape(-1, 4))
    second = _corners(np.asarray(b, dtype=np.float64).reshape(-1, 4))
    return _corner_iou(first, second)


def _corner_iou(first: NDArray[np.float64], second: NDArray[np.float64]) -> NDArray[np.float64]:
    """``iou_matrix`` of boxes given as corners ``(left, top, right, bottom)``."""
    low = np.maximum(first[:, None, :2], second[None, :, :2])
    high = np.minimum(first[:, None, 2:], second[None, :, 2:])
    extent = np.maximum(high - low, 0.0)
    intersection = extent[:, :, 0] * extent[:, :, 1]
    area_first = (first[:, 2] - first[:, 0]) * (first[:, 3] - first[:, 1])
    area_second = (second[:, 2] - second[:, 0]) * (second[:, 3] - second[:, 1])
    union = area_first[:, None] + area_second[None, :] - intersection
    return np.divide(intersection, union, out=np.zeros_like(union), where=union > 0)


def paired_iou(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """IoU of ``a[i]`` with ``b[i]`` for each row (boxes as ``(left, top, width, height)``)."""
    first, second = _corners(a), _corners(b)
    low = np.maximum(first[:, :2], second[:, :2])
    high = np.minimum(first[:, 2:], second[:, 2:])
    intersection = np.clip(high - low, 0.0, None).prod(axis=1)
    union = a[:, 2:].prod(axis=1) + b[:, 2:].prod(axis=1) - intersection
    return np.divide(intersection, union, out=np.zeros_like(union), where=union > 0)


def _cluster(
    boxes: NDArray[np.float64],
    worker: NDArray[np.int64],
    weight: NDArray[np.float64],
    iou_threshold: float,
) -> NDArray[np.int64]:
    """Cluster id per box; one box per worker per cluster."""
    cluster_of = np.full(boxes.shape[0], -1, dtype=np.int64)
    # Weighted corner sums and weights per cluster, room for every box (no regrowing).
    sums = np.zeros((boxes.shape[0], 4))
    totals = np.zeros(boxes.shape[0])
    n_clusters = 0
    corners = _corners(boxes)
    order = sorted(set(worker.tolist()), key=lambda w: (-weight[w], w))
    for current in order:
        mine = np.flatnonzero(worker == current)
        share = weight[current]
        if n_clusters:
            overlap = _corner_iou(corners[mine], sums[:n_clusters] / totals[:n_clusters, None])
            rows, cols = linear_sum_assignment(-overlap)
            good = overlap[rows, cols] >= iou_threshold
            rows, cols = rows[good], cols[good]
            cluster_of[mine[rows]] = cols
            sums[cols] += share * corners[mine[rows]]
            totals[cols] += share
        fresh = mine[cluster_of[mine] < 0]
        cluster_of[fresh] = n_clusters + np.arange(fresh.shape[0])
        sums[n_clusters : n_clusters + fresh.shape[0]] = share * corners[fresh]
        totals[n_clusters : n_clusters + fresh.shape[0]] = share
        n_clusters += fresh.shape[0]
    return cluster_of


def _summarise(
    boxes: NDArray[np.float64],
    worker: NDArray[np.int64],
    label: NDArray[np.int64],
    cluster_of: NDArray[np.int64],
    weight: NDArray[np.float64],
    total_weight: float,
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    n_clusters = int(cluster_of.max()) + 1 if cluster_of.size else 0
    member_weight = weight[worker]
    mass = np.bincount(cluster_of, weights=member_weight, minlength=n_clusters)
    corners = _corners(boxes)
    mean = (
        np.stack(
            [np.bincount(cluster_of, weights=member_weight * corners[:, i], minlength=n_clusters) for i in range(4)],
            axis=1,
        )
        / np.maximum(mass, 1e-300)[:, None]
    )
    consolidated = np.concatenate([mean[:, :2], mean[:, 2:] - mean[:, :2]], axis=1)
    n_labels = int(label.max()) + 1 if label.size else 1
    votes = np.bincount(cluster_of * n_labels + label, weights=member_weight, minlength=n_clusters * n_labels).reshape(
        n_clusters, n_labels
    )
    labels = votes.argmax(axis=1)
    member_iou = paired_iou(boxes, consolidated[cluster_of])
    tightness = np.bincount(cluster_of, weights=member_weight * member_iou, minlength=n_clusters) / np.maximum(
        mass, 1e-300
    )
    support = mass / total_weight
    return consolidated, labels, support, tightness


def _fit(
    boxes: NDArray[np.float64],
    worker: NDArray[np.int64],
    label: NDArray[np.int64],
    weight: NDArray[np.float64],
    everyone: NDArray[np.int64],
    iou_threshold: float,
    min_support: float,
    return_all: bool = False,
) -> BoxesResult:
    cluster_of = _cluster(boxes, worker, weight, iou_threshold)
    consolidated, labels, support, tightness = _summarise(
        boxes, worker, label, cluster_of, weight, float(weight[everyone].sum())
    )
    keep = np.ones(support.shape[0], dtype=bool) if return_all else support >= min_support
    position = np.cumsum(keep) - 1
    return BoxesResult(
        boxes=frozen(consolidated[keep]),
        labels=frozen(labels[keep].astype(np.int64)),
        confidence=frozen(np.clip(support[keep] * tightness[keep], 0.0, 1.0)),
        support=frozen(support[keep]),
        worker_quality=frozen(weight.copy()),
        members=frozen(np.where(keep[cluster_of], position[cluster_of], -1).astype(np.int64)),
    )


def _estimate_quality(
    boxes: NDArray[np.float64],
    worker: NDArray[np.int64],
    reference: BoxesResult,
    everyone: NDArray[np.int64],
    size: int,
    iou_threshold: float,
) -> NDArray[np.float64]:
    quality = np.full(size, MIN_WEIGHT)
    for current in everyone.tolist():
        mine = boxes[worker == current]
        if mine.shape[0] == 0 or reference.boxes.shape[0] == 0:
            # Drew nothing: right if the crowd saw nothing, else missed everything.
            quality[current] = 1.0 if reference.boxes.shape[0] == mine.shape[0] else MIN_WEIGHT
            continue
        overlap = iou_matrix(mine, reference.boxes)
        rows, cols = linear_sum_assignment(-overlap)
        hits = overlap[rows, cols][overlap[rows, cols] >= iou_threshold]
        f1 = 2.0 * hits.size / (mine.shape[0] + reference.boxes.shape[0])
        quality[current] = max(f1 * (hits.mean() if hits.size else 0.0), MIN_WEIGHT)
    return quality


def consolidate_boxes(
    boxes: ArrayLike,
    worker: ArrayLike,
    label: ArrayLike | None = None,
    *,
    annotators: ArrayLike | None = None,
    worker_quality: ArrayLike | None = None,
    iou_threshold: float = 0.5,
    min_support: float = 0.5,
    return_all: bool = False,
) -> BoxesResult:
    """Consolidate one image's boxes.

    ``boxes`` is ``(n, 4)`` ``(left, top, width, height)`` in pixels, ``worker`` the drawing
    worker per box and ``label`` the class per box (all 0 when omitted). ``annotators`` lists
    every worker who answered the image, including those who drew nothing (default: those in
    ``worker``). ``worker_quality`` is a weight per worker id (default: estimated, see module
    doc). ``return_all`` returns every cluster, ``support`` telling which reach ``min_support``
    (the quality estimate still uses only those). Empty input gives an empty result.
    """
    box_array = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    n = box_array.shape[0]
    if not np.all(np.isfinite(box_array)) or (n and box_array[:, 2:].min() < 0):
        raise ValueError("boxes must be finite with non-negative width and height")
    workers = worker_ids(worker, n)
    labels = np.zeros(n, dtype=np.int64) if label is None else worker_ids(label, n, "label")
    if not 0.0 < iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must be in (0, 1], got {iou_threshold}")
    if not 0.0 <= min_support <= 1.0:
        raise ValueError(f"min_support must be in [0, 1], got {min_support}")
    everyone = participants(workers, annotators)
    size = int(max(everyone.max(initial=-1), workers.max(initial=-1))) + 1
    given = weights_for(worker_quality, everyone)
    if n == 0:
        empty = np.zeros((0, 4))
        return BoxesResult(
            boxes=frozen(empty),
            labels=frozen(np.zeros(0, dtype=np.int64)),
            confidence=frozen(np.zeros(0)),
            support=frozen(np.zeros(0)),
            worker_quality=frozen(np.ones(size) if given is None else given.copy()),
            members=frozen(np.zeros(0, dtype=np.int64)),
        )
    if given is not None:
        return _fit(box_array, workers, labels, given, everyone, iou_threshold, min_support, return_all)
    first = _fit(box_array, workers, labels, np.ones(size), everyone, iou_threshold, min_support)
    quality = _estimate_quality(box_array, workers, first, everyone, size, iou_threshold)
    return _fit(box_array, workers, labels, quality, everyone, iou_threshold, min_support, return_all)
