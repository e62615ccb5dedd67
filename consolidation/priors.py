"""Dirichlet priors on confusion rows, with the strength read from the data.

Sparse workers (a handful of answers) make maximum-likelihood confusion rows degenerate: one
wrong answer out of two reads as "this worker is right half the time, no better than chance",
one right answer out of one as "never wrong". The usual cure is a Dirichlet prior on each row.
Two choices matter and neither is a constant here:

* **where it pulls**: toward the crowd's pooled confusion matrix, not toward the identity. On
  ordinal scales (``web``: 5 relevance grades) honest workers confuse neighbouring grades, and a
  diagonal prior would call that spam.
* **how hard**: the strength ``s_k`` of row ``k`` is the method-of-moments estimate of the
  Dirichlet precision from the workers' own rows (empirical Bayes, as for a hierarchical
  Dawid-Skene model): if workers agree with the pooled matrix more than sampling noise explains,
  the prior is strong; if they differ a lot (spammers next to experts), it is weak. ``consolidate``
  then scales it by a factor chosen on the job's gold.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

# Multiplier of the data-derived strength used when nothing else is known. Without gold, the
# full strength cost up to 0.6 points on the shared datasets (rte) and none helped more than
# 0.2; a tenth keeps sparse workers sane at no cost. ``consolidate`` re-chooses it on gold.
DEFAULT_PRIOR_SCALE = 0.1
MIN_STRENGTH = 1.0
MAX_STRENGTH = 1000.0
# A sliver of uniform mass keeps every row proper even for a class nobody has answered yet.
FLOOR = 1e-2


def pooled_confusion(counts: NDArray[np.float64]) -> NDArray[np.float64]:
    """Crowd-wide ``P(answer | truth)`` from counts shaped ``(worker, answer, truth)``."""
    pooled = counts.sum(axis=0) + FLOOR
    return pooled / pooled.sum(axis=0, keepdims=True)


def moment_strength(counts: NDArray[np.float64], mean: NDArray[np.float64]) -> NDArray[np.float64]:
    """Dirichlet precision per true class by the method of moments.

    For a worker with ``n`` answers on truth ``k`` the observed proportion ``p`` has
    ``E[(p - m)^2] = V + (m(1-m) - V) / n`` where ``V = m(1-m)/(s+1)`` is the between-worker
    variance; summing over workers and answers and solving for ``s`` gives the estimate. Workers
    with fewer than two (expected) answers on a class carry no variance information and are left
    out.
    """
    n = counts.sum(axis=1)  # (worker, truth)
    usable = n >= 2.0
    safe_n = np.where(usable, n, 1.0)
    proportions = counts / safe_n[:, None, :]
    spread = mean * (1.0 - mean)  # (answer, truth)
    excess = (proportions - mean) ** 2 - spread / safe_n[:, None, :]
    between = (excess * usable[:, None, :]).sum(axis=(0, 1))
    weight = ((1.0 - 1.0 / safe_n) * usable).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = between / weight
        strength = spread.sum(axis=0) / variance - 1.0
    strength = np.where(np.isfinite(strength) & (variance > 0), strength, MAX_STRENGTH)
    return np.clip(strength, MIN_STRENGTH, MAX_STRENGTH)


def dirichlet_update(
    *,
    strength_scale: float,
    worker_prior_counts: NDArray[np.float64] | None,
) -> Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]:
    """The full Dawid-Skene M-step: MAP confusion rows under the empirical-Bayes prior.

    The prior's mean follows the current expected counts; its strength is estimated once from
    hard counts against the starting labels (see ``_em.run`` for why).

    ``strength_scale`` multiplies the data-derived strength (``0`` turns the prior off except
    for the floor). ``worker_prior_counts`` is ``(worker, truth, answer)``;
    it is added to the pseudo-counts so a worker's record from earlier jobs carries over.
    """
    scale = float(strength_scale)
    extra = None if worker_prior_counts is None else worker_prior_counts.transpose(0, 2, 1)

    # The reference counts are fixed for a fit: size the prior once per fit. The cache holds the
    # array itself (not its id, which a later fit's array could reuse).
    cache: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []

    def update(counts: NDArray[np.float64], reference: NDArray[np.float64]) -> NDArray[np.float64]:
        mean = pooled_confusion(counts)
        if not cache or cache[0][0] is not reference:
            cache[:] = [(reference, moment_strength(reference, pooled_confusion(reference)))]
        strength = cache[0][1]
        pseudo = scale * strength * mean + FLOOR / mean.shape[0]
        totals = counts + pseudo
        if extra is not None:
            totals = totals + extra
        return totals / totals.sum(axis=1, keepdims=True)

    return update
