"""Features for the automation model, one kind per job: text, image, embedding or prediction.

Every builder is a pure function of the objects it is given (no vocabulary, no fitted state), so a
round can featurize any subset of a job's objects at any time and get the same rows, and the
exported model card can say exactly how to rebuild them.

- ``text``: hashed word 1-2-grams and hashed character 3-4-grams within word boundaries
  (scikit-learn's ``HashingVectorizer``, non-negative counts, each block L2-normalised), stacked
  side by side: 2**18 + 2**18 sparse columns. Hash collisions are rare at that width; words never
  seen in the labeled objects simply carry no weight.
- ``image``: from the image bytes with Pillow and numpy: the grayscale picture shrunk to 16x16
  and contrast-stretched (256 values), a 4x4 grid of 8-bin gradient-orientation histograms
  weighted by gradient magnitude (128, a small HOG), and an 8-bin histogram per RGB channel (24).
  These see shape and colour at thumbnail scale, no more: they separate digits, glyphs, simple
  icons and colour-coded classes; they do not recognise objects in photographs. There the model
  simply proves little on validation and machine-labels little (bring an ``embedding_key``).
- ``embedding``: the requester's vectors, as given (one length for every object, finite).
- ``prediction``: the requester's model's class probabilities, a list in label-category order or
  an object by label name; each row must be non-negative, finite and sum to a positive number
  (it is normalised). These are calibrated and thresholded, never trained on.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError
from sklearn.feature_extraction.text import HashingVectorizer

FeatureKind = Literal["text", "image", "embedding", "prediction"]
Features: TypeAlias = NDArray[np.float64] | sp.csr_matrix

TEXT_WORD_NGRAMS = (1, 2)
TEXT_CHAR_NGRAMS = (3, 4)
TEXT_HASH_FEATURES = 2**18  # per block (words, characters)
IMAGE_SIDE = 16
IMAGE_GRID = 4
IMAGE_ORIENTATIONS = 8
IMAGE_COLOUR_BINS = 8
# A decompression bomb guard: images are shrunk at once, but Pillow must not open a huge one.
IMAGE_MAX_PIXELS = 64_000_000


class FeatureError(ValueError):
    """An object whose input cannot be turned into features; ``index`` is its position in the
    sequence given to ``build_features`` (the caller maps it back to a manifest line)."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(f"object {index}: {message}")
        self.index = index
        self.reason = message


@dataclass(frozen=True)
class FeatureSpec:
    """How a job's objects become features. ``class_names`` (label-category order) is needed for
    ``prediction`` inputs given as an object by label; ``dimension`` optionally fixes an
    embedding's length (else the first object's length is the rule)."""

    kind: FeatureKind
    class_names: tuple[str, ...] = field(default=())
    dimension: int | None = None

    def describe(self) -> dict[str, Any]:
        """The recipe, for the exported model card."""
        if self.kind == "text":
            return {
                "kind": "text",
                "vectorizer": "sklearn.feature_extraction.text.HashingVectorizer",
                "blocks": [
                    {"analyzer": "word", "ngram_range": list(TEXT_WORD_NGRAMS), "n_features": TEXT_HASH_FEATURES},
                    {"analyzer": "char_wb", "ngram_range": list(TEXT_CHAR_NGRAMS), "n_features": TEXT_HASH_FEATURES},
                ],
                "alternate_sign": False,
                "norm": "l2 per block",
                "lowercase": True,
            }
        if self.kind == "image":
            return {
                "kind": "image",
                "blocks": [
                    f"grayscale {IMAGE_SIDE}x{IMAGE_SIDE}, autocontrast, scaled to [0, 1]",
                    f"{IMAGE_GRID}x{IMAGE_GRID} grid of {IMAGE_ORIENTATIONS}-bin gradient orientation histograms",
                    f"{IMAGE_COLOUR_BINS}-bin histogram per RGB channel",
                ],
            }
        return {"kind": self.kind, "dimension": self.dimension, "class_names": list(self.class_names)}


def _word_vectorizer() -> HashingVectorizer:
    return HashingVectorizer(
        analyzer="word", ngram_range=TEXT_WORD_NGRAMS, n_features=TEXT_HASH_FEATURES, alternate_sign=False, norm="l2"
    )


def _char_vectorizer() -> HashingVectorizer:
    return HashingVectorizer(
        analyzer="char_wb", ngram_range=TEXT_CHAR_NGRAMS, n_features=TEXT_HASH_FEATURES, alternate_sign=False, norm="l2"
    )


def text_features(texts: Sequence[str]) -> sp.csr_matrix:
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise FeatureError(index, f"text must be a string, got {type(text).__name__}")
    words = _word_vectorizer().transform(texts)
    chars = _char_vectorizer().transform(texts)
    return sp.hstack([words, chars], format="csr", dtype=np.float64)


