"""``consolidate``: the method and calibration Groundwork uses for real jobs.

Dawid-Skene (Dawid and Skene, 1979) for the labels, a fitted calibration map for the
confidences, and the job's gold to choose between models and to fit the map.

**Answer-based calibration** (always computed). One answer per task is held out (three rounds),
the default model refitted without them, and a temperature and floor (see
``consolidation.calibration``) chosen so the calibrated posteriors best predict the held-out
answers through each worker's confusion matrix. That measures how far the model over-counts
agreeing answers, but it cannot see errors the whole crowd shares, so the temperature is then
widened by the larger of ``NO_GOLD_WIDENING`` and the design effect of the workers' correlated
errors (``consolidation.dependence``). Without gold, this is the calibration: honest
confidences, wider than with gold.

**With at least ``MIN_GOLD_TO_CHOOSE`` answered gold tasks:**

1. Candidates: full Dawid-Skene at a few prior strengths (multiples of the data-derived
   empirical-Bayes strength, see ``consolidation.priors``) and majority vote.
2. Cross-fitting: the gold tasks are split into folds; each candidate is fitted with the other
   folds' gold known and this fold's gold hidden, giving out-of-fold posteriors for every gold
   task.
3. Calibration: per candidate, the map is fitted on those out-of-fold posteriors by maximum a
   posteriori, the answer-based temperature serving as a prior on ``log T`` (sd
   ``TEMPERATURE_PRIOR_SD``): 80 gold tasks leave the temperature uncertain by ~20%.
4. Choice: the default (Dawid-Skene at ``DEFAULT_PRIOR_SCALE``) is kept unless another
   candidate's calibrated log-loss on gold is lower by a clear margin (see ``_choose``): voting
   is chosen only where the data says Dawid-Skene is worse. The chosen model, fitted with all
   gold known, is calibrated; labels are its uncalibrated winners.

**With less gold** (bluebird: 11 tasks) the answer-based calibration is used, the gold choosing
the widening factor between ``NO_GOLD_WIDENING`` and the design effect.

**Workers' records** (``worker_prior_counts``, e.g. from ``consolidation.records``): EM starts
from the posteriors they imply, the crowd is never treated as equal workers, one answer per task
is taken at the records' word (class prior estimated under them and held, no temperature), and
the no-gold widening is the design effect alone; see ``consolidation.records`` and
docs/consolidation.md, "Workers' records".

**Sparse workers, without enough gold to choose:** Dawid-Skene weighs each worker by a
confusion matrix estimated from that worker's own answers; with few answers per worker those
estimates are noise, and overruling the plain vote with them loses accuracy (simulated crowds of
6 workers of accuracy 0.55-0.92, 3 answers per task, 30-40 seeds: 0.80 against 0.83 for the vote
at 20 answers per worker, about level at 50, ahead from 75). So when the median worker gave
fewer than ``MIN_ANSWERS_PER_WORKER_FOR_MODEL`` answers, the model treats every worker as equally
reliable (one-coin Dawid-Skene with one accuracy shared by the crowd and a uniform class prior:
the vote, made a probability), calibrated on held-out answers and widened like the default. Its posteriors carry
the vote's labels with confidences that mean what they say (on those simulations: expected
calibration error 0.06-0.13, against 0.15-0.24 for calibrated vote shares).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypedDict

import numpy as np
from numpy.typing import ArrayLike, NDArray

from consolidation import _em, _validate
from consolidation._layout import Layout, build
from consolidation._rows import row_argmax
from consolidation._validate import Answers
from consolidation.calibration import MAX_TEMPERATURE, Calibration, fit_calibration
from consolidation.dawid_skene import assemble, fit_layout
from consolidation.dependence import design_effect, error_correlation
from consolidation.majority import confusion_against, majority_vote
from consolidation.one_coin import equal_workers_update
from consolidation.priors import DEFAULT_PRIOR_SCALE, dirichlet_update
from consolidation.records import has_records, record_class_prior
from consolidation.results import ClassificationResult, classification

PRIOR_SCALES = (0.0, 0.1, 1.0)
MAX_FOLDS = 5
MIN_GOLD_TO_CHOOSE = 30
NO_GOLD_WIDENING = 1.25
# Without gold the temperature is also widened by the design effect of correlated errors; the
# error correlation measured against consolidated labels understates the true one (a shared
# error often becomes the label), hence the weight, set so no shared dataset is over-confident.
DEPENDENCE_WEIGHT = 1.3
HELD_OUT_ROUNDS = 3
# Log-loss per gold task by which an alternative must beat the default model to be chosen.
SWITCH_MARGIN = 0.02
# Spread of the normal prior on log T that the answer-based temperature puts on the gold fit.
TEMPERATURE_PRIOR_SD = 0.35
VOTING_MARGIN = 0.05
# Median answers per worker below which the vote picks the labels (see the module doc).
MIN_ANSWERS_PER_WORKER_FOR_MODEL = 75


class _FitOptions(TypedDict):
    """EM's stopping rule, passed on to every fit."""

    tol: float
    max_iter: int


