"""The models ``consolidate`` chooses between, and fitting one: on everything with all gold
known, or leaving each fold of the gold out (cross-fitting, so a calibration fitted on the gold
sees posteriors that did not know it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import numpy as np
from numpy.typing import NDArray

from consolidation import _em
from consolidation._layout import Layout
from consolidation._validate import Answers
from consolidation.dawid_skene import assemble, fit_layout
from consolidation.majority import majority_vote
from consolidation.one_coin import equal_workers_update
from consolidation.priors import dirichlet_update
from consolidation.records import has_records
from consolidation.results import ClassificationResult

# Multiples of the empirical-Bayes prior strength tried (``consolidation.priors``).
PRIOR_SCALES = (0.0, 0.1, 1.0)


class FitOptions(TypedDict):
    """EM's stopping rule, passed on to every fit (``**options``)."""

    tol: float
    max_iter: int


@dataclass(frozen=True, eq=False)
class Candidate:
    """A model to fit: Dawid-Skene with its confusion update, or majority vote (``update=None``)."""

    name: str
    update: _em.ConfusionUpdate | None  # None: majority vote
    uniform_class_prior: bool = False
    # Workers' records (``consolidation.records``): EM starts from the posteriors they imply.
    prior_counts: NDArray[np.float64] | None = None
    class_prior: NDArray[np.float64] | None = None  # held fixed when set


# The model for sparse workers (see ``consolidation.calibrated``).
EQUAL_WORKERS = Candidate("equal_workers", equal_workers_update, uniform_class_prior=True)


def candidates_for(worker_prior_counts: NDArray[np.float64] | None) -> list[Candidate]:
    models = [
        Candidate(
            f"dawid_skene(prior_scale={scale:g})",
            dirichlet_update(strength_scale=scale, worker_prior_counts=worker_prior_counts),
            prior_counts=worker_prior_counts if has_records(worker_prior_counts) else None,
        )
        for scale in PRIOR_SCALES
    ]
    models.append(Candidate("majority_vote", None))
    return models


def row_posteriors(
    layout: Layout,
    candidate: Candidate,
    *,
    gold_ids: NDArray[np.int64],
    gold_labels: NDArray[np.int64],
    tol: float,
    max_iter: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Posteriors of the answered tasks (layout rows) and the (worker, answer, truth) confusion."""
    if candidate.update is None:
        votes = layout.votes().astype(np.float64)
        votes /= votes.sum(axis=1, keepdims=True)
        rows = layout.rows_of(gold_ids)
        known = rows >= 0
        votes[rows[known]] = 0.0
        votes[rows[known], gold_labels[known]] = 1.0
        return votes, None
    fit = fit_layout(
        layout,
        gold_ids=gold_ids,
        gold_labels=gold_labels,
        update=candidate.update,
        tol=tol,
        max_iter=max_iter,
        uniform_class_prior=candidate.uniform_class_prior,
        prior_counts=candidate.prior_counts,
        fixed_class_prior=candidate.class_prior,
    )
    assert fit is not None  # layouts reaching here have answers
    return fit.posteriors.astype(np.float64), fit.confusion


def out_of_fold_posteriors(
    layout: Layout,
    candidate: Candidate,
    *,
    gold_ids: NDArray[np.int64],
    gold_labels: NDArray[np.int64],
    fold_of: NDArray[np.int64],
    tol: float,
    max_iter: int,
) -> NDArray[np.float64]:
    """Posteriors for each gold task from a fit that did not know its label."""
    gold_rows = layout.rows_of(gold_ids)
    result = np.empty((gold_ids.shape[0], layout.n_classes))
    for fold in range(int(fold_of.max()) + 1):
        hidden = fold_of == fold
        posteriors, _ = row_posteriors(
            layout,
            candidate,
            gold_ids=gold_ids[~hidden],
            gold_labels=gold_labels[~hidden],
            tol=tol,
            max_iter=max_iter,
        )
        result[hidden] = posteriors[gold_rows[hidden]]
    return result


def final_fit(
    layout: Layout,
    answers: Answers,
    candidate: Candidate,
    *,
    gold_ids: NDArray[np.int64],
    gold_labels: NDArray[np.int64],
    tol: float,
    max_iter: int,
) -> ClassificationResult:
    """A candidate fitted on everything with all gold known (uncalibrated)."""
    if candidate.update is None:
        return majority_vote(
            answers.task,
            answers.worker,
            answers.label,
            n_classes=answers.n_classes,
            n_tasks=answers.n_tasks,
            n_workers=answers.n_workers,
            gold=(gold_ids, gold_labels),
        )
    fit = fit_layout(
        layout,
        gold_ids=gold_ids,
        gold_labels=gold_labels,
        update=candidate.update,
        tol=tol,
        max_iter=max_iter,
        uniform_class_prior=candidate.uniform_class_prior,
        prior_counts=candidate.prior_counts,
        fixed_class_prior=candidate.class_prior,
    )
    return assemble(layout, fit, gold_ids=gold_ids, gold_labels=gold_labels, method=candidate.name)
