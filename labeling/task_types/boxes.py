"""Bounding boxes: answer ``{"boxes": [{"label", "left", "top", "width", "height"}],
"image_size": {"width", "height", "depth"?}}`` in pixels (depth 3 when left out).

Boxes may have fractional coordinates; they must have a positive size and lie inside the image
(touching the edge is fine). An empty ``boxes`` list says "nothing to box".

Each image is consolidated by ``consolidation.geometric.consolidate_boxes`` (see
``GeometricTaskType`` for gold and worker weights). The image size is the most common one among
the answers; boxes drawn on another size are scaled to it. Consolidated boxes are rounded to
whole pixels and kept inside the image. ``result`` is ``{"image_size": {"width", "height",
"depth"}, "boxes": [{"class_id", "left", "top", "width", "height", "confidence"}]}``.

Confidence (see ``drawn``): each box's is the probability that it matches a true object at IoU
>= 0.5 with the right class; a box is output when more than half the annotators' weight drew
it, written with that probability. The image's is the
probability that its boxes are exactly right: every output box true, every box left out false,
and no object missed by every annotator (so an image whose objects the crowd partly missed gets
a lower one). A worker's score on an image is the F1 of their boxes against the consolidated
ones (a match: same class, IoU >= 0.5, one to one) times the mean IoU of the matches; 1.0 when
both are empty. A record from earlier work (a mean of those scores) is read as the worker's
precision and recall after dividing out a typical matched IoU (``RECORD_MATCH_IOU``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from consolidation.geometric import consolidate_boxes, iou_matrix
from labeling.task_types.base import base_schema, label_index, rounded
from labeling.task_types.drawn import Candidates, DrawnObjectsTaskType, TruthMatch
from marketplace.errors import InvalidInput

MAX_BOXES = 1000
MAX_IMAGE_SIDE = 100_000
DEFAULT_DEPTH = 3
MATCH_IOU = 0.5
# The mean IoU of a worker's matched boxes, typically: a record's score (F1 x that IoU) over it
# is the F1 the detection model reads as precision and recall.
RECORD_MATCH_IOU = 0.85
# Fractional coordinates from a UI may overshoot the edge by a rounding error.
EDGE_TOLERANCE = 1e-6
# A box at IoU below this with every true object is a false object of its own, not a near miss
# of a true one: a jittered box of a true object overlaps it more.
APART_IOU = 0.1

# The first pass (per-image worker weights) keeps a box when more than half the annotators'
# quality weight drew it; the written result keeps boxes by probability (``drawn``).
MIN_SUPPORT = 0.5 + 1e-9


@dataclass(frozen=True)
class _Boxes:
    corners: np.ndarray  # (n, 4) left, top, width, height
    classes: np.ndarray  # (n,) class ids
    size: tuple[int, int, int]  # width, height, depth
    candidates: Candidates | None = None  # every cluster, kept or not (consolidated boxes only)

    def scaled_to(self, size: tuple[int, int, int]) -> np.ndarray:
        if size[:2] == self.size[:2]:
            return self.corners
        factor = np.array([size[0] / self.size[0], size[1] / self.size[1]] * 2)
        return self.corners * factor


class BoundingBoxes(DrawnObjectsTaskType[_Boxes, _Boxes, _Boxes]):
    """``bounding_box``: at most 10 label categories, as in Ground Truth."""

    name = "bounding_box"
    ground_truth_type = "groundtruth/object-detection"
    source_keys = ("source-ref",)
    min_labels = 1
    max_labels = 10
    method_name = "consolidate_boxes"

    def answer_schema(self, labels: list[str]) -> dict:
        coordinate = {"type": "number", "minimum": 0, "maximum": MAX_IMAGE_SIDE}
        extent = {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_IMAGE_SIDE}
        side = {"type": "integer", "minimum": 1, "maximum": MAX_IMAGE_SIDE}
        box = {
            "type": "object",
            "properties": {
                "label": {"type": "string", "enum": list(labels)},
                "left": coordinate,
                "top": coordinate,
                "width": extent,
                "height": extent,
            },
            "required": ["label", "left", "top", "width", "height"],
            "additionalProperties": False,
        }
        image_size = {
            "type": "object",
            "properties": {"width": side, "height": side, "depth": {"type": "integer", "minimum": 1, "maximum": 4}},
            "required": ["width", "height"],
            "additionalProperties": False,
        }
        return base_schema(
            {"boxes": {"type": "array", "items": box, "maxItems": MAX_BOXES}, "image_size": image_size},
            ["boxes", "image_size"],
        )

    def check_answer(self, answer: dict, *, labels: list[str], task_input: dict) -> None:
        """Each box lies inside ``image_size`` (its right and bottom edges may touch the image's)."""
        image_width, image_height = answer["image_size"]["width"], answer["image_size"]["height"]
        if len(answer["boxes"]) > MAX_BOXES:
            raise InvalidInput.for_field("answer.boxes", f"at most {MAX_BOXES} boxes")
        for position, box in enumerate(answer["boxes"]):
            for extent, origin, limit in (("width", "left", image_width), ("height", "top", image_height)):
                if box[origin] + box[extent] > limit + EDGE_TOLERANCE:
                    raise InvalidInput.for_field(
                        f"answer.boxes.{position}.{extent}",
                        f"the box ends at {box[origin] + box[extent]:g}, outside the image ({extent} {limit})",
                    )

    def _parse(self, answer: dict, labels: list[str]) -> _Boxes:
        index_of = label_index(labels)
        size = answer["image_size"]
        width, height = int(size["width"]), int(size["height"])
        if width < 1 or height < 1:
            raise ValueError("image_size must be positive")
        boxes = answer["boxes"]
        if any(box["label"] not in index_of for box in boxes):
            raise ValueError("a box label is not a label category")
        corners = np.array(
            [[float(box[key]) for key in ("left", "top", "width", "height")] for box in boxes], dtype=np.float64
        ).reshape(-1, 4)
        classes = np.array([index_of[box["label"]] for box in boxes], dtype=np.int64)
        return _Boxes(corners, classes, (width, height, int(size.get("depth", DEFAULT_DEPTH))))

    def _fit(
        self, answers: list[_Boxes], workers: tuple[int, ...], labels: list[str], weights: np.ndarray | None
    ) -> tuple[_Boxes, dict, float]:
        size = Counter(answer.size for answer in answers).most_common(1)[0][0]
        corners = np.concatenate([answer.scaled_to(size) for answer in answers]).reshape(-1, 4)
        classes = np.concatenate([answer.classes for answer in answers]).astype(np.int64)
        drawer = np.repeat(np.asarray(workers, dtype=np.int64), [answer.corners.shape[0] for answer in answers])
        fitted = consolidate_boxes(
            corners,
            drawer,
            classes,
            annotators=np.asarray(workers, dtype=np.int64),
            worker_quality=weights,
            min_support=MIN_SUPPORT,
            return_all=True,
        )
        every = _pixel_boxes(fitted.boxes, fitted.labels, size)
        # Who drew each cluster with its voted class.
        # Who drew each cluster with each class, the voted class first.
        cluster_labels = fitted.labels.tolist()
        by_class: list[dict[int, set[int]]] = [{klass: set()} for klass in cluster_labels]
        for cluster, klass, worker in zip(fitted.members.tolist(), classes.tolist(), drawer.tolist(), strict=True):
            if cluster >= 0:
                by_class[cluster].setdefault(klass, set()).add(worker)
        # One part to a box's reading: its class.
        readings = tuple((tuple(frozenset(group) for group in groups.values()),) for groups in by_class)
        drawers = tuple(parts[0][0] for parts in readings)
        candidates = Candidates(every, tuple(sorted(set(workers))), drawers, np.asarray(fitted.support), readings)
        # Provisional (the first pass's worker weights, replaced job-wide by ``drawn``): the
        # clusters most of the annotators' weight drew, with that share as confidence.
        keep = fitted.support >= MIN_SUPPORT
        consolidated, result = self._render(candidates, keep, fitted.support[keep].tolist())
        return consolidated, result, float(np.prod(fitted.support[keep]))

    def _candidates(self, consolidated: _Boxes) -> Candidates[_Boxes]:
        assert consolidated.candidates is not None
        return consolidated.candidates

    def _render(
        self, candidates: Candidates[_Boxes], keep: np.ndarray, confidences: list[float]
    ) -> tuple[_Boxes, dict]:
        every: _Boxes = candidates.objects
        consolidated = _Boxes(every.corners[keep], every.classes[keep], every.size, candidates)
        return consolidated, _result(consolidated, confidences)

    def _truth_matches(self, candidates: Candidates[_Boxes], truth: _Boxes) -> TruthMatch:
        every: _Boxes = candidates.objects
        corners = every.scaled_to(truth.size)
        matched = _matches(corners, every.classes, truth)
        # Real: a true object at IoU >= 0.5 whatever the class (one to one).
        anywhere = _Boxes(truth.corners, np.zeros_like(truth.classes), truth.size)
        real = _matches(corners, np.zeros_like(every.classes), anywhere) | matched
        n_true = int(truth.corners.shape[0])
        class_right = np.where(real, matched, np.nan).astype(np.float64)[:, None]
        return TruthMatch(matched, n_true - int(matched.sum()), real, n_true - int(real.sum()), class_right)

    def _apart(self, candidates: Candidates[_Boxes], truth: _Boxes) -> np.ndarray:
        every: _Boxes = candidates.objects
        return np.asarray((iou_matrix(every.scaled_to(truth.size), truth.corners) < APART_IOU).all(axis=1))

    def _alike(self, candidates: Candidates[_Boxes], others: Candidates[_Boxes], among: np.ndarray) -> np.ndarray:
        mine: _Boxes = candidates.objects
        theirs: _Boxes = others.objects
        overlap = iou_matrix(mine.scaled_to(theirs.size), theirs.corners[among])
        return np.asarray((overlap >= MATCH_IOU).any(axis=1))

    def _from_truth(self, truth: _Boxes, answers: list[_Boxes], labels: list[str]) -> tuple[_Boxes, dict]:
        consolidated = _pixel_boxes(truth.corners, truth.classes, truth.size)
        return consolidated, _result(consolidated, [1.0] * consolidated.corners.shape[0])

    def _score(self, answer: _Boxes, consolidated: _Boxes) -> float:
        return _match_score(answer.scaled_to(consolidated.size), answer.classes, consolidated)[0]

    def _reading_alternatives(self, labels: list[str]) -> tuple[float | None, ...]:
        # A box's reading is its class: the other classes are the alternatives.
        return (float(len(labels) - 1),)

    def _record_f1(self, accuracy: float) -> float:
        return min(accuracy / RECORD_MATCH_IOU, 1.0)

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
        boxes = result["boxes"]
        value = {
            "image_size": [dict(result["image_size"])],
            "annotations": [
                {key: int(box[key]) for key in ("class_id", "left", "top", "width", "height")} for box in boxes
            ],
        }
        class_ids = sorted({int(box["class_id"]) for box in boxes})
        metadata = {
            "objects": [{"confidence": rounded(box["confidence"])} for box in boxes],
            "class-map": {str(class_id): labels[class_id] for class_id in class_ids},
            **self.common_metadata(job_name=job_name, creation_date=creation_date, human_annotated=human_annotated),
        }
        return value, metadata

    def answer_content(self, answer: dict, *, labels: list[str]) -> dict:
        """``crowd-bounding-box`` (named ``boundingBox`` in the built-in template):
        ``{"boundingBox": {"boundingBoxes": [{"height", "label", "left", "top", "width"}],
        "inputImageProperties": {"height", "width"}}}``."""
        size = answer["image_size"]
        return {
            "boundingBox": {
                "boundingBoxes": [
                    {key: box[key] for key in ("height", "label", "left", "top", "width")} for box in answer["boxes"]
                ],
                "inputImageProperties": {"height": size["height"], "width": size["width"]},
            }
        }

    def is_correct(self, result: dict, truth: dict, *, labels: list[str]) -> bool:
        """Every box matched one to one, same class, at IoU >= 0.5 (after scaling the result to
        the truth's image size)."""
        expected = self._parse(truth, labels)
        size = result["image_size"]
        got = self._parse(
            {
                "image_size": size,
                "boxes": [{**box, "label": labels[int(box["class_id"])]} for box in result["boxes"]],
            },
            labels,
        )
        _, complete = _match_score(got.scaled_to(expected.size), got.classes, expected)
        return complete


def _pixel_boxes(corners: np.ndarray, classes: np.ndarray, size: tuple[int, int, int]) -> _Boxes:
    """Boxes rounded to whole pixels, at least one pixel wide and inside the image."""
    width, height = size[0], size[1]
    box = np.asarray(corners, dtype=np.float64).reshape(-1, 4)
    # Array form of min(max(floor(v + 0.5), low), high) per corner (every cluster of a job's
    # images goes through here, so no per-box Python).
    x0 = np.clip(np.floor(box[:, 0] + 0.5), 0, width - 1)
    y0 = np.clip(np.floor(box[:, 1] + 0.5), 0, height - 1)
    x1 = np.minimum(np.maximum(np.floor(box[:, 0] + box[:, 2] + 0.5), x0 + 1), width)
    y1 = np.minimum(np.maximum(np.floor(box[:, 1] + box[:, 3] + 0.5), y0 + 1), height)
    rows = np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)
    return _Boxes(rows, np.asarray(classes, dtype=np.int64), size)


