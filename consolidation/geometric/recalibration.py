"""Recalibration on gold: a two-parameter logistic map (Platt, 1999) fitted on the job's gold.

When a job has gold, its gold items are consolidated as if their truth were unknown and each
written confidence there is compared with what happened (an object right or not; a mask class's
realised IoU, a fraction). ``platt_fit`` finds ``a, b`` so that ``sigmoid(a * logit(c) + b)``
best predicts those outcomes (cross-entropy, soft outcomes allowed), with a penalty pulling
toward the identity (``a = 1, b = 0``) worth ``PRIOR_WEIGHT`` outcomes, so a few gold items
nudge rather than swing the map. ``platt_apply`` applies it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize

PRIOR_WEIGHT = 10.0
MIN_OUTCOMES = 10
_CLIP = 1e-4


def _logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    p = np.clip(p, _CLIP, 1 - _CLIP)
    return np.log(p) - np.log1p(-p)


def platt_fit(confidence: ArrayLike, outcome: ArrayLike) -> tuple[float, float]:
    """``(a, b)`` of the map; the identity when there are fewer than ``MIN_OUTCOMES``."""
    x = _logit(np.asarray(confidence, dtype=np.float64))
    y = np.clip(np.asarray(outcome, dtype=np.float64), 0.0, 1.0)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("confidence and outcome must be one-dimensional and of equal length")
    if x.size < MIN_OUTCOMES:
        return 1.0, 0.0

    def loss(params: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        a, b = params
        z = a * x + b
        # cross-entropy with soft outcomes: log(1 + e^z) - y z
        value = float(np.sum(np.logaddexp(0.0, z) - y * z)) + PRIOR_WEIGHT * ((a - 1) ** 2 + b**2) / 2
        p = 1.0 / (1.0 + np.exp(-z))
        grad = np.array([np.sum((p - y) * x) + PRIOR_WEIGHT * (a - 1), np.sum(p - y) + PRIOR_WEIGHT * b])
        return value, grad

    result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B", bounds=[(0.05, 20.0), (-20.0, 20.0)])
    return float(result.x[0]), float(result.x[1])


def platt_apply(confidence: ArrayLike, params: tuple[float, float]) -> NDArray[np.float64]:
    """The map applied; the identity leaves values unchanged (not even clipped)."""
    values = np.asarray(confidence, dtype=np.float64)
    a, b = params
    if a == 1.0 and b == 0.0:
        return values
    return 1.0 / (1.0 + np.exp(-(a * _logit(values) + b)))
