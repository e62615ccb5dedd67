"""Simulated truth and answers, per task type: a worker of accuracy p answers right with
probability p."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from tests.labeling.simulation.output_records import encode_png_base64


def answer_label(truth: str, labels: Sequence[str], accuracy: float, rng: np.random.Generator) -> str:
    """Right with probability ``accuracy``, otherwise one of the other labels at random."""
    if rng.random() < accuracy:
        return truth
    others = [name for name in labels if name != truth]
    return others[int(rng.integers(len(others)))]


def answer_labels(truth: set[str], labels: Sequence[str], accuracy: float, rng: np.random.Generator) -> list[str]:
    """Each label judged right (present or absent) with probability ``accuracy``."""
    return [name for name in labels if (name in truth) == (rng.random() < accuracy)]


def truth_boxes(rng: np.random.Generator, labels: Sequence[str], size: dict) -> list[dict]:
    """One to three boxes of 14-36 pixels inside the image."""
    boxes = []
    for _ in range(int(rng.integers(1, 4))):
        width, height = int(rng.integers(14, 37)), int(rng.integers(14, 37))
        boxes.append(
            {
                "label": labels[int(rng.integers(len(labels)))],
                "left": int(rng.integers(0, size["width"] - width + 1)),
                "top": int(rng.integers(0, size["height"] - height + 1)),
                "width": width,
                "height": height,
            }
        )
    return boxes


def _inside(left: float, top: float, right: float, bottom: float, size: dict) -> dict:
    """A box with whole-pixel corners, at least one pixel a side, inside the image."""
    x0, x1 = sorted((round(left), round(right)))
    y0, y1 = sorted((round(top), round(bottom)))
    x0, y0 = min(max(x0, 0), size["width"] - 1), min(max(y0, 0), size["height"] - 1)
    x1, y1 = min(max(x1, x0 + 1), size["width"]), min(max(y1, y0 + 1), size["height"])
    return {"left": x0, "top": y0, "width": x1 - x0, "height": y1 - y0}


def answer_boxes(
    truth: list[dict], size: dict, labels: Sequence[str], accuracy: float, rng: np.random.Generator
) -> dict:
    """Each true box drawn tightly (jitter of 1.5 px) with probability ``accuracy``; otherwise
    missed, drawn sloppily (shifted by 70% of its width, IoU below 0.5) or with the wrong label.
    Sometimes a spurious box too."""
    drawn = []
    for box in truth:
        right, bottom = box["left"] + box["width"], box["top"] + box["height"]
        if rng.random() < accuracy:
            jitter = rng.normal(0.0, 1.5, size=4)
            drawn.append(
                {
                    "label": box["label"],
                    **_inside(
                        box["left"] + jitter[0], box["top"] + jitter[1], right + jitter[2], bottom + jitter[3], size
                    ),
                }
            )
            continue
        mistake = int(rng.integers(3))
        if mistake == 1:
            shift = 0.7 * box["width"] * (1 if box["left"] + 1.7 * box["width"] <= size["width"] else -1)
            drawn.append(
                {"label": box["label"], **_inside(box["left"] + shift, box["top"], right + shift, bottom, size)}
            )
        elif mistake == 2:
            drawn.append(
                {
                    "label": answer_label(box["label"], labels, 0.0, rng),
                    **{key: box[key] for key in ("left", "top", "width", "height")},
                }
            )
    if rng.random() < (1.0 - accuracy) * 0.5:
        drawn.append(
            {
                "label": labels[int(rng.integers(len(labels)))],
                "left": int(rng.integers(0, size["width"] - 20)),
                "top": int(rng.integers(0, size["height"] - 20)),
                "width": 20,
                "height": 20,
            }
        )
    return {"boxes": drawn, "image_size": dict(size)}


WORDS = (
    "river",
    "stone",
    "market",
    "signal",
    "orbit",
    "garden",
    "copper",
    "lantern",
    "harbor",
    "meadow",
    "violet",
    "summit",
    "canyon",
    "ember",
    "falcon",
    "glacier",
    "island",
    "jasmine",
    "kernel",
    "lotus",
)


def truth_text(rng: np.random.Generator, number: int, labels: Sequence[str]) -> tuple[str, list[dict]]:
    """A text of 12-18 words after a unique ``doc-N:`` tag, with one to three entities of one
    or two words each (never overlapping)."""
    words = [f"doc-{number}:"] + [WORDS[int(i)] for i in rng.integers(len(WORDS), size=int(rng.integers(12, 19)))]
    starts = np.cumsum([0] + [len(word) + 1 for word in words[:-1]]).tolist()
    taken: set[int] = {0}
    entities = []
    for _ in range(int(rng.integers(1, 4))):
        first = int(rng.integers(1, len(words) - 1))
        length = int(rng.integers(1, 3))
        span = set(range(first, first + length))
        if span & taken or first + length > len(words):
            continue
        taken |= span | {first - 1, first + length}  # keep a word between entities
        last = first + length - 1
        entities.append(
            {
                "label": labels[int(rng.integers(len(labels)))],
                "start": starts[first],
                "end": starts[last] + len(words[last]),
            }
        )
    return " ".join(words), sorted(entities, key=lambda entity: entity["start"])


def answer_entities(
    text: str, truth: list[dict], labels: Sequence[str], accuracy: float, rng: np.random.Generator
) -> dict:
    """Each entity marked exactly with probability ``accuracy``; otherwise missed, cut one
    character short, or given the wrong label. Sometimes a spurious one-word entity too."""
    marked = []
    for entity in truth:
        if rng.random() < accuracy:
            marked.append(dict(entity))
            continue
        mistake = int(rng.integers(3))
        if mistake == 1:
            marked.append({**entity, "end": entity["end"] - 1})
        elif mistake == 2:
            marked.append({**entity, "label": answer_label(entity["label"], labels, 0.0, rng)})
    if rng.random() < (1.0 - accuracy) * 0.5:
        covered = {offset for entity in truth for offset in range(entity["start"], entity["end"])}
        free = [match.span() for match in re.finditer(r"[a-z]+", text) if match.start() not in covered]
        start, end = free[int(rng.integers(len(free)))]
        marked.append({"label": labels[int(rng.integers(len(labels)))], "start": start, "end": end})
    unique = {(entity["label"], entity["start"], entity["end"]): entity for entity in marked}
    return {"entities": list(unique.values())}


def truth_mask(rng: np.random.Generator, n_classes: int, side: int) -> np.ndarray:
    """Background (class 0) with one rectangle of each other class drawn over it."""
    mask = np.zeros((side, side), dtype=np.uint8)
    for class_id in range(1, n_classes):
        height, width = int(rng.integers(4, side // 2 + 1)), int(rng.integers(4, side // 2 + 1))
        top, left = int(rng.integers(0, side - height + 1)), int(rng.integers(0, side - width + 1))
        mask[top : top + height, left : left + width] = class_id
    return mask


def answer_mask(truth: np.ndarray, n_classes: int, accuracy: float, rng: np.random.Generator) -> dict:
    """Each pixel right with probability ``accuracy``, otherwise another class at random."""
    wrong = rng.random(truth.shape) >= accuracy
    offset = rng.integers(1, n_classes, size=truth.shape)
    mask = np.where(wrong, (truth + offset) % n_classes, truth).astype(np.uint8)
    return {"mask": encode_png_base64(mask)}
