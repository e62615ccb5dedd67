"""One automation round: train, validate, calibrate, choose the threshold, score the pool."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from labeling.automation.calibration import fit_top_label
from labeling.automation.export import ExportedModel
from labeling.automation.features import Features
from labeling.automation.model import LinearModel, fit_linear
from labeling.automation.threshold import choose_threshold

# How many labeled objects validate: half of all the labeled objects, drawn from the
# validation-eligible ones (at most VALIDATION_MAX_SHARE of those, so some random objects always
# train), and at most MAX_VALIDATION: past a few thousand the bound gains little and the model
# more. Objects released for their uncertainty only train, so the more of them there are, the
# larger the share of the random ones that can validate while training stays as large.
VALIDATION_MAX_SHARE = 0.8
MAX_VALIDATION = 3000
KINDS = ("text", "image", "embedding", "prediction")


@dataclass(frozen=True)
class RoundResult:
    """What a round decided about the unlabeled objects (the pool), row for row.

    ``machine_label[i]``: label pool object i with ``predicted[i]`` now. It is exactly
    ``score >= score_threshold``, equivalently ``confidence >= threshold`` (calibration is
    monotone); all False when ``threshold`` is None (no candidate proved the target).
    ``probabilities`` are calibrated: the predicted class carries ``confidence``, the other
    classes share the rest in the model's proportions. ``uncertainty`` (1 minus the model's
    margin between its two most likely classes) orders the human work: most uncertain first.
    The validation figures describe the chosen threshold (or, when none passed, the candidate
    that came closest): ``validation_above`` objects of ``validation_size`` scored above it, of
    which ``validated_accuracy`` agreed with their human label, proven at least
    ``accuracy_lower_bound`` at ``bound_confidence`` (Bonferroni-adjusted per candidate).
    """

    probabilities: NDArray[np.float64]
    predicted: NDArray[np.int64]
    confidence: NDArray[np.float64]
    threshold: float | None
    validated_accuracy: float
    accuracy_lower_bound: float
    validation_size: int
    uncertainty: NDArray[np.float64]
    model: ExportedModel
    machine_label: NDArray[np.bool_]
    score_threshold: float | None
    validation_above: int
    training_size: int
    candidates: int
    bound_confidence: float

    @property
    def machine_labeled(self) -> int:
        return int(self.machine_label.sum())


def _check(
    labeled_features: Features,
    labels: NDArray[np.int64],
    weights: NDArray[np.float64],
    unlabeled_features: Features,
    eligible: NDArray[np.bool_],
    n_classes: int,
    target_accuracy: float,
    kind: str,
) -> None:
    n = labels.shape[0]
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    if not 0.0 < target_accuracy < 1.0:
        raise ValueError(f"target_accuracy must lie strictly between 0 and 1, got {target_accuracy}")
    if labels.ndim != 1 or labeled_features.shape[0] != n or weights.shape != (n,) or eligible.shape != (n,):
        raise ValueError("labeled_features, labels, weights and validation_eligible need one row per labeled object")
    if n and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes})")
    if n and (not np.all(np.isfinite(weights)) or weights.min() < 0 or weights.max() > 1):
        raise ValueError("weights must be confidences in [0, 1]")
    if len(labeled_features.shape) != 2 or len(unlabeled_features.shape) != 2:
        raise ValueError("features must be two-dimensional (one row per object)")
    if labeled_features.shape[1] != unlabeled_features.shape[1]:
        raise ValueError("labeled and unlabeled features must have the same columns")
    if kind == "prediction" and labeled_features.shape[1] != n_classes:
        raise ValueError(f"prediction features need one column per class ({n_classes})")


def _split(
    eligible: NDArray[np.bool_], kind: str, rng: np.random.Generator
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(training rows, validation rows). The requester's predictor trains on nothing, so every
    eligible object validates it."""
    eligible_rows = np.flatnonzero(eligible)
    if kind == "prediction":
        return np.zeros(0, dtype=np.int64), eligible_rows.astype(np.int64)
    size = min(eligible.size // 2, int(VALIDATION_MAX_SHARE * eligible_rows.size), MAX_VALIDATION)
    validation = np.sort(rng.choice(eligible_rows, size=size, replace=False)).astype(np.int64)
    training = np.setdiff1d(np.arange(eligible.size), validation).astype(np.int64)
    return training, validation


def _rows(features: Features, rows: NDArray[np.int64]) -> Features:
    return sp.csr_matrix(features)[rows] if sp.issparse(features) else np.asarray(features)[rows]


def _calibrated(raw: NDArray[np.float64], confidence: NDArray[np.float64]) -> NDArray[np.float64]:
    top = raw.argmax(axis=1)
    rows = np.arange(raw.shape[0])
    top_raw = raw[rows, top]
    rest = 1.0 - top_raw
    k = raw.shape[1]
    share = np.where(rest[:, None] > 1e-12, raw / np.maximum(rest, 1e-12)[:, None], 1.0 / max(k - 1, 1))
    out = share * (1.0 - confidence)[:, None]
    out[rows, top] = confidence
    return out


def run_round(
    *,
    labeled_features: Features,
    labels: NDArray[np.int64],
    weights: NDArray[np.float64],
    unlabeled_features: Features,
    n_classes: int,
    target_accuracy: float,
    rng: np.random.Generator,
    kind: str,
    validation_eligible: NDArray[np.bool_] | None = None,
    class_names: Sequence[str] | None = None,
    feature_recipe: dict[str, Any] | None = None,
    confidence: float = 0.95,
    starting_model: LinearModel | None = None,
) -> RoundResult:
    """Train on human labels, prove a threshold on held-out ones, and score the pool.

    ``labels`` are the human-consolidated class indices, ``weights`` their confidences (the
    training sample weights). ``validation_eligible`` (default: all) marks the labeled objects
    that were sent to humans at random (the initial sample, random shares, audits): only they may
    validate, since objects chosen for their uncertainty are no sample of the pool; the rest only
    train. ``kind="prediction"``: ``*_features`` are the requester's probabilities (one column
    per class), calibrated and thresholded but not trained on. ``starting_model`` (an earlier
    job's, ``ExportedModel.linear_model()``, for the same features and classes) is used as the
    requester's predictor is: nothing trains, every eligible object validates it. Inputs are not
    modified; the random split comes from ``rng`` alone. See ``RoundResult`` and the package
    docstring.
    """
    labels = np.asarray(labels, dtype=np.int64)
    weights = np.asarray(weights, dtype=np.float64)
    eligible = np.ones(labels.shape[0], dtype=bool) if validation_eligible is None else np.asarray(validation_eligible)
    _check(labeled_features, labels, weights, unlabeled_features, eligible, n_classes, target_accuracy, kind)

    fixed = kind == "prediction" or starting_model is not None
    training, validation = _split(eligible.astype(bool), "prediction" if fixed else kind, rng)
    if starting_model is not None:
        model = starting_model
    elif kind == "prediction":
        model = LinearModel(form="identity", n_classes=n_classes)
    elif training.size == 0:
        model = LinearModel(form="constant", n_classes=n_classes, classes=np.zeros(1, dtype=np.int64))
    else:
        model = fit_linear(
            _rows(labeled_features, training),
            labels[training],
            weights[training],
            n_classes=n_classes,
            kind=kind,
            rng=rng,
        )

    validation_raw = model.probabilities(_rows(labeled_features, validation))
    validation_score = validation_raw.max(axis=1) if validation.size else np.zeros(0)
    validation_correct = (
        validation_raw.argmax(axis=1) == labels[validation] if validation.size else np.zeros(0, dtype=bool)
    )
    pool_raw = model.probabilities(unlabeled_features)
    pool_score = pool_raw.max(axis=1) if pool_raw.shape[0] else np.zeros(0)

    choice = choose_threshold(
        validation_score=validation_score,
        validation_correct=validation_correct,
        pool_score=pool_score,
        target_accuracy=target_accuracy,
        confidence=confidence,
    )
    calibration = fit_top_label(validation_score, validation_correct)
    pool_confidence = calibration.confidence(pool_score)
    if choice.score_threshold is None:
        machine_label = np.zeros(pool_score.size, dtype=bool)
        threshold = None
    else:
        machine_label = pool_score >= choice.score_threshold
        threshold = float(calibration.confidence(np.array([choice.score_threshold]))[0])

    ordered = np.sort(pool_raw, axis=1) if pool_raw.shape[0] else np.zeros((0, n_classes))
    uncertainty = 1.0 - (ordered[:, -1] - ordered[:, -2]) if ordered.shape[0] else np.zeros(0)
    validated_accuracy = choice.agreed / choice.above if choice.above else 0.0
    card: dict[str, Any] = {
        "features": feature_recipe or {"kind": kind},
        "classes": [str(name) for name in class_names]
        if class_names is not None
        else [str(i) for i in range(n_classes)],
        "target_accuracy": target_accuracy,
        "threshold": threshold,
        "score_threshold": choice.score_threshold,
        "validation": {
            "size": int(validation.size),
            "above_threshold": choice.above,
            "agreed": choice.agreed,
            "accuracy": validated_accuracy,
            "accuracy_lower_bound": choice.lower_bound,
            "bound_confidence": choice.per_test_confidence,
            "measured_against": "human-consolidated labels",
        },
        "training_size": int(training.size),
    }
    return RoundResult(
        probabilities=_calibrated(pool_raw, pool_confidence) if pool_raw.shape[0] else pool_raw,
        predicted=pool_raw.argmax(axis=1).astype(np.int64) if pool_raw.shape[0] else np.zeros(0, dtype=np.int64),
        confidence=pool_confidence,
        threshold=threshold,
        validated_accuracy=validated_accuracy,
        accuracy_lower_bound=choice.lower_bound,
        validation_size=int(validation.size),
        uncertainty=uncertainty,
        model=ExportedModel.of(model, calibration, card),
        machine_label=machine_label,
        score_threshold=choice.score_threshold,
        validation_above=choice.above,
        training_size=int(training.size),
        candidates=choice.candidates,
        bound_confidence=choice.per_test_confidence,
    )
