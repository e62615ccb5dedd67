"""``consolidate``: the method and calibration Groundwork uses for real jobs.

Dawid-Skene (Dawid and Skene, 1979) for the labels, a fitted calibration map for the
confidences, and the job's gold to choose between models and to fit the map.

**Answer-based calibration** (always computed). One answer per task is held out (three rounds),
the default model refitted without them, and a temperature and floor (see
``consolidation.calibration``) chosen so the calibrated posteriors best predict the held-out
answers through each worker's confusion matrix. That measures how far the model over-counts
agreeing answers, but it cannot see errors the whole crowd shares, so the temperature is then
widened by the larger of ``NO_GOLD_WIDENING`` and the design effect of the workers' correlated
errors (``consolidation.dependence``). Without gold, this is the calibration of small jobs
(under ``MIN_TASKS_FOR_BOOTSTRAP`` tasks with several answers) and of crowds whose tasks differ
in difficulty (``OVERDISPERSED``): honest confidences, wider than with gold.

**Without gold, on larger jobs** (issue 23): a parametric bootstrap (``consolidation._bootstrap``)
gives the temperature, widened by the larger of the design effect and the misfit of the crowd's
agreement to the model; with workers' records the widened held-out temperature is a lower bound.

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
   candidate's calibrated log-loss on gold is lower by a clear margin (see ``_choice.choose``): voting
   is chosen only where the data says Dawid-Skene is worse. The chosen model, fitted with all
   gold known, is calibrated; labels are its uncalibrated winners.

**With less gold** (bluebird: 11 tasks) the answer-based calibration is used, the gold choosing
the widening factor between ``NO_GOLD_WIDENING`` and the design effect.

**Workers' records** (``worker_prior_counts``, e.g. from ``consolidation.records``): EM starts
from the posteriors they imply, the crowd is never treated as equal workers, one answer per task
is taken at the records' word (class prior estimated under them and held, no temperature), and
the held-out widening is the design effect alone; see ``consolidation.records`` and
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

from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from consolidation import _validate
from consolidation._bootstrap import (
    MIN_TASKS_FOR_BOOTSTRAP,
    bootstrap_check,
    misfit_widening,
    tasks_with_several_answers,
)
from consolidation._candidates import (
    EQUAL_WORKERS,
    PRIOR_SCALES,
    Candidate,
    FitOptions,
    candidates_for,
    final_fit,
    out_of_fold_posteriors,
)
from consolidation._choice import NO_GOLD_WIDENING, choose, dependence_widening, log_loss, one_hot, widen
from consolidation._held_out import held_out_observations
from consolidation._layout import Layout, build
from consolidation._rows import row_argmax
from consolidation._validate import Answers
from consolidation.calibration import MAX_TEMPERATURE, Calibration, fit_calibration
from consolidation.dawid_skene import assemble
from consolidation.priors import DEFAULT_PRIOR_SCALE, dirichlet_update
from consolidation.records import has_records, record_class_prior
from consolidation.results import ClassificationResult, classification

MAX_FOLDS = 5
MIN_GOLD_TO_CHOOSE = 30
# Spread of the normal prior on log T that the answer-based temperature puts on the gold fit.
TEMPERATURE_PRIOR_SD = 0.35
# Median answers per worker below which the vote picks the labels (see the module doc).
MIN_ANSWERS_PER_WORKER_FOR_MODEL = 75
# Dawid-Skene's posteriors share a split vote's probability among the tied classes, tempered by
# this: sparse workers' confusion matrices are noisy (why the vote decides), so they get half
# their log-odds (the bench's newcomer crowds at three answers: ECE 0.038 -> 0.023, 1.5-3 alike).
TIE_TEMPERATURE = 2.0
# Dispersion of agreement (see ``consolidation._bootstrap``) above which tasks are taken to
# differ in difficulty and the held-out calibration is used (simulated crowds that follow the
# model: up to 1.1; the shared real datasets: 1.23-1.38, but sentiment_tweet and product, ~1).
OVERDISPERSED = 1.15


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
    candidates = candidates_for(priors)
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
    fit_kwargs: FitOptions = {"tol": tol, "max_iter": max_iter}

    # The default model, fitted with all gold: the answer in most jobs, and the source of the
    # answer-based calibration that serves alone without gold and as a prior with it.
    default = candidates[PRIOR_SCALES.index(DEFAULT_PRIOR_SCALE)]
    default_fit = final_fit(layout, answers, default, gold_ids=gold_ids, gold_labels=gold_labels, **fit_kwargs)
    # Too little gold to choose and too few answers per worker to trust their confusion
    # matrices: the vote decides (see the module doc).
    # Workers' records tell workers apart where their answers in this job cannot.
    records = has_records(priors)
    sparse = scored_ids.shape[0] < MIN_GOLD_TO_CHOOSE and not records and _workers_are_sparse(answers)
    posteriors, likelihood = held_out_observations(
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
        prior = widen(
            answer_calibration,
            answers=answers,
            labels=default_fit.labels,
            confusion=default_fit.confusion,
            gold=None,
        )
        n_folds = min(MAX_FOLDS, scored_ids.shape[0])
        fold_of = rng.permutation(scored_ids.shape[0]) % n_folds
        truth_rows = one_hot(scored_labels, layout.n_classes)
        fitted = []
        for candidate in candidates:
            out_of_fold = out_of_fold_posteriors(
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
            fitted.append((log_loss(calibration, out_of_fold, scored_labels), candidate, calibration))
        chosen, calibration = choose(fitted, scored_ids.shape[0])
        source = "gold"
        final = (
            default_fit
            if chosen is default
            else final_fit(layout, answers, chosen, gold_ids=gold_ids, gold_labels=gold_labels, **fit_kwargs)
        )
    else:
        chosen, final = default, default_fit
        if sparse:
            chosen = EQUAL_WORKERS
            final = final_fit(layout, answers, chosen, gold_ids=gold_ids, gold_labels=gold_labels, **fit_kwargs)
        gold = None
        source = "held-out answers"
        if scored_ids.shape[0] > 0:
            # A little gold: too little to fit a calibration, enough to judge the widening.
            gold_fold = np.arange(scored_ids.shape[0]) % min(MAX_FOLDS, scored_ids.shape[0])
            gold_out_of_fold = out_of_fold_posteriors(
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
        calibration = widen(
            answer_calibration,
            answers=answers,
            labels=final.labels,
            confusion=final.confusion,
            gold=gold,
            narrowest=1.0 if records else NO_GOLD_WIDENING,
        )
        if gold is None and posteriors.shape[0] > 0:
            calibration, source = _without_gold(
                answers, chosen, final, held_out=calibration, records=records, rng=rng, fit_kwargs=fit_kwargs
            )
        if records:
            source += " and records"
    method = f"{chosen.name}+calibration({calibration.describe()}; {source})"
    calibrated = calibration.apply(final.posteriors)
    if chosen is EQUAL_WORKERS and tasks_with_several_answers(answers) >= MIN_TASKS_FOR_BOOTSTRAP:
        three_or_more = np.bincount(answers.task, minlength=answers.n_tasks) >= 3
        calibrated = _split_ties(calibrated, final.posteriors, default_fit.posteriors, answered=three_or_more)
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


def _without_gold(
    answers: Answers,
    chosen: Candidate,
    final: ClassificationResult,
    *,
    held_out: Calibration,
    records: bool,
    rng: np.random.Generator,
    fit_kwargs: FitOptions,
) -> tuple[Calibration, str]:
    """The calibration of a job without gold and with several answers per task (on at least
    ``MIN_TASKS_FOR_BOOTSTRAP`` tasks; a smaller job keeps the widened held-out one): the
    bootstrap's (``consolidation._bootstrap``), its temperature widened by the larger of the
    design effect and the misfit of agreement. The widened held-out calibration (``held_out``)
    is used where it was tuned: on crowds whose tasks differ in difficulty (``OVERDISPERSED``:
    four of the six shared real datasets), whose shared errors the bootstrap does not see; with
    workers' records it stays a lower bound (it was their calibration at 3+ answers)."""
    if tasks_with_several_answers(answers) < MIN_TASKS_FOR_BOOTSTRAP:
        return held_out, "held-out answers"
    check = bootstrap_check(answers, chosen, final, rng=rng, **fit_kwargs)
    dependence, n_bar = dependence_widening(answers, labels=final.labels, confusion=final.confusion)
    factor = max(dependence, misfit_widening(check.dispersion, n_bar))
    simulated = Calibration(
        temperature=min(check.calibration.temperature * factor, MAX_TEMPERATURE),
        floor=check.calibration.floor,
    )
    if check.dispersion > OVERDISPERSED or (records and held_out.temperature > simulated.temperature):
        return held_out, "held-out answers"
    return simulated, f"bootstrap, dispersion {check.dispersion:.2f}"


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


