"""Majority vote: the baseline every other method has to beat."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from consolidation import _validate
from consolidation.results import ClassificationResult, classification


def confusion_against(
    worker: NDArray[np.integer],
    label: NDArray[np.integer],
    reference: NDArray[np.integer],
    *,
    n_workers: int,
    n_classes: int,
) -> NDArray[np.float64]:
    """Each worker's answer frequencies given a reference label, add-one smoothed so a worker
    with no answers reads as uniform rather than undefined."""
    k = n_classes
    cells = (worker.astype(np.int64) * k + reference) * k + label
    counts = np.bincount(cells, minlength=n_workers * k * k).reshape(n_workers, k, k) + 1.0
    return counts / counts.sum(axis=2, keepdims=True)


def majority_vote(
    task: ArrayLike,
    worker: ArrayLike,
    label: ArrayLike,
    *,
    n_classes: int,
    n_tasks: int | None = None,
    n_workers: int | None = None,
    gold: tuple[ArrayLike, ArrayLike] | None = None,
    weights: ArrayLike | None = None,
) -> ClassificationResult:
    """Most frequent answer per task; ties go to the lowest class, deterministically.

    ``posteriors`` are the (weighted) vote shares and ``confidence`` the winning share: a
    description of the vote, not a calibrated probability. ``weights`` optionally gives one
    non-negative weight per worker (weighted majority vote). Gold tasks take their known label.
    ``confusion`` is each worker's answer frequency against the consolidated labels.
    """
    answers = _validate.answers(task, worker, label, n_classes=n_classes, n_tasks=n_tasks, n_workers=n_workers)
    gold_ids, gold_labels = _validate.gold(gold, n_tasks=answers.n_tasks, n_classes=n_classes)
    k = answers.n_classes
    if weights is None:
        answer_weight = None
    else:
        worker_weight = np.asarray(weights, dtype=np.float64)
        if worker_weight.shape != (answers.n_workers,):
            raise ValueError(
                f"weights must have one entry per worker ({answers.n_workers}), got shape {worker_weight.shape}"
            )
        if not np.all(np.isfinite(worker_weight)) or worker_weight.min(initial=0.0) < 0:
            raise ValueError("weights must be finite and non-negative")
        answer_weight = worker_weight[answers.worker]
    cells = answers.task.astype(np.int64) * k + answers.label
    votes = np.bincount(cells, weights=answer_weight, minlength=answers.n_tasks * k)
    votes = votes.reshape(answers.n_tasks, k).astype(np.float64)
    answered = np.bincount(answers.task, minlength=answers.n_tasks) > 0
    totals = votes.sum(axis=1, keepdims=True)
    # A task with no answers (or only zero-weight ones) gets a uniform posterior.
    posteriors = np.divide(votes, totals, out=np.full_like(votes, 1.0 / k), where=totals > 0)
    posteriors[gold_ids] = 0.0
    posteriors[gold_ids, gold_labels] = 1.0
    reference = posteriors.argmax(axis=1)
    confusion = confusion_against(
        answers.worker,
        answers.label,
        reference[answers.task],
        n_workers=answers.n_workers,
        n_classes=k,
    )
    return classification(
        posteriors,
        confusion=confusion,
        answered=answered,
        n_iter=0,
        converged=True,
        method="majority_vote",
    )
