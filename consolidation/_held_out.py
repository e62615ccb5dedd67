"""Answer-based calibration data: refit the model without one answer per task and see how well
its posteriors predict each held-out answer through its worker's estimated confusion matrix."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from consolidation._candidates import Candidate, row_posteriors
from consolidation._layout import build
from consolidation._validate import Answers
from consolidation.majority import confusion_against

HELD_OUT_ROUNDS = 3


def held_out_split(answers: Answers, rng: np.random.Generator) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    """Pick one answer at random from every task with at least two; returns (kept mask, held)."""
    task = answers.task.astype(np.int64)
    order = np.lexsort((rng.random(len(task)), task))
    sorted_task = task[order]
    last_of_task = np.ones(task.shape[0], dtype=bool)
    last_of_task[:-1] = sorted_task[1:] != sorted_task[:-1]
    first_of_task = np.ones(task.shape[0], dtype=bool)
    first_of_task[1:] = sorted_task[1:] != sorted_task[:-1]
    # The last answer of a task in random order is the held-out one, unless it is the only one.
    held = order[last_of_task & ~first_of_task]
    kept = np.ones(task.shape[0], dtype=bool)
    kept[held] = False
    return kept, held


def held_out_observations(
    answers: Answers,
    candidate: Candidate,
    *,
    gold_ids: NDArray[np.int64],
    gold_labels: NDArray[np.int64],
    rng: np.random.Generator,
    tol: float,
    max_iter: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Posteriors fitted without one answer per task, and each held-out answer's likelihood
    ``P(answer | truth k)`` under its worker's estimated confusion matrix."""
    posteriors_parts, likelihood_parts = [], []
    for _ in range(HELD_OUT_ROUNDS):
        kept, held = held_out_split(answers, rng)
        if held.size == 0:
            break
        reduced = Answers(
            task=answers.task[kept],
            worker=answers.worker[kept],
            label=answers.label[kept],
            n_tasks=answers.n_tasks,
            n_workers=answers.n_workers,
            n_classes=answers.n_classes,
        )
        layout = build(reduced)
        posteriors, confusion = row_posteriors(
            layout,
            candidate,
            gold_ids=gold_ids,
            gold_labels=gold_labels,
            tol=tol,
            max_iter=max_iter,
        )
        if confusion is None:
            # Voting has no confusion matrices: use each worker's agreement with the vote.
            reference = np.zeros(answers.n_tasks, dtype=np.int64)
            reference[layout.answered_ids] = posteriors.argmax(axis=1)
            confusion = confusion_against(
                reduced.worker,
                reduced.label,
                reference[reduced.task],
                n_workers=answers.n_workers,
                n_classes=answers.n_classes,
            ).transpose(0, 2, 1)
        held_worker = answers.worker[held].astype(np.int64)
        held_label = answers.label[held].astype(np.int64)
        posteriors_parts.append(posteriors[layout.rows_of(answers.task[held].astype(np.int64))])
        likelihood_parts.append(confusion[held_worker, held_label, :])
    k = answers.n_classes
    if not posteriors_parts:
        return np.zeros((0, k)), np.zeros((0, k))
    return np.concatenate(posteriors_parts), np.concatenate(likelihood_parts)