def _split_ties(
    calibrated: NDArray[np.float64],
    equal: NDArray[np.float64],
    model: NDArray[np.float64],
    *,
    answered: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """A split vote's probability shared among the tied classes as Dawid-Skene's posteriors
    (tempered by ``TIE_TEMPERATURE``) share it, not evenly: the label of a tie is the class
    Dawid-Skene finds likelier (``_break_ties``), and it is right more often than an even share
    says (K=4, three answers all different: 0.48 of the time, against 0.31 written). Only on
    jobs of ``MIN_TASKS_FOR_BOOTSTRAP`` tasks or more: on 24 tasks of four answers each,
    Dawid-Skene's say is noise and would close a 2-2 split at 0.9. Only on tasks with three or
    more answers (``answered`` marks them): a 1-1 split asks which of two workers Dawid-Skene
    trusts more, and on 40 answers each that is noise too (K=4, two answers: ECE 0.013 without,
    0.098 with)."""
    tied = (equal >= equal.max(axis=1, keepdims=True) - 1e-9) & answered[:, None]
    split = tied.sum(axis=1) > 1
    if not split.any():
        return calibrated
    rows = np.flatnonzero(split)
    mass = np.where(tied[rows], calibrated[rows], 0.0).sum(axis=1, keepdims=True)
    share = np.where(tied[rows], np.maximum(model[rows], 1e-300) ** (1.0 / TIE_TEMPERATURE), 0.0)
    share /= share.sum(axis=1, keepdims=True)
    result = calibrated.copy()
    result[rows] = np.where(tied[rows], mass * share, calibrated[rows])
    return result


def _workers_are_sparse(answers: Answers) -> bool:
    per_worker = np.bincount(answers.worker, minlength=answers.n_workers)
    return float(np.median(per_worker[per_worker > 0])) < MIN_ANSWERS_PER_WORKER_FOR_MODEL
