"""Judging calibrations: the log-loss of calibrated posteriors on known labels, the widening of
an answer-based calibration (correlated errors, a little gold), and the choice between the
candidate models on gold (see ``consolidation.calibrated``)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from consolidation._candidates import Candidate
from consolidation._validate import Answers
from consolidation.calibration import MAX_TEMPERATURE, Calibration
from consolidation.dependence import design_effect, error_correlation
from consolidation.priors import DEFAULT_PRIOR_SCALE

NO_GOLD_WIDENING = 1.25
# Without gold the temperature is also widened by the design effect of correlated errors; the
# error correlation measured against consolidated labels understates the true one (a shared
# error often becomes the label), hence the weight, set so no shared dataset is over-confident.
DEPENDENCE_WEIGHT = 1.3
# Log-loss per gold task by which an alternative must beat the default model to be chosen.
SWITCH_MARGIN = 0.02
VOTING_MARGIN = 0.05


def one_hot(labels: NDArray[np.int64], k: int) -> NDArray[np.float64]:
    rows = np.zeros((labels.shape[0], k))
    rows[np.arange(labels.shape[0]), labels] = 1.0
    return rows


def log_loss(calibration: Calibration, posteriors: NDArray[np.float64], truth: NDArray[np.int64]) -> float:
    calibrated = calibration.apply(posteriors)
    picked = calibrated[np.arange(truth.shape[0]), truth]
    return -float(np.log(np.maximum(picked, 1e-300)).sum())


def widen(
    calibration: Calibration,
    *,
    answers: Answers,
    labels: NDArray[np.int64],
    confusion: NDArray[np.float64],
    gold: tuple[NDArray[np.float64], NDArray[np.int64]] | None,
    narrowest: float = NO_GOLD_WIDENING,
) -> Calibration:
    """Widen a calibration fitted on held-out answers (see ``consolidation.calibrated``).

    Without gold, by the larger of ``NO_GOLD_WIDENING`` and the design effect of correlated
    errors. With a little gold, by the factor in that range whose calibrated out-of-fold
    posteriors give the gold labels the highest likelihood: a handful of tasks cannot fit a
    temperature, but they can tell a plausible widening from an absurd one.
    """
    widest = max(narrowest, dependence_widening(answers, labels=labels, confusion=confusion)[0])
    factor = widest
    if gold is not None and widest > narrowest:
        gold_posteriors, gold_labels = gold

        def gold_loss(candidate: float) -> float:
            widened = Calibration(calibration.temperature * candidate, calibration.floor)
            return log_loss(widened, gold_posteriors, gold_labels)

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


def dependence_widening(
    answers: Answers, *, labels: NDArray[np.int64], confusion: NDArray[np.float64]
) -> tuple[float, float]:
    """``(factor, n_bar)``: the design effect of the workers' correlated errors (weighted by
    ``DEPENDENCE_WEIGHT``) and the size-weighted mean answers per task."""
    rho, n_bar = error_correlation(
        answers.task,
        answers.worker,
        answers.label,
        labels=labels,
        confusion=confusion,
        n_tasks=answers.n_tasks,
    )
    return design_effect(DEPENDENCE_WEIGHT * rho, n_bar), n_bar


def choose(fitted: list[tuple[float, Candidate, Calibration]], n_gold: int) -> tuple[Candidate, Calibration]:
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
