"""One-coin Dawid-Skene: one accuracy per worker, errors spread evenly over the other classes.

The same EM as full Dawid-Skene (Dawid and Skene, 1979) with each confusion matrix constrained
to ``P(answer = truth) = p_w`` and ``P(answer = j != truth) = (1 - p_w) / (K - 1)``: K*K-1 fewer
parameters per worker, so it holds up better than the full model when workers answer little.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from consolidation import _validate
from consolidation.dawid_skene import assemble, fit_layout, prepare
from consolidation.results import ClassificationResult


def one_coin_update(counts: NDArray[np.float64], reference: NDArray[np.float64]) -> NDArray[np.float64]:
    del reference  # the Beta prior below needs no sizing
    k = counts.shape[1]
    right = np.trace(counts, axis1=1, axis2=2)
    total = counts.sum(axis=(1, 2))
    # Beta prior centred on the crowd's pooled accuracy, worth two answers: enough to keep a
    # worker with one answer from reading as perfect or useless, too weak to matter after ten.
    pooled = (right.sum() + 1.0) / (total.sum() + 2.0)
    accuracy = (right + 2.0 * pooled) / (total + 2.0)
    off = (1.0 - accuracy) / (k - 1)
    confusion = np.broadcast_to(off[:, None, None], counts.shape).copy()
    diagonal = np.arange(k)
    confusion[:, diagonal, diagonal] = accuracy[:, None]
    return confusion


def equal_workers_update(counts: NDArray[np.float64], reference: NDArray[np.float64]) -> NDArray[np.float64]:
    """One-coin with a single accuracy for the whole crowd (every worker equally reliable): the
    model ``consolidate`` uses when workers have too few answers each to be told apart."""
    del reference
    k = counts.shape[1]
    accuracy = (np.trace(counts, axis1=1, axis2=2).sum() + 1.0) / (counts.sum() + 2.0)
    confusion = np.full(counts.shape, (1.0 - accuracy) / (k - 1))
    diagonal = np.arange(k)
    confusion[:, diagonal, diagonal] = accuracy
    return confusion


def one_coin_dawid_skene(
    task: ArrayLike,
    worker: ArrayLike,
    label: ArrayLike,
    *,
    n_classes: int,
    n_tasks: int | None = None,
    n_workers: int | None = None,
    gold: tuple[ArrayLike, ArrayLike] | None = None,
    tol: float = 1e-5,
    max_iter: int = 500,
) -> ClassificationResult:
    """Consolidate with one-coin Dawid-Skene; arguments and result as ``dawid_skene``."""
    _validate.tolerance(tol, max_iter)
    layout, gold_ids, gold_labels = prepare(
        task, worker, label, n_classes=n_classes, n_tasks=n_tasks, n_workers=n_workers, gold=gold
    )
    fit = fit_layout(
        layout,
        gold_ids=gold_ids,
        gold_labels=gold_labels,
        update=one_coin_update,
        tol=tol,
        max_iter=max_iter,
    )
    return assemble(layout, fit, gold_ids=gold_ids, gold_labels=gold_labels, method="one_coin")
