"""Input checks shared by every consolidation entry point.

Every public function validates here first, so a caller gets one clear ``ValueError`` naming the
argument instead of an ``IndexError`` from deep inside the EM loop. Arrays are never written to:
integer arrays are returned as read-only views when their dtype already fits, and copied only when
a conversion is unavoidable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class Answers:
    """Validated answers: three equal-length integer arrays and the sizes they index into."""

    task: NDArray[np.integer]
    worker: NDArray[np.integer]
    label: NDArray[np.integer]
    n_tasks: int
    n_workers: int
    n_classes: int

    @property
    def n_answers(self) -> int:
        return int(self.task.shape[0])


def _int_array(values: ArrayLike, name: str) -> NDArray[np.integer]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a one-dimensional array, got shape {array.shape}")
    if array.size == 0:
        # An empty list has dtype float64; treat it as an empty integer array.
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got dtype {array.dtype}")
    view = array.view()
    view.flags.writeable = False
    return view


def _bounds(array: NDArray[np.integer], name: str) -> tuple[int, int]:
    if array.size == 0:
        return 0, -1
    low, high = int(array.min()), int(array.max())
    if low < 0:
        raise ValueError(f"{name} must be non-negative, found {low}")
    return low, high


def _size(given: int | None, needed: int, name: str, ids: str) -> int:
    if given is None:
        return needed
    given = int(given)
    if given < needed:
        raise ValueError(f"{name}={given} but {ids} go up to {needed - 1}")
    return given


def check_n_classes(n_classes: int) -> int:
    if isinstance(n_classes, bool) or int(n_classes) != n_classes or n_classes < 2:
        raise ValueError(f"n_classes must be an integer of at least 2, got {n_classes!r}")
    return int(n_classes)


def answers(
    task: ArrayLike,
    worker: ArrayLike,
    label: ArrayLike,
    *,
    n_classes: int,
    n_tasks: int | None = None,
    n_workers: int | None = None,
) -> Answers:
    """Check the three answer arrays and work out the number of tasks and workers."""
    n_classes = check_n_classes(n_classes)
    task_ids = _int_array(task, "task")
    worker_ids = _int_array(worker, "worker")
    labels = _int_array(label, "label")
    if not task_ids.shape[0] == worker_ids.shape[0] == labels.shape[0]:
        raise ValueError(
            "task, worker and label must have the same length, got "
            f"{task_ids.shape[0]}, {worker_ids.shape[0]} and {labels.shape[0]}"
        )
    _, task_high = _bounds(task_ids, "task")
    _, worker_high = _bounds(worker_ids, "worker")
    _, label_high = _bounds(labels, "label")
    if label_high >= n_classes:
        raise ValueError(f"label must be below n_classes={n_classes}, found {label_high}")
    return Answers(
        task=task_ids,
        worker=worker_ids,
        label=labels,
        n_tasks=_size(n_tasks, task_high + 1, "n_tasks", "task ids"),
        n_workers=_size(n_workers, worker_high + 1, "n_workers", "worker ids"),
        n_classes=n_classes,
    )


def gold(
    pairs: tuple[ArrayLike, ArrayLike] | None, *, n_tasks: int, n_classes: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Check ``(gold_task_ids, gold_labels)``; returns two int64 arrays (empty when no gold)."""
    if pairs is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if len(pairs) != 2:
        raise ValueError("gold must be a pair (gold_task_ids, gold_labels)")
    ids = _int_array(pairs[0], "gold task ids").astype(np.int64)
    labels = _int_array(pairs[1], "gold labels").astype(np.int64)
    if ids.shape != labels.shape:
        raise ValueError(
            f"gold task ids and gold labels must have the same length, got {ids.shape[0]} and {labels.shape[0]}"
        )
    _, id_high = _bounds(ids, "gold task ids")
    _, label_high = _bounds(labels, "gold labels")
    if id_high >= n_tasks:
        raise ValueError(f"gold task id {id_high} is not below n_tasks={n_tasks}")
    if label_high >= n_classes:
        raise ValueError(f"gold labels must be below n_classes={n_classes}, found {label_high}")
    if np.unique(ids).shape[0] != ids.shape[0]:
        raise ValueError("gold task ids must not repeat")
    return ids, labels


def prior_counts(counts: ArrayLike | None, *, n_workers: int, n_classes: int) -> NDArray[np.float64] | None:
    """Check per-worker prior confusion counts, shaped ``(n_workers, truth, answer)``."""
    if counts is None:
        return None
    array = np.asarray(counts, dtype=np.float64)
    expected = (n_workers, n_classes, n_classes)
    if array.shape != expected:
        raise ValueError(f"worker_prior_counts must have shape {expected}, got {array.shape}")
    if not np.all(np.isfinite(array)) or array.min() < 0:
        raise ValueError("worker_prior_counts must be finite and non-negative")
    return array


def tolerance(tol: float, max_iter: int) -> None:
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol!r}")
    if int(max_iter) != max_iter or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
