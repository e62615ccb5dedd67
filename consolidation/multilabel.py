"""Multi-label classification: each class judged present or absent on its own.

A worker's answer is a set of labels. Treating "class k present?" as a separate binary question
per class turns multi-label consolidation into K binary consolidations, each with its own
worker confusion (a worker may be reliable on "cat" and careless on "dog"). Each binary problem
is consolidated by ``consolidate`` (calibrated Dawid-Skene, Dawid and Skene 1979) or, when asked,
by ``dawid_skene`` (raw posteriors) or majority vote. The loop is over classes only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from consolidation import _validate
from consolidation.calibrated import consolidate
from consolidation.dawid_skene import dawid_skene
from consolidation.majority import majority_vote
from consolidation.records import record_prior_counts
from consolidation.results import frozen

Method = Literal["consolidate", "dawid_skene", "majority_vote"]


@dataclass(frozen=True)
class MultiLabelResult:
    """``probability[t, k]``: probability class ``k`` is present in task ``t``;
    ``present`` is each class's consolidated label on answered tasks, so ``probability >= 0.5``
    wherever it is set (exactly 0.5 is a tie, left absent; a task nobody answered has nothing
    present, and probability 0.5); ``answered`` as for single-label results;
    ``methods[k]`` names the method used for class ``k``."""

    present: NDArray[np.bool_]
    probability: NDArray[np.float64]
    answered: NDArray[np.bool_]
    methods: tuple[str, ...]


def multilabel(
    task: ArrayLike,
    worker: ArrayLike,
    present: ArrayLike,
    *,
    n_tasks: int | None = None,
    n_workers: int | None = None,
    gold: tuple[ArrayLike, ArrayLike] | None = None,
    method: Method = "consolidate",
    rng: np.random.Generator | None = None,
    worker_records: tuple[ArrayLike, ArrayLike] | None = None,
) -> MultiLabelResult:
    """Consolidate multi-label answers.

    ``task`` and ``worker`` hold one entry per answer; ``present`` is ``(n_answers, K)`` bool:
    the labels that answer selected (an empty row is an answer saying "none of these").
    ``gold`` is ``(gold_task_ids, gold_present)`` with ``gold_present`` ``(n_gold, K)`` bool.
    ``worker_records`` is ``(accuracy, answers)``, one entry per worker: the share of labels
    each worker judged right (present or absent) over that many earlier answers (see
    ``consolidation.records``); with ``method="consolidate"`` it becomes each class's prior
    sensitivity and specificity per worker, so a worker with a long good record counts for more
    than a newcomer even where this job cannot tell them apart.

    ``probability[t, k]`` is the probability that label ``k`` is present in task ``t``.
    """
    present_rows = np.asarray(present)
    if present_rows.ndim != 2 or present_rows.shape[1] < 1:
        raise ValueError(f"present must be a (n_answers, K) array, got shape {present_rows.shape}")
    if present_rows.dtype != bool:
        if not np.isin(present_rows, (0, 1)).all():
            raise ValueError("present must hold booleans (or 0/1)")
        present_rows = present_rows.astype(bool)
    k = present_rows.shape[1]
    first = _validate.answers(
        task,
        worker,
        present_rows[:, 0].astype(np.int64),
        n_classes=2,
        n_tasks=n_tasks,
        n_workers=n_workers,
    )
    gold_ids = gold_present = None
    if gold is not None:
        if len(gold) != 2:
            raise ValueError("gold must be a pair (gold_task_ids, gold_present)")
        gold_present = np.asarray(gold[1])
        if gold_present.ndim != 2 or gold_present.shape[1] != k:
            raise ValueError(f"gold_present must have shape (n_gold, {k}), got {gold_present.shape}")
        gold_ids, _ = _validate.gold((gold[0], gold_present[:, 0].astype(np.int64)), n_tasks=first.n_tasks, n_classes=2)
    rng = np.random.default_rng(0) if rng is None else rng
    prior_counts = None
    if worker_records is not None:
        record_accuracy = np.asarray(worker_records[0], dtype=np.float64)
        if record_accuracy.shape != (first.n_workers,):
            raise ValueError(f"worker_records must hold one entry per worker ({first.n_workers})")
        prior_counts = record_prior_counts(record_accuracy, worker_records[1], n_classes=2)
    probability = np.empty((first.n_tasks, k))
    present = np.zeros((first.n_tasks, k), dtype=bool)
    methods = []
    answered = np.zeros(first.n_tasks, dtype=bool)
    for column in range(k):
        labels = present_rows[:, column].astype(np.int64)
        class_gold = None
        if gold_ids is not None and gold_present is not None:
            class_gold = (gold_ids, gold_present[:, column].astype(np.int64))
        common: dict[str, Any] = {
            "n_classes": 2,
            "n_tasks": first.n_tasks,
            "n_workers": first.n_workers,
            "gold": class_gold,
        }
        if method == "consolidate":
            result = consolidate(first.task, first.worker, labels, rng=rng, worker_prior_counts=prior_counts, **common)
        elif method == "dawid_skene":
            result = dawid_skene(first.task, first.worker, labels, **common)
        elif method == "majority_vote":
            result = majority_vote(first.task, first.worker, labels, **common)
        else:
            raise ValueError(f"unknown method {method!r}")
        probability[:, column] = result.posteriors[:, 1]
        present[:, column] = result.labels == 1
        answered = result.answered
        methods.append(result.method)
    return MultiLabelResult(
        present=frozen(present & answered[:, None]),
        probability=frozen(probability),
        answered=frozen(answered.copy()),
        methods=tuple(methods),
    )
