"""Workers' records from earlier work, as priors for a job's consolidation (issue 23).

A job with one or two answers per object cannot tell from its own answers how good each
worker is: one answer per object carries no information about its worker at all (every worker
agrees with themselves). What the system knows from earlier work can: a worker right on 90% of
300 earlier answers makes a lone answer worth a confidence near 0.9, a newcomer's lone answer is
a coin flip. ``record_prior_counts`` turns such records (an accuracy over a number of answers:
marketplace's reputation record keeps exactly that, per batch) into the Dirichlet pseudo-counts
``worker_prior_counts`` that ``dawid_skene`` and ``consolidate`` add to each worker's confusion
rows; ``prior_posteriors`` is the E-step under those priors, the starting point of EM when
records are given (starting from vote shares would have each worker confirm their own answers).
"""

from __future__ import annotations

from typing import TypeGuard

import numpy as np
from numpy.typing import ArrayLike, NDArray

from consolidation._layout import Layout

# At most this many earlier answers count: a worker's accuracy moves between jobs (other data,
# other labels), so a long record is evidence about this job worth about this many answers.
RECORD_ANSWERS_CAP = 200.0
# Each earlier answer counts this much: the record's accuracy is itself an estimate (from
# consolidation against the crowd, or from gold), and carries over only partly to a new job.
RECORD_WEIGHT = 0.5


def record_prior_counts(
    accuracy: ArrayLike,
    answers: ArrayLike,
    *,
    n_classes: int,
    cap: float = RECORD_ANSWERS_CAP,
    weight: float = RECORD_WEIGHT,
) -> NDArray[np.float64]:
    """Pseudo-counts ``(n_workers, K, K)`` indexed ``[worker, truth, answer]`` from one accuracy
    per worker over ``answers`` earlier answers: ``weight * min(answers, cap)`` pseudo-answers
    spread evenly over the true classes, ``accuracy`` of each row on the diagonal and the rest
    evenly over the other classes (the record does not say which errors a worker makes).

    A worker without a record (``answers`` 0, or ``accuracy`` NaN) gets a zero row: no prior.
    Accuracies are clipped to [1/K, 0.999]: a record below chance is a spammer's, not a
    reliable liar's, and a perfect record is no proof of perfection.
    """
    k = int(n_classes)
    if k < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes!r}")
    accuracy = np.asarray(accuracy, dtype=np.float64)
    answers = np.asarray(answers, dtype=np.float64)
    if accuracy.ndim != 1 or accuracy.shape != answers.shape:
        raise ValueError("accuracy and answers must be one-dimensional and of equal length")
    if np.any(answers < 0):
        raise ValueError("answers must be non-negative")
    known = np.isfinite(accuracy) & (answers > 0)
    p = np.clip(np.where(known, accuracy, 1.0 / k), 1.0 / k, 0.999)
    mass = np.where(known, weight * np.minimum(answers, cap), 0.0) / k  # pseudo-answers per row
    counts = np.repeat(((1.0 - p) / (k - 1) * mass)[:, None, None], k, axis=1).repeat(k, axis=2)
    diagonal = np.arange(k)
    counts[:, diagonal, diagonal] = (p * mass)[:, None]
    return counts


def has_records(prior_counts: NDArray[np.float64] | None) -> TypeGuard[NDArray[np.float64]]:
    """Whether any worker has a record (narrows ``prior_counts`` to an array when so)."""
    return prior_counts is not None and bool(np.any(prior_counts > 0))


def _record_scores(layout: Layout, prior_counts: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per answered task, the log-likelihood of its answers for each true class under the
    records (a worker without one: every answer equally likely whatever the truth)."""
    k = layout.n_classes
    totals = prior_counts + 1e-3  # [worker, truth, answer]
    confusion = totals / totals.sum(axis=2, keepdims=True)
    # Workers without a record: every answer equally likely whatever the truth.
    confusion[prior_counts.sum(axis=(1, 2)) == 0] = 1.0 / k
    table = np.log(confusion).transpose(0, 2, 1).reshape(layout.n_workers * k, k)  # [w*K + answer, truth]
    return layout.gather(table.astype(np.float32)).astype(np.float64)


def prior_posteriors(layout: Layout, prior_counts: NDArray[np.float64]) -> NDArray[np.float32]:
    """Posterior of each answered task under the record priors alone (uniform class prior):
    a worker without a record counts for nothing, so a task only newcomers answered starts
    uniform rather than at their own answers."""
    scores = _record_scores(layout, prior_counts)
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores.astype(np.float32)


def record_class_prior(layout: Layout, prior_counts: NDArray[np.float64], *, n_iter: int = 100) -> NDArray[np.float64]:
    """How common each class is, by maximum likelihood with each worker's confusion held at
    their record (EM over the class prior alone, a Dirichlet(1) prior keeping every class
    possible). Multi-label's labels present in 30% of objects answered by one worker each: the
    records say how often a worker marks a label that is absent, so the share of marks says
    how common the label is."""
    scores = _record_scores(layout, prior_counts)
    scores -= scores.max(axis=1, keepdims=True)
    likelihood = np.exp(scores)
    k = layout.n_classes
    prior = np.full(k, 1.0 / k)
    for _ in range(n_iter):
        joint = likelihood * prior
        joint /= joint.sum(axis=1, keepdims=True)
        updated = (joint.sum(axis=0) + 1.0) / (joint.shape[0] + k)
        if np.abs(updated - prior).max() < 1e-6:
            prior = updated
            break
        prior = updated
    return prior