def _result(boxes: _Boxes, confidences: list[float]) -> dict:
    width, height, depth = boxes.size
    return {
        "image_size": {"width": width, "height": height, "depth": depth},
        "boxes": [
            {
                "class_id": int(class_id),
                "left": int(left),
                "top": int(top),
                "width": int(box_width),
                "height": int(box_height),
                "confidence": round(confidence, 6),
            }
            for (left, top, box_width, box_height), class_id, confidence in zip(
                boxes.corners.tolist(), boxes.classes.tolist(), confidences, strict=True
            )
        ],
    }


def _greedy_pairs(corners: np.ndarray, classes: np.ndarray, reference: _Boxes) -> list[tuple[int, int, float]]:
    """One-to-one matches ``(row, reference row, IoU)``, greedy by descending IoU, same class
    and IoU >= ``MATCH_IOU``."""
    n, m = corners.shape[0], reference.corners.shape[0]
    if n == 0 or m == 0:
        return []
    overlap = iou_matrix(corners, reference.corners)
    overlap[classes[:, None] != reference.classes[None, :]] = 0.0
    used_rows, used_cols, pairs = set(), set(), []
    for flat in np.argsort(-overlap, axis=None, kind="stable").tolist():
        row, col = divmod(flat, m)
        if overlap[row, col] < MATCH_IOU:
            break
        if row in used_rows or col in used_cols:
            continue
        used_rows.add(row)
        used_cols.add(col)
        pairs.append((row, col, float(overlap[row, col])))
    return pairs


def _matches(corners: np.ndarray, classes: np.ndarray, reference: _Boxes) -> np.ndarray:
    """Whether each box matched a reference box (see ``_greedy_pairs``)."""
    matched = np.zeros(corners.shape[0], dtype=bool)
    matched[[row for row, _, _ in _greedy_pairs(corners, classes, reference)]] = True
    return matched


def _match_score(corners: np.ndarray, classes: np.ndarray, reference: _Boxes) -> tuple[float, bool]:
    """(F1 x mean IoU of the matches, whether every box on both sides matched)."""
    n, m = corners.shape[0], reference.corners.shape[0]
    if n == 0 or m == 0:
        return (1.0, True) if n == m else (0.0, False)
    hits = [iou for _, _, iou in _greedy_pairs(corners, classes, reference)]
    f1 = 2.0 * len(hits) / (n + m)
    return (f1 * float(np.mean(hits)) if hits else 0.0), len(hits) == n == m
