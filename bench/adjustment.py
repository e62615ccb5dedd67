"""What the adjustment task types cost on top of their base types (issue 19).

1. Consolidation: ``--images`` box images (3 existing boxes each, 3 workers each, who keep,
   nudge, delete or add boxes at random) consolidated by ``bounding_box``, and the
   ``adjustment-status`` judgement ``bounding_box_adjustment`` adds, timed alone on the results.
2. Reading a source segmentation mask (``source_masks._class_ids``, the part after the storage
   read): a ``SIDE`` x ``SIDE`` * 3/4 mask of 6 classes as a greyscale, a palette and a colour
   PNG, per mask.

Run: ``.venv/bin/python bench/adjustment.py [--images 2000] [--masks 50]``. Prints one line per
figure; nothing is asserted.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.pop("DATABASE_URL", None)  # the embedded default: only imports are needed
os.environ.pop("REDIS_URL", None)

LABELS = ["car", "person", "bicycle"]
SIZE = {"width": 1200, "height": 900}


def _box_answers(rng: np.random.Generator, images: int) -> tuple[list[dict], list[list[dict]]]:
    inputs, answers = [], []
    for _ in range(images):
        existing = [
            {
                "label": LABELS[int(rng.integers(3))],
                "left": int(rng.integers(0, 900)),
                "top": int(rng.integers(0, 600)),
                "width": int(rng.integers(40, 300)),
                "height": int(rng.integers(40, 300)),
            }
            for _ in range(3)
        ]
        inputs.append(
            {
                "source-ref": "s3://b/x.png",
                "existing_annotation": {"boxes": existing, "image_size": SIZE},
                "existing_labels": LABELS,
            }
        )
        per_worker = []
        for _ in range(3):
            boxes = [dict(box) for box in existing]
            move = rng.random()
            if move < 0.2:
                boxes[0]["left"] = max(0, boxes[0]["left"] - 8)
            elif move < 0.3:
                boxes.pop()
            elif move < 0.4:
                boxes.append({"label": "car", "left": 1000, "top": 700, "width": 100, "height": 100})
            per_worker.append({"boxes": boxes, "image_size": SIZE})
        answers.append(per_worker)
    return inputs, answers


def _time_consolidation(type_name: str, inputs: list[dict], answers: list[list[dict]]) -> tuple[float, list]:
    from labeling.task_types import ObjectAnswers, get_task_type

    task_type = get_task_type(type_name)
    objects = [
        ObjectAnswers(
            index=i, workers=(3 * (i % 20), 3 * (i % 20) + 1, 3 * (i % 20) + 2), answers=tuple(a), task_input=t
        )
        for i, (t, a) in enumerate(zip(inputs, answers, strict=True))
    ]
    started = time.perf_counter()
    result = task_type.consolidate(objects, n_workers=60, labels=LABELS, gold={})
    return time.perf_counter() - started, list(result.objects)


def _mask_pngs(side: int) -> dict[str, bytes]:
    from labeling.task_types.segmentation import class_colors

    height, width = side * 3 // 4, side
    yy, xx = np.mgrid[0:height, 0:width]
    mask = ((xx // (width // 3)) + 3 * (yy // (height // 2))).astype(np.uint8) % 6
    colors = class_colors(6)
    rgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in colors], dtype=np.uint8)[mask]
    out = {}
    for name, image in (
        ("greyscale", Image.fromarray(mask, mode="L")),
        ("palette", _palette(mask, colors)),
        ("colour", Image.fromarray(rgb, mode="RGB")),
    ):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        out[name] = buffer.getvalue()
    return out


def _palette(mask: np.ndarray, colors: list[str]) -> Image.Image:
    image = Image.fromarray(mask, mode="L").convert("P")
    image.putpalette([int(c[i : i + 2], 16) for c in colors for i in (1, 3, 5)])
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--masks", type=int, default=50)
    parser.add_argument("--side", type=int, default=1024)
    args = parser.parse_args()
    import django

    django.setup()
    from labeling.services.source_masks import _class_ids
    from labeling.task_types.segmentation import class_colors

    rng = np.random.default_rng(7)
    inputs, answers = _box_answers(rng, args.images)
    # The whole consolidation is timed (fastest of 3: the machine is shared), and the status
    # judgement alone on its results, which is all the adjustment type adds.
    from labeling.task_types import get_task_type

    base_seconds = min(_time_consolidation("bounding_box", inputs, answers)[0] for _ in range(3))
    _, results = _time_consolidation("bounding_box_adjustment", inputs, answers)
    adjustment = get_task_type("bounding_box_adjustment")
    started = time.perf_counter()
    statuses = [adjustment.adjustment_status(item.result, inputs[item.index], LABELS) for item in results]
    status_seconds = time.perf_counter() - started
    adjusted = statuses.count("adjusted")
    print(
        f"boxes, {args.images} images x 3 workers: consolidation {base_seconds:.2f} s; adjustment-status "
        f"{1000 * status_seconds:.1f} ms ({100 * status_seconds / base_seconds:.2f}% of it); "
        f"adjusted {adjusted}, unadjusted {args.images - adjusted}"
    )
    colors = {tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)): class_id for class_id, c in enumerate(class_colors(6))}
    for name, data in _mask_pngs(args.side).items():
        started = time.perf_counter()
        for _ in range(args.masks):
            ids = _class_ids(data, colors, n_classes=6)  # type: ignore[arg-type]
        per_mask = (time.perf_counter() - started) / args.masks
        print(
            f"source mask {ids.shape[1]}x{ids.shape[0]} {name} PNG ({len(data):,} bytes): "
            f"{1000 * per_mask:.1f} ms per mask ({args.masks} masks)"
        )


if __name__ == "__main__":
    main()
