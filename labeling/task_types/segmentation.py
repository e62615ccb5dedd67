"""Semantic segmentation: answer ``{"mask": "<base64 PNG, one class index per pixel>"}``.

**Classes.** As in Ground Truth, class 0 is ``BACKGROUND`` (colour ``#ffffff``), added at the
front of the requester's list unless the requester already named it first (anywhere else it is
refused); the requester's classes are 1, 2, ... (``effective_labels``). The job stores that list,
so its tasks' ``labels``, the workers' and gold masks' pixel values, consolidation and the
output's ``internal-color-map`` all use the same indexes, and unpainted pixels (0) are
background. Masks are 8-bit, so at most 255 categories, ``BACKGROUND`` included (pixel values
0..254). See ``masks_png`` for the PNG rules.

Each image is consolidated by ``consolidation.geometric.consolidate_masks`` (a per-pixel
weighted vote; see ``GeometricTaskType`` for gold and worker weights). Masks are expected to
have the image's size; the most common size among the answers wins, and masks of another size
are resized to it (nearest neighbour). ``result`` is ``{"mask": <base64 PNG, mode L>, "width",
"height", "confidence", "class_confidence": [<the class's expected IoU, null when no pixel has
it>]}``: ``consolidate_masks`` gives each class's expected IoU with the true region under its
pixel model; the image's confidence (Ground Truth gives one per image) is their mean over the
classes in the mask, the expected mean IoU over them. An image only one worker masked gets its
classes' expected IoU from that worker's record instead, and one two workers masked the even mean
of that and the pixel model's (``_calibrate``); with gold, all are recalibrated on the gold
images. A worker's score on an image is the share of their pixels that agree with the
consolidated mask.
"""

from __future__ import annotations

import base64
import colorsys
import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
from PIL import Image

from consolidation.geometric import consolidate_masks
from consolidation.geometric.masks import boundary_expected_iou, boundary_pixels, scattered_pixels
from consolidation.geometric.recalibration import platt_apply, platt_fit
from labeling.task_types.base import GeometricTaskType, GoldTally, base_schema, rounded
from labeling.task_types.masks_png import MAX_MASK_BASE64_CHARS, decode_mask, encode_mask, encode_mask_base64
from marketplace.errors import InvalidInput

BACKGROUND = "BACKGROUND"
BACKGROUND_COLOR = "#ffffff"
# ``is_correct``: the share of pixels that must agree with the truth.
CORRECT_PIXEL_SHARE = 0.9
# Images with at most this many masks use the workers' records (``_calibrate``); in a job without
# gold, whose map would correct the pixel model, one more (measured: three masks' vote agreeing on
# boundaries all three drew off was over-confident by 0.05 without gold, and the records cost
# 0.01-0.02 of calibration with it).
RECORDS_UP_TO_MASKS = 2
RECORDS_UP_TO_MASKS_WITHOUT_GOLD = 3
# A worker's lean (objects drawn too large or too small) is read from this many gold images of
# earlier work (``GoldTally``); with fewer, errors are taken as even both ways.
LEAN_FROM_GOLD_IMAGES = 5


