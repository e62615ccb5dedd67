"""Feature builders: stateless text hashing, Pillow images, embeddings, predictions."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from labeling.automation import FeatureError, FeatureSpec, build_features


def _png(array: np.ndarray, mode: str = "L") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array.astype(np.uint8), mode=mode).save(buffer, "PNG")
    return buffer.getvalue()


def test_text_rows_do_not_depend_on_the_other_objects():
    # given
    texts = ["great phone, works well", "terrible battery", "great phone, works well"]
    # when
    together = build_features(FeatureSpec("text"), texts)
    alone = build_features(FeatureSpec("text"), texts[:1])
    # then: stateless hashing, so a round can featurize any subset
    assert together.shape == (3, 2 * 2**18)
    assert (together[0] != alone[0]).nnz == 0
    assert (together[0] != together[2]).nnz == 0
    assert together[0].multiply(together[1]).sum() < together[0].multiply(together[2]).sum()


def test_text_must_be_strings():
    with pytest.raises(FeatureError) as error:
        build_features(FeatureSpec("text"), ["fine", 3])
    assert error.value.index == 1


def test_images_become_one_finite_row_each_whatever_their_size_and_mode():
    # given: a grayscale square and a colour rectangle
    rng = np.random.default_rng(0)
    images = [_png(rng.integers(0, 255, (32, 32))), _png(rng.integers(0, 255, (40, 90, 3)), mode="RGB")]
    # when
    rows = build_features(FeatureSpec("image"), images)
    # then: 16x16 pixels + 4x4x8 gradient histogram + 3x8 colour histogram
    assert rows.shape == (2, 256 + 128 + 24)
    assert np.all(np.isfinite(rows))
    assert rows[0, -24:].sum() == pytest.approx(3.0)  # each channel's histogram sums to 1


def test_images_tell_a_vertical_stroke_from_a_horizontal_one():
    vertical = np.zeros((32, 32))
    vertical[:, 14:18] = 255
    rows = build_features(FeatureSpec("image"), [_png(vertical), _png(vertical.T)])
    assert not np.allclose(rows[0], rows[1])


def test_an_unreadable_image_is_named_by_its_position():
    with pytest.raises(FeatureError) as error:
        build_features(FeatureSpec("image"), [_png(np.zeros((8, 8))), b"not an image"])
    assert error.value.index == 1
    assert "readable image" in error.value.reason


def test_embeddings_must_share_one_length_and_be_finite():
    assert build_features(FeatureSpec("embedding"), [[1, 2], [3, 4]]).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(FeatureError, match="2 numbers, got 3") as error:
        build_features(FeatureSpec("embedding"), [[1, 2], [1, 2, 3]])
    assert error.value.index == 1
    with pytest.raises(FeatureError, match="finite"):
        build_features(FeatureSpec("embedding"), [[1, float("nan")]])
    with pytest.raises(FeatureError, match="list of numbers"):
        build_features(FeatureSpec("embedding"), ["1,2"])
    with pytest.raises(FeatureError, match="4 numbers"):
        build_features(FeatureSpec("embedding", dimension=4), [[1, 2]])


def test_predictions_are_read_as_a_list_in_label_order_or_an_object_by_label():
    spec = FeatureSpec("prediction", class_names=("cat", "dog", "bird"))
    rows = build_features(spec, [[0.2, 0.6, 0.2], {"bird": 3, "cat": 1}])
    assert rows.tolist() == [[0.2, 0.6, 0.2], [0.25, 0.0, 0.75]]  # normalised; a missing label is 0


@pytest.mark.parametrize(
    ("prediction", "message"),
    [
        ([0.5, 0.5], "3 probabilities"),
        ({"cow": 1.0}, "unknown labels"),
        ([-1, 1, 1], "non-negative"),
        ([0, 0, 0], "sum"),
    ],
)
def test_a_bad_prediction_is_refused(prediction, message):
    spec = FeatureSpec("prediction", class_names=("cat", "dog", "bird"))
    with pytest.raises(FeatureError, match=message):
        build_features(spec, [prediction])
