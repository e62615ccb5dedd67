"""The exported model: plain arrays and a JSON card, no pickle, and it scores as the round did."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from labeling.automation import ExportedModel, FeatureSpec, build_features, run_round


def _text_round():
    rng = np.random.default_rng(0)
    good = ["great", "excellent", "love it", "works well", "superb", "happy with it"]
    bad = ["awful", "broken", "hate it", "refund", "terrible", "stopped working"]
    texts, labels = [], []
    for _ in range(400):
        positive = rng.random() < 0.5
        words = rng.choice(good if positive else bad, size=2)
        texts.append(f"the phone is {words[0]} and {words[1]}")
        labels.append(int(positive))
    spec = FeatureSpec("text")
    features = build_features(spec, texts)
    result = run_round(
        labeled_features=features[:300],
        labels=np.array(labels[:300]),
        weights=np.full(300, 0.9),
        unlabeled_features=features[300:],
        n_classes=2,
        target_accuracy=0.9,
        rng=rng,
        kind="text",
        class_names=["negative", "positive"],
        feature_recipe=spec.describe(),
    )
    return result, features[300:]


def test_the_archive_holds_only_numeric_arrays():
    # given
    result, _ = _text_round()
    # when
    data = result.model.npz_bytes()
    # then: every member is a .npy of a numeric dtype, and numpy loads it without pickle
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == sorted(
            f"{n}.npy" for n in ("classes", "columns", "coef", "intercept", "mean", "scale")
        )
    with np.load(io.BytesIO(data), allow_pickle=False) as loaded:
        for name in loaded.files:
            assert loaded[name].dtype.kind in "fi", name


def test_the_card_says_features_classes_and_validation_accuracy():
    result, _ = _text_round()
    card = json.loads(result.model.card_json())
    assert card["format"] == "groundwork-automation-model/1"
    assert card["features"]["kind"] == "text"
    assert card["features"]["blocks"][0]["analyzer"] == "word"
    assert card["classes"] == ["negative", "positive"]
    assert card["validation"]["accuracy"] == pytest.approx(result.validated_accuracy)
    assert card["validation"]["size"] == result.validation_size
    assert card["threshold"] == result.threshold
    assert card["arrays"]["coef"] == [2, result.model.arrays["columns"].size]


def test_a_loaded_model_scores_as_the_round_did():
    # given
    result, pool = _text_round()
    # when
    loaded = ExportedModel.load(result.model.npz_bytes(), result.model.card_json())
    raw, predicted, confidence = loaded.score(pool)
    # then
    assert np.array_equal(predicted, result.predicted)
    assert np.allclose(confidence, result.confidence)
    assert result.machine_labeled > 0


def test_a_card_of_another_format_is_refused():
    result, _ = _text_round()
    with pytest.raises(ValueError, match="card"):
        ExportedModel.load(result.model.npz_bytes(), json.dumps({"format": "pickle"}))
