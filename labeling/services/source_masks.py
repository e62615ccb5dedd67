"""Reading a semantic segmentation record back into a mask answer (for
``semantic_segmentation_adjustment``; ``source_annotations`` calls it for
``groundtruth/semantic-segmentation`` records).

A Ground Truth segmentation record is ``"<attr>-ref": "<mask URI>"`` with
``"<attr>-ref-metadata": {"internal-color-map": {"0": {"class-name", "hex-color", ...}, ...}}``.
``read_mask_record`` fetches the PNG from the requester's registered storage (at most
``MAX_MASK_BYTES``, ``MAX_MASK_SIDE`` pixels a side) and returns the answer format,
``{"mask": <base64 8-bit greyscale PNG, one class id per pixel>}``, with the label categories
the colour map names (by class id, which must run 0..n-1). The PNG may be:

- single-channel (mode ``L``): each pixel is its class id (Groundwork's own answers);
- palette (mode ``P``): when every palette colour the mask uses is a ``hex-color`` of the map,
  pixels are read by colour (Ground Truth's readers go by colour); otherwise each palette index
  is its class id (Groundwork's output masks satisfy both: index = class id, colour = the map's);
- colour (``RGB``/``RGBA``): pixels are read by colour; a colour the map does not name is
  refused with where it is.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from marketplace.errors import DomainError

from ..storage import access_storage
from ..task_types.masks_png import MAX_MASK_BYTES, MAX_MASK_SIDE, encode_mask_base64

MASK_RECORD_TYPE = "groundtruth/semantic-segmentation"


class MaskRecordProblem(ValueError):
    """What is wrong with a segmentation record; ``key`` names the attribute at fault."""

    def __init__(self, message: str, *, key: str) -> None:
        super().__init__(message)
        self.message = message
        self.key = key


def read_mask_record(value: object, metadata: dict, *, requester_id: int, attribute: str) -> tuple[dict, list[str]]:
    """``({"mask": <base64 PNG of class ids>}, labels by class id)`` of a segmentation record
    under ``attribute``; ``MaskRecordProblem`` naming the attribute (or its metadata) otherwise.
    Reads the mask from the requester's registered storage."""
    labels, colors = _color_map(metadata, key=f"{attribute}-metadata")
    if not isinstance(value, str) or not value:
        raise MaskRecordProblem(
            f"{attribute}: must be the mask's URI (groundtruth/semantic-segmentation)", key=attribute
        )
    try:
        data = access_storage(requester_id, value, field=attribute).read_bytes(max_bytes=MAX_MASK_BYTES)
    except DomainError as exc:  # not registered, unreachable, missing or too large
        raise MaskRecordProblem(f"{attribute}: the mask could not be read: {exc.message}", key=attribute) from None
    try:
        pixels = _class_ids(data, colors, n_classes=len(labels))
    except ValueError as exc:
        raise MaskRecordProblem(f"{attribute}: the mask at {value} {exc}", key=attribute) from None
    return {"mask": encode_mask_base64(pixels)}, labels


def _color_map(metadata: dict, *, key: str) -> tuple[list[str], dict[tuple[int, int, int], int]]:
    """The class names by id and the colour of each id, from ``internal-color-map``."""
    color_map = metadata.get("internal-color-map")
    if not isinstance(color_map, dict) or not color_map:
        raise MaskRecordProblem(f"{key}: needs the internal-color-map naming each class id", key=key)
    names: dict[int, str] = {}
    colors: dict[tuple[int, int, int], int] = {}
    for class_key, entry in color_map.items():
        if not (isinstance(class_key, str) and class_key.isdigit()) or not isinstance(entry, dict):
            raise MaskRecordProblem(f"{key}: internal-color-map entry {class_key!r} is not a class id's", key=key)
        name = entry.get("class-name")
        if not isinstance(name, str) or not name:
            raise MaskRecordProblem(f"{key}: class {class_key} has no class-name", key=key)
        names[int(class_key)] = name
        color = _rgb(entry.get("hex-color"))
        if color is not None:
            colors.setdefault(color, int(class_key))
    if sorted(names) != list(range(len(names))):
        raise MaskRecordProblem(f"{key}: internal-color-map must name classes 0 to {len(names) - 1}", key=key)
    if len(names) > 255:
        raise MaskRecordProblem(f"{key}: at most 255 classes", key=key)
    return [names[class_id] for class_id in range(len(names))], colors


def _rgb(text: object) -> tuple[int, int, int] | None:
    if not isinstance(text, str) or len(text) != 7 or not text.startswith("#"):
        return None
    try:
        return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)
    except ValueError:
        return None


def _class_ids(data: bytes, colors: dict[tuple[int, int, int], int], *, n_classes: int) -> np.ndarray:
    """The ``(height, width)`` class ids of a mask PNG (see the module doc); ``ValueError``
    with a reason (completing "the mask at <URI> ...")."""
    try:
        image = Image.open(io.BytesIO(data), formats=["PNG"])
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValueError("is not a readable PNG") from None
    width, height = image.size
    if not (1 <= width <= MAX_MASK_SIDE and 1 <= height <= MAX_MASK_SIDE):
        raise ValueError(f"is {width}x{height} pixels; at most {MAX_MASK_SIDE}x{MAX_MASK_SIDE} are allowed")
    try:
        if image.mode == "L":
            ids = np.asarray(image, dtype=np.uint8)
        elif image.mode == "P":
            indexes = np.asarray(image, dtype=np.uint8)
            palette = np.asarray(image.getpalette("RGB") or [], dtype=np.int64)
            ids = _palette_ids(indexes, palette.reshape(-1, 3), colors)
        elif image.mode in ("RGB", "RGBA"):
            ids = _color_ids(np.asarray(image.convert("RGB"), dtype=np.int64), colors)
        else:
            raise ValueError(f"has mode {image.mode}; a mask is single-channel, palette or RGB")
    except (OSError, SyntaxError, EOFError) as exc:
        raise ValueError(f"is not a readable PNG ({exc.__class__.__name__})") from None
    highest = int(ids.max())
    if highest >= n_classes:
        raise ValueError(f"has class {highest}, which the internal-color-map does not name")
    return ids


def _palette_ids(indexes: np.ndarray, palette: np.ndarray, colors: dict[tuple[int, int, int], int]) -> np.ndarray:
    used = np.unique(indexes).tolist()
    if palette.shape[0] > max(used) and all(tuple(palette[index].tolist()) in colors for index in used):
        lookup = np.zeros(256, dtype=np.uint8)
        for index in used:
            lookup[index] = colors[tuple(palette[index].tolist())]
        return lookup[indexes]
    return indexes


def _color_ids(rgb: np.ndarray, colors: dict[tuple[int, int, int], int]) -> np.ndarray:
    """Each pixel's class by its colour: a binary search among the map's few colours (sorting the
    image's pixels instead would cost a sort of the whole image)."""
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    by_color = sorted(((red << 16) | (green << 8) | blue, class_id) for (red, green, blue), class_id in colors.items())
    keys = np.array([key for key, _ in by_color], dtype=np.int64)
    ids = np.array([class_id for _, class_id in by_color], dtype=np.uint8)
    position = np.minimum(np.searchsorted(keys, packed), keys.size - 1)
    unknown = keys[position] != packed
    if unknown.any():
        row, column = np.argwhere(unknown)[0].tolist()
        color = int(packed[row, column])
        raise ValueError(f"has colour #{color:06x} at ({column}, {row}), which the internal-color-map does not name")
    return ids[position]
