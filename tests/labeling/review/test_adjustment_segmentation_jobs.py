"""A segmentation adjustment job end to end: the existing masks are read from the source
records' URIs (a Groundwork palette mask and a Ground Truth colour mask), shown to workers as
class-id masks, repainted or kept, and written as masks with ``adjustment-status``."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from labeling.task_types import decode_mask, encode_mask
from labeling.task_types.masks_png import encode_mask_base64
from labeling.task_types.segmentation import class_colors
from tests.labeling.jobs_lifecycle.helpers import manifest, output_lines, start_job
from tests.labeling.review.helpers import answer_every_offer, finished

pytestmark = pytest.mark.django_db

SOURCE_LABELS = ["BACKGROUND", "road", "car"]
GT_COLORS = ["#ffffff", "#2acf59", "#1f77b4"]


def source_mask(offset: int) -> np.ndarray:
    mask = np.zeros((30, 40), dtype=np.uint8)
    mask[5:15, 5 + offset : 20 + offset] = 1
    mask[18:28, 20:35] = 2
    return mask


def colour_png(mask: np.ndarray, colors: list[str]) -> bytes:
    rgb = np.array([[int(color[i : i + 2], 16) for i in (1, 3, 5)] for color in colors], dtype=np.uint8)[mask]
    buffer = io.BytesIO()
    Image.fromarray(rgb, mode="RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def record_line(bucket, number: int, mask_uri: str, colors: list[str]) -> dict:
    return {
        "source-ref": bucket.uri(f"city/{number}.png"),
        "city-ref": mask_uri,
        "city-ref-metadata": {
            "internal-color-map": {
                str(class_id): {"class-name": name, "confidence": 0.8, "hex-color": color}
                for class_id, (name, color) in enumerate(zip(SOURCE_LABELS, colors, strict=True))
            },
            "type": "groundtruth/semantic-segmentation",
            "human-annotated": "yes",
            "creation-date": "2018-10-18T22:18:13.527256",
            "job-name": "labeling-job/label-city-streets",
        },
    }


def test_a_segmentation_adjustment_job_reads_the_source_masks_and_writes_the_adjusted_ones(
    requester, bucket, make_worker
):
    # given: image 0's mask as Groundwork writes it (palette), image 1's as Ground Truth colours
    # it; the job lists car before road
    bucket.put("city/masks/0.png", encode_mask(source_mask(0), palette=class_colors(3)))
    bucket.put("city/masks/1.png", colour_png(source_mask(10), GT_COLORS))
    lines = [
        record_line(bucket, 0, bucket.uri("city/masks/0.png"), class_colors(3)),
        record_line(bucket, 1, bucket.uri("city/masks/1.png"), GT_COLORS),
    ]
    bucket.put("city/in.jsonl", manifest(lines))
    job = start_job(
        requester,
        {
            "name": "fix-city",
            "task_type": "semantic_segmentation_adjustment",
            "label_attribute_name": "fixed-city-ref",
            "source_label_attribute_name": "city-ref",
            "label_categories": ["car", "road"],
            "input_manifest_uri": bucket.uri("city/in.jsonl"),
            "output_uri": bucket.uri("out/"),
            "title": "Fix the masks",
            "reward": "0.05",
            "workers_per_object": 1,
        },
    )
    assert job["label_categories"] == ["BACKGROUND", "car", "road"]
    shown: dict[int, np.ndarray] = {}

    def repaint(task_input: dict) -> dict:
        """Keep image 0's mask; on image 1 paint the car over the road too. In job ids."""
        number = int(task_input["source-url"].split("?")[0].rsplit("/", 1)[1].split(".")[0])
        assert task_input["existing_labels"] == SOURCE_LABELS
        existing = decode_mask(task_input["existing_annotation"]["mask"], n_classes=3)
        shown[number] = existing
        in_job_ids = np.array([0, 2, 1], dtype=np.uint8)[existing]
        if number == 1:
            in_job_ids[in_job_ids == 2] = 1
        return {"mask": encode_mask_base64(in_job_ids)}

    # when
    assert len(answer_every_offer(make_worker(), repaint)) == 2
    job = finished(requester, job["id"])

    # then: the workers were shown the source masks as class ids of the source's categories
    assert shown[0].tolist() == source_mask(0).tolist()
    assert shown[1].tolist() == source_mask(10).tolist()
    written = output_lines(bucket, job)
    assert [line["fixed-city-ref-metadata"]["adjustment-status"] for line in written] == ["unadjusted", "adjusted"]
    for number, line in enumerate(written):
        metadata = line["fixed-city-ref-metadata"]
        assert metadata["type"] == "groundtruth/semantic-segmentation"
        assert [entry["class-name"] for entry in metadata["internal-color-map"].values()] == [
            "BACKGROUND",
            "car",
            "road",
        ]
        assert line["city-ref"] == lines[number]["city-ref"]
        png = bucket.get(line["fixed-city-ref"].removeprefix(bucket.uri()))
        mask = decode_mask(base64.b64encode(png).decode(), n_classes=3)
        expected = np.array([0, 2, 1], dtype=np.uint8)[source_mask(10 * number)]
        if number == 1:
            expected[expected == 2] = 1
        assert mask.tolist() == expected.tolist()