class SemanticSegmentation(GeometricTaskType[np.ndarray, np.ndarray]):
    """``semantic_segmentation`` of images; the label is a PNG mask the caller uploads."""

    name = "semantic_segmentation"
    ground_truth_type = "groundtruth/semantic-segmentation"
    source_keys = ("source-ref",)
    min_labels = 1
    max_labels = 255
    method_name = "consolidate_masks"
    writes_masks = True
    # Weights are pixel accuracies, which consolidate_masks wants strictly inside (0, 1).
    min_weight = 0.01
    max_weight = 0.99

    def effective_labels(self, labels: list[str]) -> list[str]:
        """``BACKGROUND`` at 0, then the requester's classes (see the module doc)."""
        names = list(labels)
        if names and names[0] == BACKGROUND:
            if len(names) == 1:
                raise ValueError(f"at least one label category besides {BACKGROUND} is needed")
            return names
        if BACKGROUND in names:
            raise ValueError(f"{BACKGROUND} is class 0: list it first or leave it out (it is then added at 0)")
        return [BACKGROUND, *names]

    def answer_schema(self, labels: list[str]) -> dict:
        return base_schema(
            {"mask": {"type": "string", "minLength": 1, "maxLength": MAX_MASK_BASE64_CHARS}},
            ["mask"],
        )

    def check_answer(self, answer: dict, *, labels: list[str], task_input: dict) -> None:
        """The mask decodes (``masks_png.decode_mask``) with every pixel below ``len(labels)``."""
        try:
            decode_mask(answer["mask"], n_classes=len(labels))
        except ValueError as exc:
            raise InvalidInput.for_field("answer.mask", str(exc)) from None

    def _parse(self, answer: dict, labels: list[str]) -> np.ndarray:
        return decode_mask(answer["mask"], n_classes=len(labels))

    def _fit(
        self, answers: list[np.ndarray], workers: tuple[int, ...], labels: list[str], weights: np.ndarray | None
    ) -> tuple[np.ndarray, dict, float]:
        shape = Counter(answer.shape for answer in answers).most_common(1)[0][0]
        stack = np.stack([_resized(answer, shape) for answer in answers])
        accuracy = None if weights is None else weights[np.asarray(workers, dtype=np.int64)]
        fitted = consolidate_masks(stack, n_classes=len(labels), worker_accuracy=accuracy)
        mask = fitted.mask.astype(np.uint8)
        confidence = float(np.nanmean(fitted.class_confidence))
        class_confidence = [
            None if math.isnan(value) else round(value, 6) for value in fitted.class_confidence.tolist()
        ]
        return mask, _result(mask, confidence, class_confidence), confidence

    def _calibrate(self, answered, settled, *, labels, gold, weights, worker_records, worker_gold_records):
        """Class confidences job-wide. An image with a single mask has no agreement to read: its
        classes' expected IoU comes from its worker's record (``boundary_expected_iou``: the
        record's pixel accuracy, errors along the boundaries, leaning outwards or inwards as the
        worker's gold of earlier work shows, ``GoldTally.area_error / boundary`` pixels; a worker
        without a record counts as the mean of the records given, and with no record at all the
        pixel model stands).
        An image with two masks (or three, in a job without gold) gets the even mean of the
        pixel model's expected IoU and the same record-based one, at the mean of the workers'
        records, with as many of the record's wrong pixels scattered as the workers' own masks
        show (``scattered_pixels``): masks agreeing along a boundary all drew off look certain
        to the pixel model alone.
        With gold, each gold image is consolidated as if unknown, and a Platt map from its
        classes' expected IoU to their realised IoU (soft outcomes) is fitted and applied to the
        other images' class confidences. An image's confidence is the mean over its classes."""
        records = {worker: accuracy for worker, (accuracy, count) in worker_records.items() if count > 0}
        typical = float(np.mean(list(records.values()))) if records else None
        leans = {
            worker: tally.area_error / tally.boundary
            for worker, tally in worker_gold_records.items()
            if tally.items >= LEAN_FROM_GOLD_IMAGES and tally.boundary > 0
        }

        def parsed(item) -> list[np.ndarray]:
            return [self._parse(answer, labels) for answer in item.answers]

        records_up_to = RECORDS_UP_TO_MASKS if gold else RECORDS_UP_TO_MASKS_WITHOUT_GOLD

        def expected(
            item, mask: np.ndarray, result: dict, answers: list[np.ndarray] | None = None
        ) -> list[float | None]:
            if typical is None or len(item.answers) > records_up_to:
                return result["class_confidence"]
            # One mask: its worker's record. More: the mean of their records, mixed evenly with
            # the pixel model (the records see errors the workers share, the pixel model this
            # image's disagreement).
            accuracy = float(np.mean([records.get(worker, typical) for worker in item.workers]))
            # A lone mask leans the way its worker's outlines do (gold of earlier work); two
            # masks' errors are taken as even (their leans may cancel).
            lean = leans.get(item.workers[0], 0.0) if len(item.answers) == 1 else 0.0
            # A vote of masks keeps few of each one's scattered pixels: the record's wrong pixels
            # are taken as scattered as much as the workers' own masks show (``answers``: the
            # item's masks when the caller has them parsed already).
            scattered = None
            if len(item.answers) > 1:
                masks = parsed(item) if answers is None else answers
                scattered = float(np.mean([scattered_pixels(answer, n_classes=len(labels)) for answer in masks]))
            values = boundary_expected_iou(
                mask,
                n_classes=len(labels),
                pixel_accuracy=min(max(accuracy, 0.01), 1.0),
                boundary_shift=lean,
                scattered_errors=scattered,
            )
            if len(item.answers) == 1:
                return [None if math.isnan(value) else float(value) for value in values.tolist()]
            return [
                None if math.isnan(value) or model is None else 0.5 * float(value) + 0.5 * model
                for value, model in zip(values.tolist(), result["class_confidence"], strict=True)
            ]

        guessed, realised = [], []
        for item in answered:
            if item.index not in gold:
                continue
            answers = parsed(item)
            mask, result, _ = self._fit(answers, item.workers, labels, weights)
            truth = self._parse(gold[item.index], labels)
            if truth.shape != mask.shape:
                continue
            for klass, value in enumerate(expected(item, mask, result, answers)):
                if value is not None:
                    union = np.logical_or(mask == klass, truth == klass).sum()
                    guessed.append(value)
                    realised.append(float(np.logical_and(mask == klass, truth == klass).sum() / union))
        params = platt_fit(guessed, realised) if guessed else (1.0, 0.0)
        calibrated = dict(settled)
        for item in answered:
            if item.index in gold:
                continue
            result, confidence, scores, mask = settled[item.index]
            raw = expected(item, mask, result)
            if params == (1.0, 0.0) and raw is result["class_confidence"]:
                continue
            classes = [None if value is None else round(float(platt_apply([value], params)[0]), 6) for value in raw]
            confidence = float(np.mean([value for value in classes if value is not None]))
            calibrated[item.index] = (
                {**result, "class_confidence": classes, "confidence": round(confidence, 6)},
                confidence,
                scores,
                mask,
            )
        return calibrated

    def _from_truth(self, truth: np.ndarray, answers: list[np.ndarray], labels: list[str]) -> tuple[np.ndarray, dict]:
        present = set(np.unique(truth).tolist())
        return truth, _result(truth, 1.0, [1.0 if klass in present else None for klass in range(len(labels))])

    def _score(self, answer: np.ndarray, consolidated: np.ndarray) -> float:
        return float((_resized(answer, consolidated.shape) == consolidated).mean())

    def _gold_tally(self, answer: np.ndarray, truth: np.ndarray, labels: list[str]) -> GoldTally:
        """The answer's pixels of each class but 0 minus the truth's, and the truth's boundary
        pixels of those classes (with a 4-neighbour of another class)."""
        drawn = _resized(answer, truth.shape)
        edge = boundary_pixels(truth)
        area_error = int((drawn != 0).sum()) - int((truth != 0).sum())
        return GoldTally(items=1, area_error=float(area_error), boundary=float((edge & (truth != 0)).sum()))

    def mask_png(self, result: dict) -> bytes:
        """The mask as a palette PNG: pixel values are class ids, colours the metadata's
        ``internal-color-map`` (Ground Truth's readers go by colour)."""
        n_classes = len(result["class_confidence"])
        mask = decode_mask(result["mask"], n_classes=n_classes)
        return encode_mask(mask, palette=class_colors(n_classes))

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
        """The value is ``mask_uri`` (where the caller stored ``mask_png(result)``); the
        ``internal-color-map`` has one entry per label category."""
        if not mask_uri:
            raise ValueError("semantic segmentation output needs the mask's URI")
        confidence = rounded(result["confidence"])
        metadata = {
            "internal-color-map": {
                str(class_id): {"class-name": name, "confidence": confidence, "hex-color": color}
                for class_id, (name, color) in enumerate(zip(labels, class_colors(len(labels)), strict=True))
            },
            **self.common_metadata(job_name=job_name, creation_date=creation_date, human_annotated=human_annotated),
        }
        return mask_uri, metadata

    def answer_content(self, answer: dict, *, labels: list[str]) -> dict:
        """``{"crowd-semantic-segmentation": {"inputImageProperties": {"height", "width"},
        "labelMappings": {<label>: {"color"}}, "labeledImage": {"pngImageData": <base64 PNG>}}}``.

        The PNG is the worker's mask as a palette PNG: pixel values are class ids, colours those
        of the output's ``internal-color-map``; ``labelMappings`` names the painted classes."""
        mask = decode_mask(answer["mask"], n_classes=len(labels))
        colors = class_colors(len(labels))
        painted = [klass for klass in np.unique(mask).tolist() if not (klass == 0 and labels[0] == BACKGROUND)]
        height, width = mask.shape
        return {
            "crowd-semantic-segmentation": {
                "inputImageProperties": {"height": int(height), "width": int(width)},
                "labelMappings": {labels[klass]: {"color": colors[klass]} for klass in painted},
                "labeledImage": {"pngImageData": base64.b64encode(encode_mask(mask, palette=colors)).decode("ascii")},
            }
        }

    def is_correct(self, result: dict, truth: dict, *, labels: list[str]) -> bool:
        """Same size and at least ``CORRECT_PIXEL_SHARE`` of the pixels agree."""
        expected = self._parse(truth, labels)
        got = decode_mask(result["mask"], n_classes=256)
        return got.shape == expected.shape and float((got == expected).mean()) >= CORRECT_PIXEL_SHARE


