"""Top-label calibration: the probability that the predicted label is right, given the score.

The score of an object is its model's (or the requester's predictor's) probability of the
predicted class. Platt (1999) scaling on that score's log-odds, fitted with scikit-learn's
``LogisticRegression`` on the validation objects (right = agreed with the human-consolidated
label), gives ``confidence = sigmoid(slope * logit(score) + intercept)``. The slope is kept at
least ``MIN_SLOPE``, so confidence strictly increases with the score: a confidence threshold and
a score threshold select the same objects. A predictor that is over- or under-confident, or
merely reports numbers on another scale, is mapped onto observed agreement; one whose score says
nothing gets a confidence all but flat at the overall agreement.

What it estimates is agreement with the human-consolidated label, which is what validation can
observe; see ``labeling.automation`` for how that relates to accuracy against the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

# Scores are clipped away from 0 and 1 before the log-odds: a predictor that claims certainty
# still gets a finite, comparable value.
SCORE_CLIP = 1e-6
# The least slope kept: small enough that an uninformative score's confidence stays within about
# a hundredth (in log-odds) of the overall agreement, large enough to keep the order of scores.
MIN_SLOPE = 1e-3


def score_logit(score: NDArray[np.float64]) -> NDArray[np.float64]:
    clipped = np.clip(score, SCORE_CLIP, 1.0 - SCORE_CLIP)
    return np.asarray(np.log(clipped) - np.log1p(-clipped), dtype=np.float64)


@dataclass(frozen=True)
class TopLabelCalibration:
    slope: float
    intercept: float

    def confidence(self, score: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(expit(self.slope * score_logit(score) + self.intercept), dtype=np.float64)


def fit_top_label(score: NDArray[np.float64], correct: NDArray[np.bool_]) -> TopLabelCalibration:
    """Fit on validation scores and outcomes. With no validation objects, outcomes all alike or
    a score that does not rise with agreement, the confidence is all but flat at the add-half
    agreement rate (never exactly 0 or 1)."""
    n = correct.size
    rate = (float(correct.sum()) + 0.5) / (n + 1.0)
    centre = float(np.median(score_logit(score))) if n else 0.0
    flat = TopLabelCalibration(slope=MIN_SLOPE, intercept=float(np.log(rate) - np.log1p(-rate)) - MIN_SLOPE * centre)
    if n == 0 or correct.all() or not correct.any():
        return flat
    # Mild L2 (C=10 on one feature): a few dozen validation objects cannot push the slope to
    # extremes, and hundreds make it negligible.
    estimator = LogisticRegression(C=10.0, max_iter=200)
    estimator.fit(score_logit(score).reshape(-1, 1), correct.astype(np.int64))
    slope = float(estimator.coef_[0, 0])
    if slope < MIN_SLOPE:
        return flat
    return TopLabelCalibration(slope=slope, intercept=float(estimator.intercept_[0]))
