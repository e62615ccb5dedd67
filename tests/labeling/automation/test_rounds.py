"""One automation round on synthetic data with known truth (pure, no database)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax

from labeling.automation import run_round


def _blobs(rng: np.random.Generator, n: int, *, classes: int = 3, dims: int = 10, spread: float = 1.6):
    """Gaussian classes around fixed centres: most points are easy, those between centres not."""
    centres = np.random.default_rng(99).normal(size=(classes, dims)) * 1.5
    truth = rng.integers(0, classes, size=n)
    return centres[truth] + rng.normal(scale=spread, size=(n, dims)), truth


def _noisy(rng: np.random.Generator, truth: np.ndarray, classes: int, error: float) -> np.ndarray:
    """Human-consolidated labels: wrong (uniformly) on a share ``error`` of the objects."""
    wrong = rng.random(truth.size) < error
    return np.where(wrong, (truth + rng.integers(1, classes, size=truth.size)) % classes, truth)


def _round(rng, labeled, labels, pool, *, classes, target, kind="embedding", **extra):
    return run_round(
        labeled_features=labeled,
        labels=labels,
        weights=np.ones(labels.size),
        unlabeled_features=pool,
        n_classes=classes,
        target_accuracy=target,
        rng=rng,
        kind=kind,
        **extra,
    )


@pytest.mark.parametrize("seed", range(8))
def test_a_model_no_better_than_chance_machine_labels_nothing(seed):
    # given: features that say nothing about the labels
    rng = np.random.default_rng(seed)
    labeled, pool = rng.normal(size=(600, 20)), rng.normal(size=(2000, 20))
    labels = rng.integers(0, 2, size=600)
    # when
    result = _round(rng, labeled, labels, pool, classes=2, target=0.7)
    # then
    assert result.threshold is None and result.score_threshold is None
    assert result.machine_labeled == 0
    assert result.accuracy_lower_bound < 0.7
    assert result.probabilities.shape == (2000, 2) and result.uncertainty.shape == (2000,)


def test_a_good_model_meets_the_target_on_held_out_truth():
    # given: 800 human labels (4% wrong), 4000 unlabeled objects whose truth we keep
    rng = np.random.default_rng(1)
    labeled, labeled_truth = _blobs(rng, 800, spread=1.3)
    pool, pool_truth = _blobs(rng, 4000, spread=1.3)
    labels = _noisy(rng, labeled_truth, 3, 0.04)
    # when
    result = _round(rng, labeled, labels, pool, classes=3, target=0.9)
    # then: a threshold is proven and what it labels is right at least 90% of the time
    assert result.threshold is not None
    labeled_now = result.machine_label
    assert labeled_now.sum() >= 1000
    assert np.mean(result.predicted[labeled_now] == pool_truth[labeled_now]) >= 0.9
    assert result.accuracy_lower_bound >= 0.9
    assert result.validation_size == 400 and result.training_size == 400  # half of them validate
    # the decision is the calibrated-confidence threshold and the score threshold alike
    assert np.array_equal(labeled_now, result.confidence >= result.threshold - 1e-12)
    # the most uncertain objects are the ones left to humans
    assert result.uncertainty[labeled_now].mean() < result.uncertainty[~labeled_now].mean()


def test_calibrated_confidence_matches_observed_agreement():
    rng = np.random.default_rng(2)
    labeled, labeled_truth = _blobs(rng, 1200, spread=2.2)
    pool, pool_truth = _blobs(rng, 6000, spread=2.2)
    result = _round(rng, labeled, labeled_truth, pool, classes=3, target=0.95)
    right = result.predicted == pool_truth
    for low, high in [(0.0, 0.7), (0.7, 0.9), (0.9, 1.0)]:
        band = (result.confidence >= low) & (result.confidence < high)
        assert band.sum() > 200
        assert abs(result.confidence[band].mean() - right[band].mean()) < 0.05, (low, high)
    assert np.allclose(result.probabilities.sum(axis=1), 1.0)
    assert np.allclose(result.probabilities[np.arange(6000), result.predicted], result.confidence)


def _predictor_world(rng: np.random.Generator, n: int, sharpen: float):
    """Objects whose true class probabilities are softmax(z); the requester's predictor reports
    softmax(sharpen * z): the right ranking, badly over-confident when sharpen > 1."""
    z = rng.normal(scale=2.5, size=(n, 3))
    truth = np.array([rng.choice(3, p=p) for p in softmax(z, axis=1)])
    return softmax(sharpen * z, axis=1), truth


def test_an_over_confident_predictor_is_calibrated_and_still_meets_the_target():
    # given: a predictor that claims 0.96 on average while it is right 79% of the time
    rng = np.random.default_rng(3)
    labeled, labels = _predictor_world(rng, 1000, sharpen=6.0)
    pool, pool_truth = _predictor_world(rng, 5000, sharpen=6.0)
    right = pool.argmax(axis=1) == pool_truth
    assert pool.max(axis=1).mean() - right.mean() > 0.15
    # when
    result = _round(rng, labeled, labels, pool, classes=3, target=0.9, kind="prediction")
    # then: its confidence is brought down to what it achieves, and what it labels meets the target
    assert abs(result.confidence.mean() - right.mean()) < 0.03
    assert result.training_size == 0 and result.validation_size == 1000
    assert np.array_equal(result.predicted, pool.argmax(axis=1))  # calibrated, never retrained
    assert result.machine_labeled > 0
    assert np.mean(right[result.machine_label]) >= 0.9


def test_a_confident_predictor_that_is_wrong_labels_nothing():
    # given: the predictor's classes are shifted by one: certain, and always wrong
    rng = np.random.default_rng(4)
    labeled, labels = _predictor_world(rng, 600, sharpen=6.0)
    pool, _ = _predictor_world(rng, 2000, sharpen=6.0)
    shifted = np.roll(labeled, 1, axis=1)
    # when
    result = _round(rng, shifted, labels, np.roll(pool, 1, axis=1), classes=3, target=0.6, kind="prediction")
    # then
    assert result.machine_labeled == 0 and result.threshold is None
    assert result.confidence.max() < 0.5


def test_only_objects_sent_at_random_validate():
    # given: 300 random human labels and 500 chosen by uncertainty (not a sample of the pool)
    rng = np.random.default_rng(5)
    labeled, truth = _blobs(rng, 800)
    pool, _ = _blobs(rng, 1000)
    eligible = np.zeros(800, dtype=bool)
    eligible[:300] = True
    # when
    result = _round(rng, labeled, truth, pool, classes=3, target=0.9, validation_eligible=eligible)
    # then: 80% of the 300 validate (half of the 800 would be more), everything else trains
    assert result.validation_size == 240
    assert result.training_size == 560


def test_a_round_is_reproducible_and_leaves_its_inputs_alone():
    rng_data = np.random.default_rng(6)
    labeled, truth = _blobs(rng_data, 500)
    pool, _ = _blobs(rng_data, 800)
    labels = truth.copy()
    before = (labeled.copy(), labels.copy(), pool.copy())
    first = _round(np.random.default_rng(7), labeled, labels, pool, classes=3, target=0.9)
    second = _round(np.random.default_rng(7), labeled, labels, pool, classes=3, target=0.9)
    assert np.array_equal(first.probabilities, second.probabilities)
    assert np.array_equal(first.machine_label, second.machine_label)
    assert all(np.array_equal(a, b) for a, b in zip(before, (labeled, labels, pool), strict=True))


def test_one_class_among_the_labels_is_a_constant_model_that_validation_judges():
    rng = np.random.default_rng(8)
    labeled, pool = rng.normal(size=(400, 5)), rng.normal(size=(300, 5))
    result = _round(rng, labeled, np.full(400, 2), pool, classes=3, target=0.95)
    assert set(result.predicted.tolist()) == {2}
    assert result.machine_labeled == 300  # 200 of 200 validation objects agree: proven
    assert result.model.card["model"]["form"] == "constant"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"labels": np.array([0, 1, 5])}, "labels must lie"),
        ({"weights": np.array([1.0, 2.0, 1.0])}, "weights"),
        ({"target_accuracy": 1.0}, "target_accuracy"),
        ({"kind": "audio"}, "kind"),
        ({"n_classes": 1}, "n_classes"),
        ({"unlabeled_features": np.zeros((4, 2))}, "same columns"),
        ({"labels": np.array([0, 1])}, "one row per labeled object"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(change, message):
    arguments = {
        "labeled_features": np.zeros((3, 4)),
        "labels": np.array([0, 1, 0]),
        "weights": np.ones(3),
        "unlabeled_features": np.zeros((5, 4)),
        "n_classes": 2,
        "target_accuracy": 0.9,
        "rng": np.random.default_rng(0),
        "kind": "embedding",
    }
    with pytest.raises(ValueError, match=message):
        run_round(**{**arguments, **change})
