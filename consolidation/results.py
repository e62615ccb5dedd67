"""Frozen result types returned by the consolidation functions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from consolidation._rows import row_argmax, row_max


def frozen(array: NDArray) -> NDArray:
    """Mark an array read-only so a frozen result is immutable all the way down."""
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class ClassificationResult:
    """Consolidated single-label classification.

    ``labels[t]`` is the chosen class of task ``t`` and ``confidence[t]`` the probability that it is
    right; ``posteriors[t]`` is the whole distribution over classes. ``confusion[w, i, j]`` is
    worker ``w``'s estimated probability of answering ``j`` when the truth is ``i``. Tasks without
    answers have ``answered[t] == False``, a uniform posterior and label 0 (nothing to trust).
    ``method`` names the model (and calibration) that produced the numbers.
    """

    labels: NDArray[np.int64]
    confidence: NDArray[np.float64]
    posteriors: NDArray[np.float64]
    confusion: NDArray[np.float64]
    answered: NDArray[np.bool_]
    n_iter: int
    converged: bool
    method: str
    log_likelihood: float = float("nan")
    """Mean marginal log-likelihood per answer at the last iteration (NaN for voting)."""


def classification(
    posteriors: NDArray,
    *,
    confusion: NDArray,
    answered: NDArray[np.bool_],
    n_iter: int,
    converged: bool,
    method: str,
    log_likelihood: float = float("nan"),
    labels: NDArray[np.integer] | None = None,
) -> ClassificationResult:
    """Build a result from posteriors: labels by argmax (ties to the lowest class) unless
    given (calibration passes the uncalibrated winners, so it can never change a label)."""
    posteriors = np.asarray(posteriors, dtype=np.float64)
    if labels is None:
        labels = row_argmax(posteriors)
        confidence = row_max(posteriors)
    else:
        labels = np.asarray(labels, dtype=np.int64)
        confidence = posteriors[np.arange(labels.shape[0]), labels]
    # Clipped: rounding in a calibration map can land a hair outside [0, 1].
    np.clip(confidence, 0.0, 1.0, out=confidence)
    return ClassificationResult(
        labels=frozen(labels),
        confidence=frozen(confidence),
        posteriors=frozen(posteriors),
        confusion=frozen(np.asarray(confusion, dtype=np.float64)),
        answered=frozen(np.asarray(answered, dtype=bool)),
        n_iter=int(n_iter),
        converged=bool(converged),
        method=method,
        log_likelihood=float(log_likelihood),
    )