@dataclass(frozen=True, eq=False)
class _Candidate:
    name: str
    update: _em.ConfusionUpdate | None  # None: majority vote
    uniform_class_prior: bool = False
    # Workers' records (``consolidation.records``): EM starts from the posteriors they imply.
    prior_counts: NDArray[np.float64] | None = None
    class_prior: NDArray[np.float64] | None = None  # held fixed when set


# The model for sparse workers (see the module doc).
EQUAL_WORKERS = _Candidate("equal_workers", equal_workers_update, uniform_class_prior=True)


def _candidates(worker_prior_counts: NDArray[np.float64] | None) -> list[_Candidate]:
    models = [
        _Candidate(
            f"dawid_skene(prior_scale={scale:g})",
            dirichlet_update(strength_scale=scale, worker_prior_counts=worker_prior_counts),
            prior_counts=worker_prior_counts if has_records(worker_prior_counts) else None,
        )
        for scale in PRIOR_SCALES
    ]
    models.append(_Candidate("majority_vote", None))
    return models


def _row_posteriors(
    layout: Layout,
    candidate: _Candidate,
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


def _out_of_fold(
    layout: Layout,
    candidate: _Candidate,
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
        posteriors, _ = _row_posteriors(
            layout,
            candidate,
            gold_ids=gold_ids[~hidden],
            gold_labels=gold_labels[~hidden],
            tol=tol,
            max_iter=max_iter,
        )
        result[hidden] = posteriors[gold_rows[hidden]]
    return result


def _held_out_split(answers: Answers, rng: np.random.Generator) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
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


def _held_out_observations(
    answers: Answers,
    candidate: _Candidate,
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
        kept, held = _held_out_split(answers, rng)
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
        posteriors, confusion = _row_posteriors(
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


def _one_hot(labels: NDArray[np.int64], k: int) -> NDArray[np.float64]:
    rows = np.zeros((labels.shape[0], k))
    rows[np.arange(labels.shape[0]), labels] = 1.0
    return rows


def _log_loss(calibration: Calibration, posteriors: NDArray[np.float64], truth: NDArray[np.int64]) -> float:
    calibrated = calibration.apply(posteriors)
    picked = calibrated[np.arange(truth.shape[0]), truth]
    return -float(np.log(np.maximum(picked, 1e-300)).sum())


def _widen(
    calibration: Calibration,
    *,
    answers: Answers,
    labels: NDArray[np.int64],
    confusion: NDArray[np.float64],
    gold: tuple[NDArray[np.float64], NDArray[np.int64]] | None,
    narrowest: float = NO_GOLD_WIDENING,
) -> Calibration:
    """Widen a calibration fitted on held-out answers (see the module doc).

    Without gold, by the larger of ``NO_GOLD_WIDENING`` and the design effect of correlated
    errors. With a little gold, by the factor in that range whose calibrated out-of-fold
    posteriors give the gold labels the highest likelihood: a handful of tasks cannot fit a
    temperature, but they can tell a plausible widening from an absurd one.
    """
    rho, n_bar = error_correlation(
        answers.task,
        answers.worker,
        answers.label,
        labels=labels,
        confusion=confusion,
        n_tasks=answers.n_tasks,
    )
    widest = max(narrowest, design_effect(DEPENDENCE_WEIGHT * rho, n_bar))
    factor = widest
    if gold is not None and widest > narrowest:
        gold_posteriors, gold_labels = gold

        def gold_loss(candidate: float) -> float:
            widened = Calibration(calibration.temperature * candidate, calibration.floor)
            return _log_loss(widened, gold_posteriors, gold_labels)

        # A dozen gold tasks barely tell the factors apart, and picking the best one on them
        # swings the temperature by 3x between splits (bluebird: ECE 0.03 to 0.12). Average
        # instead: the factors' geometric mean weighted by the gold's likelihood of each (a
        # posterior mean of log factor under a flat prior on the grid).
        grid = np.geomspace(widest, narrowest, 8)
        losses = np.array([gold_loss(float(candidate)) for candidate in grid])
        weights = np.exp(-(losses - losses.min()))
        factor = float(np.exp((weights * np.log(grid)).sum() / weights.sum()))
    return Calibration(
        temperature=min(calibration.temperature * factor, MAX_TEMPERATURE),
        floor=calibration.floor,
    )


def _final_fit(
    layout: Layout,
    answers: Answers,
    candidate: _Candidate,
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


def _choose(fitted: list[tuple[float, _Candidate, Calibration]], n_gold: int) -> tuple[_Candidate, Calibration]:
    """The default model unless another beats its calibrated gold log-loss by a clear margin.

    A few dozen gold tasks rank near-equal models at random, and each switch made on noise
    costs calibration (the temperature was fitted on the same tasks that picked the model). So
    the default Dawid-Skene stays unless an alternative wins by ``SWITCH_MARGIN`` nats per gold
    task (``VOTING_MARGIN`` for majority vote); among those that do, the best wins.
    """
    default_name = f"dawid_skene(prior_scale={DEFAULT_PRIOR_SCALE:g})"
    default_loss, chosen, calibration = next(f for f in fitted if f[1].name == default_name)
    best_gain = 0.0
    for loss, candidate, candidate_calibration in fitted:
        margin = VOTING_MARGIN if candidate.update is None else SWITCH_MARGIN
        gain = default_loss - loss - margin * n_gold
        if gain > best_gain:
            best_gain, chosen, calibration = gain, candidate, candidate_calibration
    return chosen, calibration


def consolidate(
    task: ArrayLike,
    worker: ArrayLike,
    label: ArrayLike,
    *,
    n_classes: int,
    n_tasks: int | None = None,
    n_workers: int | None = None,
    gold: tuple[ArrayLike, ArrayLike] | None = None,
    worker_prior_counts: ArrayLike | None = None,
    rng: np.random.Generator | None = None,
    tol: float = 1e-5,
    max_iter: int = 500,
) -> ClassificationResult:
    """Labels and calibrated confidences for a job: the product default (see module doc).

    Arguments are those of ``dawid_skene``; ``rng`` drives the held-out answers and the gold
    folds (default ``np.random.default_rng(0)``, so results are reproducible).

    With gold (30+ answered gold tasks), the model is chosen and the confidences calibrated on
    the gold by cross-fitting. Without gold, the confidences are calibrated on answers held out
    from the fit (how well the model predicts an answer it did not see) and then widened by the
    design effect of the workers' correlated errors, which held-out answers cannot reveal: they
    are honest but wider than with gold (on the shared datasets, no more than 0.6 points
    over-confident on average, and up to 19 points under-confident). Details in the module doc.
    ``method``
    names the model, the calibration and its source, e.g.
    ``"dawid_skene(prior_scale=1)+calibration(T=6.4, floor=0; gold)"``.

    Gold tasks come back with their known label at confidence 1. Cost: with gold,
    ``HELD_OUT_ROUNDS + 1`` fits plus ``4 candidates x 5 folds`` (+1 if another model wins);
    without, ``HELD_OUT_ROUNDS + 1``.
    """
    _validate.tolerance(tol, max_iter)
    rng = np.random.default_rng(0) if rng is None else rng
    answers = _validate.answers(task, worker, label, n_classes=n_classes, n_tasks=n_tasks, n_workers=n_workers)
    gold_ids, gold_labels = _validate.gold(gold, n_tasks=answers.n_tasks, n_classes=n_classes)
    priors = _validate.prior_counts(worker_prior_counts, n_workers=answers.n_workers, n_classes=answers.n_classes)
    layout = build(answers)
    candidates = _candidates(priors)
    if has_records(priors) and np.median(np.bincount(answers.task)[np.bincount(answers.task) > 0]) < 2:
        # One answer per task tells the class prior only through the records (left free, EM
        # drifts it and the confusion rows together to one class): estimate it once under the
        # records and hold it. Nor does it tell anything about a worker without a record: no pull
        # toward the crowd's pooled matrix (it would lend a newcomer the proven workers'
        # accuracy), so a newcomer's lone answer stays a coin flip.
        class_prior = record_class_prior(layout, priors)
        candidates = [
            replace(c, class_prior=class_prior, update=dirichlet_update(strength_scale=0, worker_prior_counts=priors))
            if c.update is not None
            else c
            for c in candidates
        ]
    if layout.n_rows == 0:
        return assemble(layout, None, gold_ids=gold_ids, gold_labels=gold_labels, method="no_answers")
    answered_gold = layout.rows_of(gold_ids) >= 0
    scored_ids, scored_labels = gold_ids[answered_gold], gold_labels[answered_gold]
    fit_kwargs: _FitOptions = {"tol": tol, "max_iter": max_iter}

    # The default model, fitted with all gold: the answer in most jobs, and the source of the
    # answer-based calibration that serves alone without gold and as a prior with it.
    default = candidates[PRIOR_SCALES.index(DEFAULT_PRIOR_SCALE)]
    default_fit = _final_fit(layout, answers, default, gold_ids=gold_ids, gold_labels=gold_labels, **fit_kwargs)
    # Too little gold to choose and too few answers per worker to trust their confusion
    # matrices: the vote decides (see the module doc).
    # Workers' records tell workers apart where their answers in this job cannot.
    records = has_records(priors)
    sparse = scored_ids.shape[0] < MIN_GOLD_TO_CHOOSE and not records and _workers_are_sparse(answers)
    posteriors, likelihood = _held_out_observations(
        answers,
        EQUAL_WORKERS if sparse else default,
        gold_ids=gold_ids,
        gold_labels=gold_labels,
        rng=rng,
        **fit_kwargs,
    )
    if posteriors.shape[0] == 0 and records:
        # One answer per task: nothing to calibrate on, and nothing to over-count either; the
        # posteriors are the records' own (see ``consolidation.records``).
        answer_calibration = Calibration(temperature=1.0, floor=0.0)
    elif posteriors.shape[0] == 0:
        # One answer per task and no records: nothing to calibrate on; stay maximally wide.
        answer_calibration = Calibration(temperature=MAX_TEMPERATURE, floor=0.0)
    else:
        answer_calibration = fit_calibration(posteriors, likelihood)

    if scored_ids.shape[0] >= MIN_GOLD_TO_CHOOSE:
        prior = _widen(
            answer_calibration,
            answers=answers,
            labels=default_fit.labels,
            confusion=default_fit.confusion,
            gold=None,
        )
        n_folds = min(MAX_FOLDS, scored_ids.shape[0])
        fold_of = rng.permutation(scored_ids.shape[0]) % n_folds
        truth_rows = _one_hot(scored_labels, layout.n_classes)
        fitted = []
        for candidate in candidates:
            out_of_fold = _out_of_fold(
                layout,
                candidate,
                gold_ids=scored_ids,
                gold_labels=scored_labels,
                fold_of=fold_of,
                **fit_kwargs,
            )
            # The answer-based temperature is a prior for Dawid-Skene only: vote shares live on
            # another scale.
            calibration = fit_calibration(
                out_of_fold,
                truth_rows,
                prior_temperature=prior.temperature if candidate.update is not None else None,
                prior_sd=TEMPERATURE_PRIOR_SD,
            )
            fitted.append((_log_loss(calibration, out_of_fold, scored_labels), candidate, calibration))
        chosen, calibration = _choose(fitted, scored_ids.shape[0])
        source = "gold"
        final = (
            default_fit
            if chosen is default
            else _final_fit(layout, answers, chosen, gold_ids=gold_ids, gold_labels=gold_labels, **fit_kwargs)
        )
    else:
        chosen, final = default, default_fit
        if sparse:
            chosen = EQUAL_WORKERS
            final = _final_fit(layout, answers, chosen, gold_ids=gold_ids, gold_labels=gold_labels, **fit_kwargs)
        gold = None
        source = "held-out answers"
        if scored_ids.shape[0] > 0:
            # A little gold: too little to fit a calibration, enough to judge the widening.
            gold_fold = np.arange(scored_ids.shape[0]) % min(MAX_FOLDS, scored_ids.shape[0])
            gold_out_of_fold = _out_of_fold(
                layout,
                chosen,
                gold_ids=scored_ids,
                gold_labels=scored_labels,
                fold_of=gold_fold,
                **fit_kwargs,
            )
            gold = (gold_out_of_fold, scored_labels)
            source = "held-out answers and gold"
        # With records the model is not a guess about workers the job cannot tell apart, so
        # only the measured dependence widens it (the 1.25 covers the guess).
        calibration = _widen(
            answer_calibration,
            answers=answers,
            labels=final.labels,
            confusion=final.confusion,
            gold=gold,
            narrowest=1.0 if records else NO_GOLD_WIDENING,
        )
        if records:
            source += " and records"
    method = f"{chosen.name}+calibration({calibration.describe()}; {source})"
    calibrated = calibration.apply(final.posteriors)
    # Calibration leaves unanswered tasks uniform and gold one-hot (up to the log floor): re-pin
    # the gold exactly, since its truth is known.
    calibrated[gold_ids] = 0.0
    calibrated[gold_ids, gold_labels] = 1.0
    return classification(
        calibrated,
        # The equal-workers model gives everyone one matrix; each worker's own estimate (noisy
        # as it is) is still what a reputation record wants.
        confusion=default_fit.confusion if chosen is EQUAL_WORKERS else final.confusion,
        answered=layout.answered,
        n_iter=final.n_iter,
        converged=final.converged,
        method=method,
        log_likelihood=final.log_likelihood,
        # The uncalibrated winners: calibration must never change a label.
        labels=_labels(final, default_fit, layout, equal_workers=chosen is EQUAL_WORKERS, records=records),
    )


def _labels(
    final: ClassificationResult,
    default_fit: ClassificationResult,
    layout: Layout,
    *,
    equal_workers: bool,
    records: bool,
) -> NDArray[np.int64]:
    if equal_workers:
        return _break_ties(final, default_fit)
    if not records:
        return final.labels
    # With records a lone answer from a worker without one is an exact tie: it goes to the
    # answer given (the vote) rather than to the lowest class.
    votes = np.zeros((layout.n_tasks, layout.n_classes))
    votes[layout.answered_ids] = layout.votes()
    posteriors = final.posteriors
    tied = posteriors >= posteriors.max(axis=1, keepdims=True) - 1e-9
    labels = row_argmax(np.where(tied, votes, -1.0))
    labels[~layout.answered] = final.labels[~layout.answered]
    return labels


def _break_ties(final: ClassificationResult, default_fit: ClassificationResult) -> NDArray[np.int64]:
    """The equal-workers labels, an exact tie (a split vote) going to the class Dawid-Skene finds
    likelier rather than to the lowest: the confidence is the same either way."""
    posteriors = final.posteriors
    tied = posteriors >= posteriors.max(axis=1, keepdims=True) - 1e-9
    return row_argmax(np.where(tied, default_fit.posteriors, -1.0))


def _workers_are_sparse(answers: Answers) -> bool:
    per_worker = np.bincount(answers.worker, minlength=answers.n_workers)
    return float(np.median(per_worker[per_worker > 0])) < MIN_ANSWERS_PER_WORKER_FOR_MODEL