def _image_row(data: bytes) -> NDArray[np.float64]:
    with Image.open(io.BytesIO(data)) as opened:
        if opened.width * opened.height > IMAGE_MAX_PIXELS:
            raise ValueError(f"image of {opened.width}x{opened.height} pixels is too large")
        image = opened.convert("RGB")
    image.thumbnail((256, 256))  # every later step works at thumbnail scale
    rgb = np.asarray(image, dtype=np.float64) / 255.0
    colour = np.concatenate(
        [np.histogram(rgb[..., c], bins=IMAGE_COLOUR_BINS, range=(0.0, 1.0))[0] for c in range(3)]
    ).astype(np.float64) / (rgb.shape[0] * rgb.shape[1])

    gray_image = ImageOps.autocontrast(image.convert("L"))
    small = np.asarray(gray_image.resize((IMAGE_SIDE, IMAGE_SIDE), Image.Resampling.BOX), dtype=np.float64) / 255.0

    side = IMAGE_GRID * 8  # gradients on a 32x32 copy: 8x8 pixels per grid cell
    gray = np.asarray(gray_image.resize((side, side), Image.Resampling.BILINEAR), dtype=np.float64) / 255.0
    gy, gx = np.gradient(gray)
    magnitude = np.hypot(gx, gy)
    orientation = np.mod(np.arctan2(gy, gx), np.pi)  # unsigned: a stroke's two sides count alike
    bins = np.minimum((orientation / np.pi * IMAGE_ORIENTATIONS).astype(np.int64), IMAGE_ORIENTATIONS - 1)
    cell = (np.arange(side) // 8)[:, None] * IMAGE_GRID + (np.arange(side) // 8)[None, :]
    hog = np.bincount(
        (cell * IMAGE_ORIENTATIONS + bins).ravel(),
        weights=magnitude.ravel(),
        minlength=IMAGE_GRID * IMAGE_GRID * IMAGE_ORIENTATIONS,
    )
    hog = hog / (np.linalg.norm(hog) + 1e-9)
    return np.concatenate([small.ravel(), hog, colour])


def image_features(images: Sequence[bytes]) -> NDArray[np.float64]:
    rows = []
    for index, data in enumerate(images):
        try:
            rows.append(_image_row(data))
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
            raise FeatureError(index, f"not a readable image ({error})") from error
    width = IMAGE_SIDE * IMAGE_SIDE + IMAGE_GRID * IMAGE_GRID * IMAGE_ORIENTATIONS + 3 * IMAGE_COLOUR_BINS
    return np.vstack(rows) if rows else np.zeros((0, width))


def _finite_vector(index: int, value: object, what: str) -> NDArray[np.float64]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise FeatureError(index, f"{what} must be a list of numbers")
    try:
        vector = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise FeatureError(index, f"{what} must be a list of numbers") from error
    if vector.ndim != 1 or vector.size == 0:
        raise FeatureError(index, f"{what} must be a non-empty flat list of numbers")
    if not np.all(np.isfinite(vector)):
        raise FeatureError(index, f"{what} must hold finite numbers")
    return vector


def embedding_features(vectors: Sequence[object], dimension: int | None = None) -> NDArray[np.float64]:
    rows = []
    for index, value in enumerate(vectors):
        vector = _finite_vector(index, value, "an embedding")
        if dimension is None:
            dimension = vector.size
        if vector.size != dimension:
            raise FeatureError(index, f"an embedding must have {dimension} numbers, got {vector.size}")
        rows.append(vector)
    return np.vstack(rows) if rows else np.zeros((0, dimension or 0))


def prediction_features(predictions: Sequence[object], class_names: Sequence[str]) -> NDArray[np.float64]:
    k = len(class_names)
    if k < 2:
        raise ValueError("prediction features need the job's label categories (at least 2)")
    position = {name: i for i, name in enumerate(class_names)}
    rows = np.zeros((len(predictions), k))
    for index, value in enumerate(predictions):
        if isinstance(value, Mapping):
            unknown = sorted(set(map(str, value)) - set(position))
            if unknown:
                raise FeatureError(index, f"predictions name unknown labels {unknown[:3]}")
            vector = np.zeros(k)
            for name, probability in value.items():
                vector[position[str(name)]] = _finite_vector(index, [probability], "a prediction")[0]
        else:
            vector = _finite_vector(index, value, "a prediction")
            if vector.size != k:
                raise FeatureError(
                    index, f"a prediction must have {k} probabilities (one per label), got {vector.size}"
                )
        if vector.min() < 0 or vector.sum() <= 0:
            raise FeatureError(index, "probabilities must be non-negative with a positive sum")
        rows[index] = vector / vector.sum()
    return rows


def build_features(spec: FeatureSpec, inputs: Sequence[Any]) -> Features:
    """The feature rows of ``inputs`` (text strings, image bytes, vectors or probability lists
    or objects, by ``spec.kind``), one row per input in order. Raises ``FeatureError`` naming the
    first object that cannot be used."""
    if spec.kind == "text":
        return text_features(inputs)
    if spec.kind == "image":
        return image_features(inputs)
    if spec.kind == "embedding":
        return embedding_features(inputs, spec.dimension)
    if spec.kind == "prediction":
        return prediction_features(inputs, spec.class_names)
    raise ValueError(f"unknown feature kind {spec.kind!r}")
