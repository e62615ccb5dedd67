"""Reading a segmentation record's mask back into the answer format (source_masks.py): the
masks Groundwork writes (palette, index = class id), Ground Truth's colour masks, and the reasons
a record is refused."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from labeling.services.source_masks import MaskRecordProblem, read_mask_record
from labeling.services.storage_registration import storage_register
from labeling.task_types import decode_mask, encode_mask
from labeling.task_types.segmentation import class_colors

ATTRIBUTE = "city-ref"
CLASSES = np.array([[0, 1, 1], [2, 2, 0]], dtype=np.uint8)


def color_map(names: list[str], colors: list[str]) -> dict:
    return {
        "internal-color-map": {
            str(class_id): {"class-name": name, "confidence": 0.9, "hex-color": color}
            for class_id, (name, color) in enumerate(zip(names, colors, strict=True))
        },
        "type": "groundtruth/semantic-segmentation",
    }


@pytest.fixture
def masks(storage_root, requester):
    (storage_root / "masks").mkdir()
    storage_register(organization=requester.organization, uri_prefix="file://masks/")

    def put(name: str, data: bytes) -> str:
        (storage_root / "masks" / name).write_bytes(data)
        return f"file://masks/{name}"

    return put


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def read(uri: object, metadata: dict, requester) -> tuple[dict, list[str]]:
    return read_mask_record(uri, metadata, requester_id=requester.organization.pk, attribute=ATTRIBUTE)


def test_a_mask_groundwork_wrote_reads_back_as_the_class_ids(masks, requester):
    # given: the output mask of a segmentation job (palette PNG in its colour map's colours),
    # and a greyscale one (a worker's answer)
    labels = ["BACKGROUND", "road", "car"]
    written = masks("0.png", encode_mask(CLASSES, palette=class_colors(3)))
    grey = masks("1.png", encode_mask(CLASSES))
    # a palette whose colours the map does not name: its indexes are the class ids
    other_palette = masks("2.png", encode_mask(CLASSES, palette=["#000000", "#101010", "#202020"]))

    for uri in (written, grey, other_palette):
        # when
        answer, read_labels = read(uri, color_map(labels, class_colors(3)), requester)

        # then
        assert read_labels == labels
        assert decode_mask(answer["mask"], n_classes=3).tolist() == CLASSES.tolist(), uri


def test_a_colour_mask_is_read_by_its_colour_map(masks, requester):
    # given: Ground Truth's style, an RGB PNG painted with the map's colours
    colors = ["#ffffff", "#2acf59", "#1f77b4"]
    rgb = np.array([[[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in (colors[v] for v in row)] for row in CLASSES])
    uri = masks("rgb.png", png(Image.fromarray(rgb.astype(np.uint8), mode="RGB")))

    answer, labels = read(uri, color_map(["BACKGROUND", "buildings", "sky"], colors), requester)

    assert labels == ["BACKGROUND", "buildings", "sky"]
    assert decode_mask(answer["mask"], n_classes=3).tolist() == CLASSES.tolist()


def test_a_colour_the_map_does_not_name_is_refused_with_where_it_is(masks, requester):
    rgb = np.full((2, 3, 3), 255, dtype=np.uint8)
    rgb[1, 2] = (1, 2, 3)
    uri = masks("odd.png", png(Image.fromarray(rgb, mode="RGB")))

    with pytest.raises(MaskRecordProblem) as caught:
        read(uri, color_map(["BACKGROUND", "road"], ["#ffffff", "#2acf59"]), requester)

    assert caught.value.key == ATTRIBUTE
    assert caught.value.message == (
        f"{ATTRIBUTE}: the mask at {uri} has colour #010203 at (2, 1), which the internal-color-map does not name"
    )


def test_a_mask_outside_the_registered_storage_or_missing_is_refused_naming_the_attribute(masks, requester):
    with pytest.raises(MaskRecordProblem) as outside:
        read("file://elsewhere/0.png", color_map(["BACKGROUND", "road"], ["#ffffff", "#2acf59"]), requester)
    with pytest.raises(MaskRecordProblem) as missing:
        read("file://masks/none.png", color_map(["BACKGROUND", "road"], ["#ffffff", "#2acf59"]), requester)

    assert outside.value.key == missing.value.key == ATTRIBUTE
    assert outside.value.message.startswith(f"{ATTRIBUTE}: the mask could not be read: ")
    assert "none.png" in missing.value.message


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({}, "city-ref-metadata: needs the internal-color-map naming each class id"),
        (
            {"internal-color-map": {"0": {"class-name": "BACKGROUND"}, "2": {"class-name": "car"}}},
            "city-ref-metadata: internal-color-map must name classes 0 to 1",
        ),
        ({"internal-color-map": {"0": {"hex-color": "#ffffff"}}}, "city-ref-metadata: class 0 has no class-name"),
    ],
)
def test_a_colour_map_that_cannot_name_the_classes_is_refused(masks, requester, metadata, message):
    uri = masks("0.png", encode_mask(CLASSES))

    with pytest.raises(MaskRecordProblem) as caught:
        read(uri, metadata, requester)

    assert caught.value.message == message
    assert caught.value.key == f"{ATTRIBUTE}-metadata"


def test_a_class_beyond_the_colour_map_is_refused(masks, requester):
    uri = masks("0.png", encode_mask(CLASSES))

    with pytest.raises(MaskRecordProblem) as caught:
        read(uri, color_map(["BACKGROUND", "road"], ["#ffffff", "#2acf59"]), requester)

    assert caught.value.message.endswith("has class 2, which the internal-color-map does not name")
