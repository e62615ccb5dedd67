"""How consolidation is measured: gold splits, accuracy and ECE on the held-out tasks.

Shared by the tests and ``bench/consolidation.py`` so both score exactly the same way: for each
split, a random ``gold_share`` of the tasks with a known truth is handed to the method as gold,
and the method is scored on the other tasks with a truth and at least one answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from consolidation.calibration import expected_calibration_error
from consolidation.datasets import CrowdDataset
from consolidation.results import ClassificationResult

Gold = tuple[NDArray[np.int64], NDArray[np.int64]]
Method = Callable[[CrowdDataset, Gold, np.random.Generator], ClassificationResult]


@dataclass(frozen=True)
class SplitScores:
    accuracy: NDArray[np.float64]  # one per split
    ece: NDArray[np.float64]
    seconds: NDArray[np.float64]
    methods: tuple[str, ...]


def gold_split(dataset: CrowdDataset, rng: np.random.Generator, gold_share: float) -> tuple[Gold, Gold]:
    """(gold given to the method, truth it is scored on)."""
    order = rng.permutation(dataset.truth_task.shape[0])
    n_gold = int(round(gold_share * order.shape[0]))
    given, held = order[:n_gold], order[n_gold:]
    return (
        (dataset.truth_task[given], dataset.truth_label[given]),
        (dataset.truth_task[held], dataset.truth_label[held]),
    )


def score_splits(
    dataset: CrowdDataset,
    method: Method,
    *,
    n_splits: int = 20,
    gold_share: float = 0.1,
    seed: int = 0,
    clock: Callable[[], float] | None = None,
) -> SplitScores:
    """Accuracy and ECE (10 bins) of ``method`` on the held-out truth of each split."""
    accuracy, ece, seconds, methods = [], [], [], []
    answered_tasks = np.zeros(dataset.n_tasks, dtype=bool)
    answered_tasks[dataset.task] = True
    for split in range(n_splits):
        rng = np.random.default_rng([seed, split])
        gold, held = gold_split(dataset, rng, gold_share)
        start = clock() if clock else 0.0
        result = method(dataset, gold, rng)
        seconds.append((clock() - start) if clock else 0.0)
        scored = answered_tasks[held[0]]
        tasks, truth = held[0][scored], held[1][scored]
        correct = result.labels[tasks] == truth
        accuracy.append(float(correct.mean()))
        ece.append(expected_calibration_error(result.confidence[tasks], correct))
        methods.append(result.method)
    return SplitScores(
        accuracy=np.array(accuracy),
        ece=np.array(ece),
        seconds=np.array(seconds),
        methods=tuple(methods),
    )
