"""Segmentation masks as PNG: one class index per pixel.

A mask travels as base64 of a PNG (optionally as a ``data:image/png;base64,`` URL, what a
browser canvas's ``toDataURL`` gives). It must be a single-channel image, mode ``"L"``
(8-bit greyscale) or ``"P"`` (palette: the palette index is the class), whose every pixel value
is a class index below the number of label categories. RGB and other modes are refused: a
colour mask would need a colour-to-class map, and Groundwork's masks are class indexes.

Limits, checked before any pixel is decoded: ``MAX_MASK_BYTES`` (10 MB) of PNG, and
``MAX_MASK_SIDE`` (4,096) pixels a side, so one decoded mask is at most 16 MB.
"""

from __future__ import annotations

import base64
import binascii
import io
import re

import numpy as np
from PIL import Image

MAX_MASK_BYTES = 10 * 1024 * 1024
MAX_MASK_SIDE = 4096
# base64 is 4 characters per 3 bytes; a little room for line breaks and a data URL prefix.
MAX_MASK_BASE64_CHARS = (MAX_MASK_BYTES + 2) // 3 * 4 + 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_DATA_URL = re.compile(r"^data:image/png;base64,", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def decode_mask(b64: str, *, n_classes: int) -> np.ndarray:
    """The ``(height, width)`` uint8 class-index array of a base64 PNG mask.

    Raises ``ValueError`` with a reason a worker can act on: not base64, not a PNG, too large,
    not single-channel, unreadable, or a pixel value ``>= n_classes``.
    """
    if not isinstance(b64, str):
        raise ValueError("must be a base64 string")
    if len(b64) > MAX_MASK_BASE64_CHARS:
        raise ValueError(f"is larger than {MAX_MASK_BYTES // (1024 * 1024)} MB")
    text = _WHITESPACE.sub("", _DATA_URL.sub("", b64, count=1))
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not valid base64") from None
    if len(data) > MAX_MASK_BYTES:
        raise ValueError(f"is larger than {MAX_MASK_BYTES // (1024 * 1024)} MB")
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("is not a PNG image")
    try:
        image = Image.open(io.BytesIO(data), formats=["PNG"])
    except Image.DecompressionBombError:
        raise ValueError(f"has too many pixels; at most {MAX_MASK_SIDE}x{MAX_MASK_SIDE} are allowed") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"is not a readable PNG ({exc.__class__.__name__})") from None
    width, height = image.size
    # Checked before decoding: 4096 x 4096 is far below Pillow's decompression-bomb limit.
    if not (1 <= width <= MAX_MASK_SIDE and 1 <= height <= MAX_MASK_SIDE):
        raise ValueError(f"is {width}x{height} pixels; at most {MAX_MASK_SIDE}x{MAX_MASK_SIDE} are allowed")
    if image.mode not in ("L", "P"):
        raise ValueError(
            f"has mode {image.mode}; a mask must be single-channel (mode L or P), one class index per pixel"
        )
    try:
        image.load()
        pixels = np.asarray(image, dtype=np.uint8)
    except (OSError, SyntaxError, EOFError, ValueError) as exc:
        raise ValueError(f"is not a readable PNG ({exc.__class__.__name__})") from None
    if pixels.shape != (height, width):
        raise ValueError("is not a single-channel image")
    highest = int(pixels.max())
    if highest >= n_classes:
        raise ValueError(f"has pixel value {highest}; class indexes must be below {n_classes}")
    return pixels


def encode_mask(array: np.ndarray, *, palette: list[str] | None = None) -> bytes:
    """PNG bytes of a 2-D array of class indexes in 0..255: mode ``"L"``, or with ``palette``
    (``#rrggbb`` per class index) mode ``"P"``, whose pixel values are still the class indexes
    and whose colours are the palette's, so a reader may go by either."""
    pixels = np.asarray(array)
    if pixels.ndim != 2 or pixels.size == 0:
        raise ValueError(f"a mask must be a non-empty 2-D array, got shape {pixels.shape}")
    if pixels.dtype.kind not in "iub":
        raise ValueError(f"a mask must hold integer class indexes, got dtype {pixels.dtype}")
    if pixels.min() < 0 or pixels.max() > 255:
        raise ValueError("mask class indexes must be in 0..255")
    image = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8))
    if palette is not None:
        image = image.convert("P")
        image.putpalette([int(color[i : i + 2], 16) for color in palette for i in (1, 3, 5)])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def encode_mask_base64(array: np.ndarray) -> str:
    """``encode_mask`` as a base64 string (the answer and result format)."""
    return base64.b64encode(encode_mask(array)).decode("ascii")
