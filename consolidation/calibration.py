"""Calibration: making a confidence of 0.8 right 80% of the time.

Dawid-Skene multiplies the answers' likelihoods as if workers erred independently given the
truth. Real workers share mistakes (hard items fool most of them), so the evidence is counted
several times over and the posteriors come out near 0 or 1 (dog: mean confidence 99% against
84% accuracy). The map used here has two parameters:

* a **temperature** ``T`` on the log-posterior, ``p_T(k) ∝ p(k) ** (1 / T)`` (Guo et al., "On
  calibration of modern neural networks", ICML 2017): "the answers are worth ``1/T`` times what
  independence says";
* a **floor** ``ε`` mixing in the uniform distribution, ``(1 - ε) p_T + ε / K``: some items are
  wrong whatever the crowd says (ambiguous images, a wrong expert label), which caps how sure
  any consolidated label can be. Temperature alone has to choose between being right about the
  confident tasks and right about the middling ones; on the shared datasets it leaves a 0.05
  ECE that the floor removes.

Two parameters are what a few dozen gold tasks can pin down without over-fitting, and the map is
monotone within each task, so calibration never changes which class wins. A third step, Platt
scaling of the winner's probability (``fit_top_class``, ``Calibration.slope/intercept``), is
available; fitted on the right data it halves dog's ECE, but fitted on 80 gold tasks it gained
nothing out of sample, so ``consolidate`` does not use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize_scalar

# Posteriors are stored in float32 during EM; below this they are indistinguishable from 0.
_LOG_FLOOR = float(np.log(1e-37))
MIN_TEMPERATURE = 0.25
MAX_TEMPERATURE = 200.0
FLOOR_GRID = (0.0, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32)


@dataclass(frozen=True)
class Calibration:
    """A fitted calibration map; ``apply`` turns raw posteriors into calibrated ones."""

    temperature: float = 1.0
    floor: float = 0.0
    slope: float = 1.0
    intercept: float = 0.0

    def apply(self, posteriors: ArrayLike) -> NDArray[np.float64]:
        calibrated = _calibrate(log_posteriors(posteriors), self.temperature, self.floor)
        if self.slope != 1.0 or self.intercept != 0.0:
            calibrated = _rescale_top(calibrated, self.slope, self.intercept)
        return calibrated

    def describe(self) -> str:
        text = f"T={self.temperature:.3g}, floor={self.floor:.2g}"
        if self.slope != 1.0 or self.intercept != 0.0:
            text += f", top=sigmoid({self.slope:.3g}*logit{self.intercept:+.3g})"
        return text


def expected_calibration_error(confidence: ArrayLike, correct: ArrayLike, *, n_bins: int = 10) -> float:
    """ECE with ``n_bins`` equal-width bins on [0, 1]: the answer-weighted mean, over bins, of
    ``|accuracy - mean confidence|``. A confidence of exactly 1 falls in the last bin."""
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    if confidence.shape != correct.shape or confidence.ndim != 1:
        raise ValueError("confidence and correct must be one-dimensional and of equal length")
    if confidence.size == 0:
        raise ValueError("expected_calibration_error needs at least one prediction")
    if confidence.min() < 0 or confidence.max() > 1:
        raise ValueError("confidence must lie in [0, 1]")
    bins = np.minimum((confidence * n_bins).astype(np.int64), n_bins - 1)
    gap = np.bincount(bins, weights=correct - confidence, minlength=n_bins)
    return float(np.abs(gap).sum() / confidence.size)


def log_posteriors(posteriors: ArrayLike) -> NDArray[np.float64]:
    values = np.asarray(posteriors, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(values), _LOG_FLOOR)


def _calibrate(scores: NDArray[np.float64], temperature: float, floor: float) -> NDArray[np.float64]:
    scaled = scores / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    np.exp(scaled, out=scaled)
    scaled /= scaled.sum(axis=1, keepdims=True)
    if floor > 0:
        scaled *= 1.0 - floor
        scaled += floor / scores.shape[1]
    return scaled


def _logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    p = np.clip(p, 1e-12, 1.0 - 1e-12)
    return np.log(p) - np.log1p(-p)


def _rescale_top(posteriors: NDArray[np.float64], slope: float, intercept: float) -> NDArray[np.float64]:
    """Map the winning class's probability through ``sigmoid(slope * logit(p) + intercept)``
    and rescale the others to fill the rest, never letting the winner drop below the runner-up
    (calibration must not change the label)."""
    n = posteriors.shape[0]
    winner = posteriors.argmax(axis=1)
    top = posteriors[np.arange(n), winner]
    mapped = 1.0 / (1.0 + np.exp(-(slope * _logit(top) + intercept)))
    others = posteriors.copy()
    others[np.arange(n), winner] = 0.0
    runner_up = others.max(axis=1)
    rest = np.maximum(1.0 - top, 1e-300)
    # With the others scaled by (1 - m) / rest, the runner-up equals m at m = r / (rest + r).
    # (plus a hair, so the winner stays strictly ahead and argmax agrees).
    mapped = np.maximum(mapped, runner_up / (rest + runner_up) * (1.0 + 1e-9) + 1e-12)
    mapped = np.minimum(mapped, 1.0)
    others *= ((1.0 - mapped) / rest)[:, None]
    others[np.arange(n), winner] = mapped
    return others


def fit_top_class(posteriors: ArrayLike, truth: ArrayLike, *, ridge: float = 1.0) -> tuple[float, float]:
    """Platt scaling of the winner's probability: logistic regression of "label is right" on
    ``logit(confidence)`` (Platt, 1999), by Newton's method with a ridge pulling toward the
    identity map (slope 1, intercept 0) so a handful of gold tasks cannot bend it far."""
    posteriors = np.asarray(posteriors, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.int64)
    winner = posteriors.argmax(axis=1)
    x = _logit(posteriors[np.arange(winner.shape[0]), winner])
    y = (winner == truth).astype(np.float64)
    design = np.stack([x, np.ones_like(x)], axis=1)
    params = np.array([1.0, 0.0])
    anchor = params.copy()
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(design @ params)))
        gradient = design.T @ (p - y) + ridge * (params - anchor)
        hessian = (design * (p * (1.0 - p))[:, None]).T @ design + ridge * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        params -= step
        if np.abs(step).max() < 1e-8:
            break
    return float(max(params[0], 1e-3)), float(params[1])


def temper(posteriors: ArrayLike, temperature: float) -> NDArray[np.float64]:
    """``p ** (1/T)`` renormalised, computed in log space. ``T > 1`` widens, ``T < 1`` sharpens."""
    return _calibrate(log_posteriors(posteriors), temperature, 0.0)


def fit_calibration(
    posteriors: ArrayLike,
    likelihood: ArrayLike,
    *,
    use_floor: bool = True,
    prior_temperature: float | None = None,
    prior_sd: float = 0.35,
) -> Calibration:
    """Fit ``T`` (and ``ε``) by maximum likelihood of what was observed (a posteriori, with a
    prior temperature).

    ``likelihood[i, k]`` is the probability of observation ``i`` if the truth were ``k``: a
    one-hot row for a gold label, or a worker's confusion column ``P(answer | k)`` for a held-out
    answer. ``T`` is searched in ``[MIN_TEMPERATURE, MAX_TEMPERATURE]``, ``ε`` over ``FLOOR_GRID``.
    ``prior_temperature`` adds a normal prior on ``log T`` with standard deviation ``prior_sd``:
    with a few dozen gold tasks the likelihood alone leaves ``T`` uncertain by ~20%, and a
    prior from the answers themselves steadies it; with hundreds the likelihood dominates.
    """
    scores = log_posteriors(posteriors)
    weights = np.asarray(likelihood, dtype=np.float64)
    if scores.shape != weights.shape:
        raise ValueError("posteriors and likelihood must have the same shape")
    if scores.shape[0] == 0:
        raise ValueError("fit_calibration needs at least one observation")

    def loss(log_t: float, floor: float) -> float:
        calibrated = _calibrate(scores, float(np.exp(log_t)), floor)
        value = -float(np.log(np.maximum((calibrated * weights).sum(axis=1), 1e-300)).sum())
        if prior_temperature is not None:
            value += 0.5 * ((log_t - np.log(prior_temperature)) / prior_sd) ** 2
        return value

    # Profile the likelihood over a grid of floors, optimising log T for each: two smooth
    # one-dimensional problems are cheaper and steadier than a 2-D quasi-Newton search.
    best = (np.inf, 1.0, 0.0)
    for floor in FLOOR_GRID if use_floor else (0.0,):
        result = minimize_scalar(
            loss,
            bounds=(np.log(MIN_TEMPERATURE), np.log(MAX_TEMPERATURE)),
            args=(floor,),
            method="bounded",
            options={"xatol": 1e-3},
        )
        if result.fun < best[0]:
            best = (float(result.fun), float(np.exp(result.x)), floor)
    return Calibration(temperature=best[1], floor=best[2])


def fit_temperature(posteriors: ArrayLike, truth: ArrayLike) -> float:
    """Temperature alone, fitted on known labels (``truth``)."""
    scores = np.asarray(posteriors, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.int64)
    if truth.shape[0] != scores.shape[0]:
        raise ValueError("posteriors and truth must have the same number of rows")
    one_hot = np.zeros_like(scores)
    one_hot[np.arange(truth.shape[0]), truth] = 1.0
    return fit_calibration(scores, one_hot, use_floor=False).temperature
