"""The expectation-maximisation loop shared by full and one-coin Dawid-Skene.

Only the confusion-matrix update differs between the models, so it is passed in as a function
from expected counts ``(worker, answer, truth)`` to probabilities ``P(answer | truth)``.
Everything per answer happens inside two sparse products (see ``_layout``); everything else is
``(n_tasks, K)`` or ``(n_workers, K, K)`` work in float32, which is accurate enough for
posteriors and halves the memory traffic that dominates an iteration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from consolidation._layout import Layout
from consolidation._rows import column_sum, row_argmax, row_max, row_sum

# (expected counts, counts against the starting hard labels) -> P(answer | truth); all arrays
# shaped (worker, answer, truth).
ConfusionUpdate = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]

# log(0) would poison sums with -inf; a probability this small is "never" for any real crowd.
_TINY = 1e-30


@dataclass(frozen=True)
class EMFit:
    posteriors: NDArray[np.float32]  # (n_rows, K), rows of answered tasks
    confusion: NDArray[np.float64]  # (n_workers, answer, truth)
    n_iter: int
    converged: bool
    log_likelihood: float  # mean marginal log-likelihood per answer


def one_hot_rows(posteriors: NDArray[np.float32], rows: NDArray[np.int64], labels: NDArray[np.int64]) -> None:
    """Pin known truths (gold) in a posterior array this module owns."""
    posteriors[rows] = 0.0
    posteriors[rows, labels] = 1.0


def run(
    layout: Layout,
    *,
    init: NDArray[np.float32],
    gold_rows: NDArray[np.int64],
    gold_labels: NDArray[np.int64],
    update: ConfusionUpdate,
    tol: float,
    max_iter: int,
    uniform_class_prior: bool = False,
    fixed_class_prior: NDArray[np.float64] | None = None,
) -> EMFit:
    """Alternate M- and E-steps from ``init`` posteriors until the log-likelihood settles.

    The stopping rule is the change of the real marginal log-likelihood of the answers (gold
    tasks contribute their joint likelihood with the known truth), averaged per answer. It is
    computed from the same log-sum-exp that normalises the posteriors, so it costs nothing extra.
    """
    n_workers, k = layout.n_workers, layout.n_classes
    n_rows = layout.n_rows
    posteriors = init
    previous = -np.inf
    log_likelihood = -np.inf
    converged = False
    confusion = np.empty((n_workers, k, k))
    # Hard counts against the starting labels (vote winners, gold), computed once: priors are
    # sized from them, because soft counts from vote shares make every worker look alike and
    # would talk the prior into pooling everyone (a consistent liar included).
    start_labels = np.zeros_like(init)
    start_labels[np.arange(n_rows), row_argmax(init)] = 1.0
    reference = np.asarray(layout.scatter(start_labels), dtype=np.float64)
    reference = reference.reshape(n_workers, k, k)
    del start_labels
    n_iter = 0
    for iteration in range(1, max_iter + 1):
        n_iter = iteration
        # M-step: expected (worker, answer) counts per true class, then the model's update.
        counts = np.asarray(layout.scatter(posteriors), dtype=np.float64)
        counts = counts.reshape(n_workers, k, k)
        confusion = update(counts, reference)
        log_table = np.log(np.maximum(confusion, _TINY)).astype(np.float32).reshape(-1, k)
        if fixed_class_prior is not None:
            class_prior = fixed_class_prior
        elif uniform_class_prior:
            class_prior = np.full(k, 1.0 / k)
        else:
            class_prior = (column_sum(posteriors) + 1.0) / (n_rows + k)

        # E-step in log space with a max-shift: sum each task's log P(answer | truth) rows.
        scores = layout.gather(log_table)
        scores += np.log(class_prior).astype(np.float32)
        gold_total = float(scores[gold_rows, gold_labels].sum(dtype=np.float64))
        shift = row_max(scores)
        scores -= shift[:, None]
        np.exp(scores, out=scores)
        norm = row_sum(scores)
        scores /= norm[:, None]
        per_task = shift
        per_task += np.log(norm)
        total = float(per_task.sum(dtype=np.float64))
        if gold_rows.size:
            total += gold_total - float(per_task[gold_rows].sum(dtype=np.float64))
            one_hot_rows(scores, gold_rows, gold_labels)
        posteriors = scores
        log_likelihood = total / max(layout.n_answers, 1)
        if abs(log_likelihood - previous) < tol:
            converged = True
            break
        previous = log_likelihood
    return EMFit(
        posteriors=posteriors,
        confusion=confusion,
        n_iter=n_iter,
        converged=converged,
        log_likelihood=log_likelihood,
    )
