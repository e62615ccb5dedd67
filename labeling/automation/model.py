"""The round's classifier: a linear softmax model fitted with scikit-learn, kept as plain arrays.

``fit_linear`` trains scikit-learn's ``LogisticRegression`` (multinomial, L-BFGS; past
``EXACT_FIT_MAX_ROWS`` rows ``SGDClassifier`` with the same log-loss and penalty, one-vs-rest) on
the training rows with the human labels' confidences as sample weights, then keeps only arrays:
the rows' standardisation (dense features), the coefficients of the columns that carry weight,
the intercepts. Scoring (``LinearModel.probabilities``) is numpy on those arrays, so the model a
round used and the one it exports are the same object, and the export needs no pickle.

The ``prediction`` kind has no model of ours (``IDENTITY``): the requester's probabilities are
the scores. A training set with a single class gives ``constant``: that class with certainty
(validation then decides whether that is good enough to use).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.preprocessing import StandardScaler

from labeling.automation.features import Features

ModelForm = Literal["linear", "identity", "constant"]
# Inverse L2 strength per feature kind, chosen on the bench datasets (bench/automation.py):
# hashed n-gram rows are L2-normalised, so their coefficients need room to grow; standardised
# dense rows need more shrinkage when a few hundred labels face hundreds of columns.
REGULARIZATION_C = {"text": 10.0, "image": 0.1, "embedding": 0.1}
MAX_ITER = 300
# Up to this many training rows L-BFGS finds the exact optimum in seconds; past it (100,000 text
# rows took L-BFGS 36 CPU seconds) stochastic gradient descent takes a few epochs, the same
# accuracy on the bench's texts for a fifteenth of the time (bench/automation_scale.py).
EXACT_FIT_MAX_ROWS = 20_000
SGD_EPOCHS = 15


@dataclass(frozen=True)
class LinearModel:
    """softmax(x_std[:, columns] @ coef.T + intercept), x_std = (x - mean) / scale for dense rows.

    ``classes`` maps the model's outputs to the job's class indices (a class absent from the
    training rows gets probability 0); ``columns`` lists the feature columns that carry weight.
    """

    form: ModelForm
    n_classes: int
    classes: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    columns: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    coef: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))
    intercept: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    mean: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    scale: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def probabilities(self, features: Features) -> NDArray[np.float64]:
        """Uncalibrated class probabilities, (n_rows, n_classes)."""
        n = features.shape[0]
        if self.form == "identity":
            return np.asarray(features, dtype=np.float64)
        out = np.zeros((n, self.n_classes))
        if self.form == "constant":
            out[:, self.classes[0]] = 1.0
            return out
        if sp.issparse(features):
            x = sp.csr_matrix(features)[:, self.columns]
            logits = np.asarray(x @ self.coef.T)
        else:
            dense = np.asarray(features, dtype=np.float64)
            if self.mean.size:
                dense = (dense - self.mean) / self.scale
            logits = dense[:, self.columns] @ self.coef.T
        logits = logits + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        out[:, self.classes] = weights / weights.sum(axis=1, keepdims=True)
        return out


def fit_linear(
    features: Features,
    labels: NDArray[np.int64],
    weights: NDArray[np.float64],
    *,
    n_classes: int,
    kind: str,
    rng: np.random.Generator,
) -> LinearModel:
    """Train on the rows (weighted) and keep the arrays; see the module docstring."""
    present = np.unique(labels)
    if present.size == 1:
        return LinearModel(form="constant", n_classes=n_classes, classes=present.astype(np.int64))
    mean = scale = np.zeros(0)
    x: Features = features
    used = np.arange(features.shape[1], dtype=np.int64)
    if sp.issparse(features):
        # Fit only the columns some training row uses: the others would get zero weight anyway,
        # and L-BFGS over 2**19 columns per class is slow for nothing.
        csr = sp.csr_matrix(features)
        used = np.unique(csr.indices).astype(np.int64)
        x = csr[:, used]
    else:
        scaler = StandardScaler().fit(np.asarray(features), sample_weight=weights)
        mean = np.asarray(scaler.mean_, dtype=np.float64)
        scale = np.where(np.asarray(scaler.scale_) > 0, np.asarray(scaler.scale_), 1.0)
        x = (np.asarray(features, dtype=np.float64) - mean) / scale
    c = REGULARIZATION_C.get(kind, 1.0)
    estimator: LogisticRegression | SGDClassifier
    if labels.size <= EXACT_FIT_MAX_ROWS:
        estimator = LogisticRegression(C=c, max_iter=MAX_ITER)
    else:
        # The same penalised log-loss (alpha = 1 / (C n) is C's scale per row), by stochastic
        # gradient: a fixed number of passes instead of L-BFGS's hundred-odd full gradients.
        estimator = SGDClassifier(
            loss="log_loss",
            alpha=1.0 / (c * labels.size),
            max_iter=SGD_EPOCHS,
            tol=None,
            random_state=int(rng.integers(2**31 - 1)),
        )
    estimator.fit(x, labels, sample_weight=weights)
    coef = np.asarray(estimator.coef_, dtype=np.float64)
    intercept = np.asarray(estimator.intercept_, dtype=np.float64)
    if coef.shape[0] == 1:  # binary: sklearn keeps one row, the logit of the second class
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([[0.0], intercept])
    kept = np.flatnonzero(np.any(coef != 0, axis=0))
    columns = used[kept]
    coef = coef[:, kept]
    return LinearModel(
        form="linear",
        n_classes=n_classes,
        classes=np.asarray(estimator.classes_, dtype=np.int64),
        columns=columns,
        coef=coef,
        intercept=intercept,
        mean=mean,
        scale=scale,
    )
