"""Calibration without gold by parametric bootstrap (issue 23): draw a job's truth and answers
from the model fitted to it, refit the same model on the simulated answers, and measure how far
its posteriors are from the simulated truth.

That measures what estimating the workers costs (confusion matrices read from the same answers
they weigh, EM crediting a worker with agreeing with a consensus their own answer made) with
the job's own design: the same tasks, workers and answers per task. Held-out answers (see
``consolidation._held_out``) measure it too, but predict another worker's answer rather than
the truth: on small crowds their fit swung the temperature between 0.25 and 2.5 on the same
simulated crowd, where the bootstrap's stays within ~10% of what the truth asks for.

The same simulations test the model's fit: ``dispersion`` is the variance of the number of
answers agreeing with the consolidated label per task (tasks of the same size pooled), observed
over simulated. A model that fits gives 1 (0.95-1.06 on simulated crowds that follow it). Tasks
that differ in difficulty spread it (real crowds: 1.24-1.38); errors that go together to one
wrong class narrow it (0.75-0.90). Either way the model misreads agreement and its posteriors
are too sure: ``misfit_widening`` turns the departure into a factor on the temperature. The
comparison needs a fixed design: where the number of answers varies between tasks (fewer than
``FIXED_DESIGN_SHARE`` of the tasks with several answers have the commonest number), it was
likely chosen on the answers (dynamic redundancy asks for more where workers disagree), and
simulated answers that were not so chosen say nothing about the fit: the dispersion is then 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from consolidation._candidates import Candidate, final_fit
from consolidation._choice import one_hot
from consolidation._layout import build
from consolidation._validate import Answers
from consolidation.calibration import Calibration, fit_calibration
from consolidation.results import ClassificationResult

# Simulated jobs per bootstrap: enough for about ``BOOTSTRAP_ANSWERS`` simulated answers in all
# (a job of 24 tasks cannot show its own estimation noise in two simulations), within these
# bounds.
MIN_ROUNDS, MAX_ROUNDS = 2, 20
BOOTSTRAP_ANSWERS = 5000
# Departures of the dispersion from 1 smaller than this are sampling noise (simulated crowds
# that follow the model: 0.95-1.06 a job of 800 tasks).
DISPERSION_TOLERANCE = 0.03
# Tasks with several answers a job needs for the bootstrap (see ``consolidation.calibrated``): on
# fewer the dispersion is mostly noise (24 tasks two always-right workers agree on show no spread
# at all where the model expects one disagreement: a "dispersion" of 0), and the simulations,
# drawn from workers whose accuracy EM over-estimated on so few tasks, under-state its noise
# (24 tasks, four answers from workers right 60% of the time: temperature 1.1, confidences 0.11
# above accuracy).
MIN_TASKS_FOR_BOOTSTRAP = 200
# Share of the tasks with several answers that must have the commonest number of answers for the
# dispersion to be measured (the shared real datasets: 0.89-1).
FIXED_DESIGN_SHARE = 0.8


@dataclass(frozen=True)
class BootstrapCheck:
    """What the simulations said: the calibration fitted on simulated truth (its temperature
    never below 1: a fit below says the simulations showed no over-confidence to correct), and
    the dispersion of agreement observed over simulated."""

    calibration: Calibration
    dispersion: float


def bootstrap_check(
    answers: Answers,
    candidate: Candidate,
    fit: ClassificationResult,
    *,
    rng: np.random.Generator,
    tol: float,
    max_iter: int,
) -> BootstrapCheck:
    """Simulate jobs from ``fit`` (``candidate`` fitted on ``answers`` without gold) and refit
    ``candidate`` on each. The calibration is a temperature alone: simulated answers follow the
    model, so nothing is wrong whatever the crowd says, which is what a floor is for."""
    k = answers.n_classes
    task = answers.task.astype(np.int64)
    observed = agreement_spread(answers, fit.labels)
    none = np.zeros(0, dtype=np.int64)
    posteriors, truths, spreads = [], [], []
    rounds = int(np.clip(np.ceil(BOOTSTRAP_ANSWERS / max(answers.n_answers, 1)), MIN_ROUNDS, MAX_ROUNDS))
    for _ in range(rounds):
        truth = _draw(fit.posteriors, rng)
        label = _draw(fit.confusion[answers.worker, truth[task]], rng)
        simulated = Answers(
            task=answers.task,
            worker=answers.worker,
            label=label,
            n_tasks=answers.n_tasks,
            n_workers=answers.n_workers,
            n_classes=k,
        )
        layout = build(simulated)
        refit = final_fit(layout, simulated, candidate, gold_ids=none, gold_labels=none, tol=tol, max_iter=max_iter)
        posteriors.append(refit.posteriors[layout.answered_ids])
        truths.append(truth[layout.answered_ids])
        spreads.append(agreement_spread(simulated, refit.labels))
    fitted = fit_calibration(np.concatenate(posteriors), one_hot(np.concatenate(truths), k), use_floor=False)
    simulated_spread = float(np.mean(spreads))
    measurable = simulated_spread > 0 and _fixed_design(answers)
    return BootstrapCheck(
        calibration=Calibration(temperature=max(fitted.temperature, 1.0), floor=fitted.floor),
        dispersion=observed / simulated_spread if measurable else 1.0,
    )


def tasks_with_several_answers(answers: Answers) -> int:
    size = np.bincount(answers.task.astype(np.int64), minlength=answers.n_tasks)
    return int((size >= 2).sum())


def _fixed_design(answers: Answers) -> bool:
    size = np.bincount(answers.task.astype(np.int64), minlength=answers.n_tasks)
    count = np.bincount(size[size >= 2])
    return bool(count.sum() > 0 and count.max() >= FIXED_DESIGN_SHARE * count.sum())


def misfit_widening(dispersion: float, n_bar: float) -> float:
    """``1 + (n̄ - 1) * d``, ``d`` the dispersion's departure from 1 beyond sampling noise: like a
    design effect, the over-counting grows with the answers per task."""
    departure = max(abs(dispersion - 1.0) - DISPERSION_TOLERANCE, 0.0)
    return 1.0 + max(n_bar - 1.0, 0.0) * departure


def agreement_spread(answers: Answers, labels: NDArray[np.int64]) -> float:
    """Variance of the number of answers equal to the task's label, over tasks with the same
    number of answers (two or more), pooled."""
    task = answers.task.astype(np.int64)
    agree = np.bincount(task, weights=(answers.label == labels[task]), minlength=answers.n_tasks)
    size = np.bincount(task, minlength=answers.n_tasks)
    several = size >= 2
    agree, size = agree[several], size[several]
    if size.shape[0] == 0:
        return 0.0
    count = np.bincount(size).astype(np.float64)
    mean = np.bincount(size, weights=agree) / np.maximum(count, 1.0)
    return float(((agree - mean[size]) ** 2).sum() / size.shape[0])


def _draw(probabilities: NDArray[np.floating], rng: np.random.Generator) -> NDArray[np.int64]:
    """One class per row of ``probabilities`` (rows summing to 1), by inverse CDF."""
    cumulative = np.cumsum(probabilities, axis=1)
    uniform = rng.random((probabilities.shape[0], 1)) * cumulative[:, -1:]
    drawn: NDArray[np.int64] = (uniform > cumulative).sum(axis=1)
    return np.minimum(drawn, probabilities.shape[1] - 1).astype(np.int64)
