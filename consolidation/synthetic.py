"""Synthetic crowds drawn from the Dawid-Skene model, with known truth (tests and benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class SyntheticCrowd:
    task: NDArray[np.int64]
    worker: NDArray[np.int64]
    label: NDArray[np.int64]
    truth: NDArray[np.int64]
    confusion: NDArray[np.float64]  # (n_workers, truth, answer) used to draw the answers
    n_classes: int


def honest_and_spammers(
    rng: np.random.Generator,
    *,
    n_tasks: int,
    answers_per_task: int,
    n_classes: int,
    n_workers: int,
    spammer_share: float = 0.2,
    accuracy_beta: tuple[float, float] = (6.0, 2.0),
) -> SyntheticCrowd:
    """The issue's benchmark crowd: honest workers with Beta-distributed accuracy (wrong answers
    uniform over the other classes) and uniform spammers; workers drawn uniformly per answer.
    Answers come grouped by task, as a job export would give them."""
    k = n_classes
    accuracy = rng.beta(*accuracy_beta, size=n_workers)
    spammer = rng.random(n_workers) < spammer_share
    accuracy[spammer] = 1.0 / k
    truth = rng.integers(0, k, size=n_tasks)
    n = n_tasks * answers_per_task
    task = np.repeat(np.arange(n_tasks), answers_per_task)
    worker = rng.integers(0, n_workers, size=n)
    true_per_answer = truth[task]
    wrong = (true_per_answer + rng.integers(1, k, size=n)) % k
    label = np.where(rng.random(n) < accuracy[worker], true_per_answer, wrong)
    off = (1.0 - accuracy) / (k - 1)
    confusion = np.repeat(off[:, None, None], k, axis=1).repeat(k, axis=2)
    confusion[:, np.arange(k), np.arange(k)] = accuracy[:, None]
    return SyntheticCrowd(task, worker, label, truth, confusion, k)


def from_confusions(
    rng: np.random.Generator,
    *,
    confusion: NDArray[np.float64],
    n_tasks: int,
    answers_per_task: int,
    class_prior: NDArray[np.float64] | None = None,
) -> SyntheticCrowd:
    """Answers drawn from given per-worker confusion matrices ``(worker, truth, answer)``."""
    n_workers, k, _ = confusion.shape
    prior = np.full(k, 1.0 / k) if class_prior is None else class_prior
    truth = rng.choice(k, size=n_tasks, p=prior)
    # Distinct workers per task, like real redundancy: a random permutation prefix per task.
    picks = np.argsort(rng.random((n_tasks, n_workers)), axis=1)[:, :answers_per_task]
    task = np.repeat(np.arange(n_tasks), answers_per_task)
    worker = picks.reshape(-1)
    rows = confusion[worker, truth[task]]  # (n, K)
    cumulative = rows.cumsum(axis=1)
    label = (rng.random(task.shape[0])[:, None] > cumulative).sum(axis=1)
    label = np.minimum(label, k - 1)
    return SyntheticCrowd(task, worker, label.astype(np.int64), truth, confusion, k)
