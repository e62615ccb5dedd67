"""How much workers' errors go together: the correction Dawid-Skene cannot see without gold.

Dawid-Skene assumes answers are independent given the truth. When hard items fool several
workers at once, the answers on a task are positively correlated and ``n`` of them carry the
evidence of only ``n / (1 + (n - 1) * rho)`` independent ones (the design effect of cluster
sampling, Kish 1965), so the model's log-odds are inflated by about ``1 + (n - 1) * rho``.

``rho`` here is the intra-task correlation of the error indicators ``answer != label``,
standardised by each worker's own error rate from the fitted confusion matrix: pairs of
answers on the same task, one moment estimate over all of them, no loop over tasks.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def error_correlation(
    task: NDArray[np.integer],
    worker: NDArray[np.integer],
    label: NDArray[np.integer],
    *,
    labels: NDArray[np.int64],
    confusion: NDArray[np.float64],
    n_tasks: int,
) -> tuple[float, float]:
    """``(rho, n_bar)``: the error correlation and the size-weighted mean answers per task.

    ``labels`` are the consolidated labels per task and ``confusion`` is
    ``(worker, truth, answer)``, as in a ``ClassificationResult``.
    """
    if task.shape[0] == 0:
        return 0.0, 0.0
    truth = labels[task]
    error = (label != truth).astype(np.float64)
    rate = np.clip(1.0 - confusion[worker, truth, truth], 1e-6, 1 - 1e-6)
    residual = error - rate
    scale = np.sqrt(rate * (1.0 - rate))
    sums = np.bincount(task, weights=residual, minlength=n_tasks)
    squares = np.bincount(task, weights=residual * residual, minlength=n_tasks)
    scale_sums = np.bincount(task, weights=scale, minlength=n_tasks)
    scale_squares = np.bincount(task, weights=scale * scale, minlength=n_tasks)
    # Sum over ordered pairs of distinct answers on a task: (sum)^2 - sum of squares.
    covariance = float((sums * sums - squares).sum())
    normaliser = float((scale_sums * scale_sums - scale_squares).sum())
    counts = np.bincount(task, minlength=n_tasks).astype(np.float64)
    n_bar = float((counts * counts).sum() / counts.sum())
    if normaliser <= 0:
        return 0.0, n_bar
    return covariance / normaliser, n_bar


def design_effect(rho: float, n_bar: float) -> float:
    """``1 + (n - 1) * rho``, never below 1 (negative correlation is not credited)."""
    return 1.0 + max(n_bar - 1.0, 0.0) * max(rho, 0.0)
