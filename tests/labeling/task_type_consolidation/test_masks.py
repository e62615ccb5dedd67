"""Masks and semantic segmentation."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from labeling.task_types import decode_mask, encode_mask, get_task_type
from labeling.task_types.masks_png import MAX_MASK_BASE64_CHARS, encode_mask_base64
from labeling.task_types.segmentation import class_colors
from tests.labeling.task_type_consolidation.helpers import CREATED, _field_error, _is_valid, _objects, _png


def test_mask_round_trip_keeps_every_pixel():
    # given
    mask = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)

    # when
    png = encode_mask(mask)
    decoded = decode_mask(base64.b64encode(png).decode(), n_classes=3)

    # then
    assert png.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(png)).mode == "L"
    assert decoded.dtype == np.uint8
    assert decoded.tolist() == mask.tolist()


def test_decode_mask_accepts_a_data_url_and_a_palette_image():
    mask = np.array([[0, 1], [1, 0]], dtype=np.uint8)
    palette = Image.fromarray(mask, mode="L").convert("P")
    buffer = io.BytesIO()
    palette.save(buffer, format="PNG")
    assert Image.open(io.BytesIO(buffer.getvalue())).mode == "P"

    assert decode_mask(base64.b64encode(buffer.getvalue()).decode(), n_classes=2).tolist() == [[0, 1], [1, 0]]
    assert decode_mask("data:image/png;base64," + _png(mask), n_classes=2).tolist() == [[0, 1], [1, 0]]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not base64!", "is not valid base64"),
        (base64.b64encode(b"GIF89a....").decode(), "is not a PNG image"),
        (_png(np.zeros((2, 2, 3), dtype=np.uint8)), "has mode RGB; a mask must be single-channel"),
        (_png(np.zeros((1, 4097), dtype=np.uint8)), "is 4097x1 pixels; at most 4096x4096 are allowed"),
        (_png(np.array([[0, 3]], dtype=np.uint8)), "has pixel value 3; class indexes must be below 3"),
        (_png(np.zeros((4, 4), dtype=np.uint8))[:40], "is not a readable PNG (UnidentifiedImageError)"),
        ("A" * (MAX_MASK_BASE64_CHARS + 1), "is larger than 10 MB"),
    ],
)
def test_decode_mask_refuses_bad_masks(text, reason):
    with pytest.raises(ValueError) as caught:
        decode_mask(text, n_classes=3)
    assert str(caught.value).startswith(reason)


def test_truncated_png_is_refused_as_unreadable():
    png = encode_mask(np.arange(64 * 64, dtype=np.int64).reshape(64, 64) % 3)
    with pytest.raises(ValueError, match="is not a readable PNG"):
        decode_mask(base64.b64encode(png[: len(png) - 30]).decode(), n_classes=3)


def test_decode_mask_refuses_a_huge_image_before_decoding_it():
    # given: a PNG whose header claims 100,000 x 100,000 pixels
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")

    # when / then
    with pytest.raises(ValueError, match="^has too many pixels; at most 4096x4096 are allowed$"):
        decode_mask(base64.b64encode(png).decode(), n_classes=3)


def test_encode_mask_refuses_non_masks():
    with pytest.raises(ValueError, match="2-D"):
        encode_mask(np.zeros((2, 2, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="0..255"):
        encode_mask(np.array([[256]]))
    with pytest.raises(ValueError, match="integer"):
        encode_mask(np.array([[0.5]]))


def test_segmentation_schema_and_check_answer():
    labels = ["BACKGROUND", "buildings"]
    assert _is_valid("semantic_segmentation", labels, {"mask": _png(np.zeros((2, 2), dtype=np.uint8))})
    assert not _is_valid("semantic_segmentation", labels, {"mask": ""})
    assert not _is_valid("semantic_segmentation", labels, {"mask": 3})
    assert not _is_valid("semantic_segmentation", labels, {"mask": "x", "other": 1})

    fields = _field_error("semantic_segmentation", {"mask": _png(np.full((2, 2), 2, dtype=np.uint8))}, labels=labels)
    assert fields == {"answer.mask": ["has pixel value 2; class indexes must be below 2"]}


def test_segmentation_votes_per_pixel():
    # given: two identical masks and a third that differs in one pixel of 20
    task_type = get_task_type("semantic_segmentation")
    agreed = np.zeros((4, 5), dtype=np.uint8)
    agreed[1:3, 1:3] = 1
    odd = agreed.copy()
    odd[0, 0] = 2
    objects = _objects(
        ((0, 1, 2), ({"mask": _png(agreed)}, {"mask": _png(agreed)}, {"mask": _png(odd)})),
    )

    # when
    outcome = task_type.consolidate(objects, n_workers=3, labels=["road", "car", "sky"], gold={})

    # then: the vote; each class's confidence its expected IoU (high, not 1: the odd pixel
    # leaves a little doubt), the image's their mean over the classes in the mask
    result = outcome.objects[0].result
    assert decode_mask(result["mask"], n_classes=3).tolist() == agreed.tolist()
    written = Image.open(io.BytesIO(task_type.mask_png(result)))
    assert written.mode == "P"  # class ids as pixel values, the internal-color-map's colours
    assert np.asarray(written).tolist() == agreed.tolist()
    car_color = class_colors(3)[1]
    assert written.convert("RGB").getpixel((1, 1)) == tuple(int(car_color[i : i + 2], 16) for i in (1, 3, 5))
    assert (result["width"], result["height"]) == (5, 4)
    assert 0.9 < result["class_confidence"][0] < 1.0
    assert 0.9 < result["class_confidence"][1] < 1.0
    assert result["class_confidence"][2] is None
    assert outcome.objects[0].confidence == pytest.approx(np.mean(result["class_confidence"][:2]), abs=1e-6)
    assert outcome.worker_accuracy == {0: (1.0, 1), 1: (1.0, 1), 2: (0.95, 1)}


def test_segmentation_resizes_a_mask_of_another_size():
    task_type = get_task_type("semantic_segmentation")
    big = np.ones((4, 4), dtype=np.uint8)
    small = np.ones((2, 2), dtype=np.uint8)
    objects = _objects(((0, 1, 2), ({"mask": _png(big)}, {"mask": _png(big)}, {"mask": _png(small)})))

    outcome = task_type.consolidate(objects, n_workers=3, labels=["bg", "fg"], gold={})

    assert decode_mask(outcome.objects[0].result["mask"], n_classes=2).tolist() == big.tolist()
    assert outcome.worker_accuracy[2] == (1.0, 1)


def test_segmentation_output_matches_ground_truth():
    # given
    task_type = get_task_type("semantic_segmentation")
    result = {"mask": _png(np.zeros((2, 2), dtype=np.uint8)), "width": 2, "height": 2, "confidence": 0.9}
    uri = "s3://bucket/out/job/annotations/consolidated-annotation/output/0.png"

    # when
    value, metadata = task_type.output_value(
        result, labels=["BACKGROUND", "buildings"], job_name="label-city-streets", creation_date=CREATED, mask_uri=uri
    )

    # then
    assert value == uri
    assert metadata == {
        "internal-color-map": {
            "0": {"class-name": "BACKGROUND", "confidence": 0.9, "hex-color": "#ffffff"},
            "1": {"class-name": "buildings", "confidence": 0.9, "hex-color": class_colors(2)[1]},
        },
        "type": "groundtruth/semantic-segmentation",
        "human-annotated": "yes",
        "creation-date": CREATED,
        "job-name": "labeling-job/label-city-streets",
    }
    with pytest.raises(ValueError, match="needs the mask's URI"):
        task_type.output_value(result, labels=["a"], job_name="j", creation_date=CREATED)


def test_class_colors_are_distinct_hex_and_stable():
    colors = class_colors(255)
    assert len(set(colors)) == 255
    assert colors[0] == "#ffffff"
    assert "#ffffff" not in colors[1:]
    assert all(len(color) == 7 and color.startswith("#") for color in colors)
    assert class_colors(3) == colors[:3]


def test_segmentation_is_correct_needs_nine_pixels_in_ten():
    task_type = get_task_type("semantic_segmentation")
    truth = np.zeros((2, 5), dtype=np.uint8)
    one_off = truth.copy()
    one_off[0, 0] = 1
    two_off = one_off.copy()
    two_off[0, 1] = 1
    result = {"mask": encode_mask_base64(one_off)}
    assert task_type.is_correct(result, {"mask": _png(truth)}, labels=["a", "b"])
    assert not task_type.is_correct({"mask": encode_mask_base64(two_off)}, {"mask": _png(truth)}, labels=["a", "b"])


def test_other_types_have_no_mask_png():
    assert get_task_type("bounding_box").mask_png({"boxes": []}) is None