def class_colors(n: int) -> list[str]:
    """``n`` distinct ``#rrggbb`` colours, the same for every job: white for class 0, then
    hues a golden angle apart, cycling through a few saturation and brightness levels."""
    colors = [BACKGROUND_COLOR]
    seen = {BACKGROUND_COLOR}
    step = 0
    while len(colors) < n:
        hue = (step * 0.618033988749895) % 1.0
        saturation = (0.85, 0.6, 0.95)[(step // 3) % 3]
        value = (0.8, 0.6, 0.95, 0.45)[(step // 9) % 4]
        red, green, blue = colorsys.hsv_to_rgb(hue, saturation, value)
        color = f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"
        if color not in seen:
            seen.add(color)
            colors.append(color)
        step += 1
    return colors[:n]


def _resized(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if mask.shape == shape:
        return mask
    height, width = shape
    return np.asarray(Image.fromarray(mask).resize((width, height), Image.Resampling.NEAREST), dtype=np.uint8)


def _result(mask: np.ndarray, confidence: float, class_confidence: list[float | None]) -> dict:
    height, width = mask.shape
    return {
        "mask": encode_mask_base64(mask),
        "width": int(width),
        "height": int(height),
        "confidence": round(float(confidence), 6),
        "class_confidence": class_confidence,
    }
