"""Dawid-Skene expectation-maximisation for single-label classification.

Model (Dawid, A. P. and Skene, A. M., 1979, "Maximum likelihood estimation of observer
error-rates using the EM algorithm", Journal of the Royal Statistical Society C 28(1):20-28):
each task ``t`` has an unknown true class ``z_t`` drawn from a class prior ``pi``; worker ``w``
answering it gives class ``j`` with probability ``confusion[w, z_t, j]``, independently of the
other answers given the truth. EM alternates the posterior of ``z_t`` given the answers (E-step)
with the maximum a-posteriori confusion matrices and class prior (M-step).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from consolidation import _em, _validate
from consolidation._layout import Layout, build
from consolidation._rows import row_sum
from consolidation.priors import DEFAULT_PRIOR_SCALE, dirichlet_update
from consolidation.records import has_records, prior_posteriors
from consolidation.results import ClassificationResult, classification


def soft_votes(layout: Layout) -> NDArray[np.float32]:
    """Vote shares per answered task: the standard Dawid-Skene starting point."""
    votes = layout.votes()
    votes /= row_sum(votes)[:, None]
    return votes


def prepare(
    task: ArrayLike,
    worker: ArrayLike,
    label: ArrayLike,
    *,
    n_classes: int,
    n_tasks: int | None,
    n_workers: int | None,
    gold: tuple[ArrayLike, ArrayLike] | None,
) -> tuple[Layout, NDArray[np.int64], NDArray[np.int64]]:
    """Validate, build the sparse layout and map gold task ids to layout rows."""
    answers = _validate.answers(task, worker, label, n_classes=n_classes, n_tasks=n_tasks, n_workers=n_workers)
    gold_ids, gold_labels = _validate.gold(gold, n_tasks=answers.n_tasks, n_classes=n_classes)
    return build(answers), gold_ids, gold_labels


def assemble(
    layout: Layout,
    fit: _em.EMFit | None,
    *,
    gold_ids: NDArray[np.int64],
    gold_labels: NDArray[np.int64],
    method: str,
) -> ClassificationResult:
    """Spread answered-task posteriors over all tasks and pin the gold ones."""
    k = layout.n_classes
    if fit is not None and layout.n_rows == layout.n_tasks:
        # Every task answered (the usual case): no uniform rows to fill in.
        posteriors = fit.posteriors.astype(np.float64)
    else:
        posteriors = np.full((layout.n_tasks, k), 1.0 / k)
    if fit is None:
        confusion = np.full((layout.n_workers, k, k), 1.0 / k)
        n_iter, converged, log_likelihood = 0, True, float("nan")
    else:
        if layout.n_rows != layout.n_tasks:
            posteriors[layout.answered_ids] = fit.posteriors
        confusion = fit.confusion.transpose(0, 2, 1)
        n_iter, converged, log_likelihood = fit.n_iter, fit.converged, fit.log_likelihood
    # Gold is known truth even for a task nobody answered.
    posteriors[gold_ids] = 0.0
    posteriors[gold_ids, gold_labels] = 1.0
    return classification(
        posteriors,
        confusion=np.ascontiguousarray(confusion),
        answered=layout.answered,
        n_iter=n_iter,
        converged=converged,
        method=method,
        log_likelihood=log_likelihood,
    )


def fit_layout(
    layout: Layout,
    *,
    gold_ids: NDArray[np.int64],
    gold_labels: NDArray[np.int64],
    update: _em.ConfusionUpdate,
    tol: float,
    max_iter: int,
    uniform_class_prior: bool = False,
    prior_counts: NDArray[np.float64] | None = None,
    fixed_class_prior: NDArray[np.float64] | None = None,
) -> _em.EMFit | None:
    """Run EM on a prepared layout (``None`` when there is not a single answer); with
    ``uniform_class_prior`` the classes' prior stays uniform instead of being estimated. With
    workers' records (``prior_counts``, see ``consolidation.records``) EM starts from the
    posteriors the records imply instead of vote shares; ``fixed_class_prior`` holds the
    classes' prior at given values."""
    if layout.n_rows == 0:
        return None
    rows = layout.rows_of(gold_ids)
    known = rows >= 0
    gold_rows, gold_rows_labels = rows[known], gold_labels[known]
    init = soft_votes(layout) if not has_records(prior_counts) else prior_posteriors(layout, prior_counts)
    _em.one_hot_rows(init, gold_rows, gold_rows_labels)
    return _em.run(
        layout,
        init=init,
        gold_rows=gold_rows,
        gold_labels=gold_rows_labels,
        update=update,
        tol=tol,
        max_iter=max_iter,
        uniform_class_prior=uniform_class_prior,
        fixed_class_prior=fixed_class_prior,
    )


def dawid_skene(
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
    prior_scale: float = DEFAULT_PRIOR_SCALE,
    worker_prior_counts: ArrayLike | None = None,
) -> ClassificationResult:
    """Consolidate single-label answers with Dawid-Skene EM (Dawid and Skene, 1979).

    ``task``, ``worker`` and ``label`` are equal-length integer arrays, one entry per answer;
    tasks are numbered ``0..n_tasks-1`` and workers ``0..n_workers-1`` (pass the sizes to include
    tasks or workers without answers). ``gold`` is ``(gold_task_ids, gold_labels)``: those tasks'
    truth is known and held fixed, so they anchor the confusion estimates.

    Each confusion row gets a Dirichlet prior centred on the crowd's pooled confusion matrix, its
    strength estimated from the data by the method of moments (see ``consolidation.priors``);
    ``prior_scale`` multiplies that strength (default ``DEFAULT_PRIOR_SCALE`` = 0.1; 0 keeps
    only a tiny floor: plain maximum likelihood; ``consolidate`` chooses it on gold).
    ``worker_prior_counts`` ``(n_workers, K, K)``, indexed ``[worker, truth, answer]``, adds
    pseudo-counts from earlier jobs so reputation carries over.

    EM starts from vote shares and stops when the mean marginal log-likelihood per answer
    changes by less than ``tol``, or after ``max_iter`` iterations (``converged`` is then
    False). The posteriors are the model's own and are typically over-confident on real crowds,
    whose answers are not independent given the truth; ``consolidate`` calibrates them.
    """
    _validate.tolerance(tol, max_iter)
    layout, gold_ids, gold_labels = prepare(
        task, worker, label, n_classes=n_classes, n_tasks=n_tasks, n_workers=n_workers, gold=gold
    )
    priors = _validate.prior_counts(worker_prior_counts, n_workers=layout.n_workers, n_classes=layout.n_classes)
    if not prior_scale >= 0:
        raise ValueError(f"prior_scale must be non-negative, got {prior_scale!r}")
    update = dirichlet_update(strength_scale=prior_scale, worker_prior_counts=priors)
    fit = fit_layout(
        layout,
        gold_ids=gold_ids,
        gold_labels=gold_labels,
        update=update,
        tol=tol,
        max_iter=max_iter,
        prior_counts=priors,
    )
    return assemble(layout, fit, gold_ids=gold_ids, gold_labels=gold_labels, method="dawid_skene")
