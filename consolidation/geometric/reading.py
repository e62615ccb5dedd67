"""Whether a real object's chosen reading is exactly right: a one-coin model over readings.

A *cluster* is what the workers of one item drew around one place (boxes matching at IoU >= 0.5,
overlapping spans); ``detection`` says how likely it is to be a real object. Its members give
*readings* (a box's class; a span's start, end and label), and the item outputs one of them (the
*chosen* reading). Given that the object is real, each member gives its true reading with their
own *exactness* ``e[w]`` and otherwise one of ``L`` other readings, each alike (one-coin
Dawid-Skene over readings: Dawid and Skene, 1979, with one accuracy per worker). With ``R`` the
readings members gave, the truth is one of them or one of the ``max(L + 1 - R, 0)`` nobody gave,
each a priori alike, so

    P(truth = r | answers)  ~  prod_{w gave r} e[w]  *  prod_{w gave another} (1 - e[w]) / L

and the chosen reading's probability is the first over the sum of all (the undrawn ones with
nobody behind them). Separating "is there an object" from "is this reading exact" lets a near
miss (two members one character or one class off) count as evidence that the object exists, which
a model over exact readings alone reads as two false objects.

With ``contested`` (the default), a share of clusters are *contested*: an entity with two
plausible ends, a box between two classes, where each member is exact at only ``scale`` times
their exactness (a two-class mixture over clusters). A cluster split three to two then reads as
likely contested, and its chosen reading is written near the odds such splits have, not at the
odds one-coin gives workers exact nine times in ten (measured: the hard crowd's spans at 5
workers without gold were written 0.94 exact where 0.90 were, the alternative reading winning a
split; 0.91 now).

Fitted by EM over every cluster of a job, each weighted by its probability of being real, with a
Beta pseudo-count (``PRIOR``) on each worker's exactness. ``L`` is given (boxes: the number of
other classes) or estimated with it (spans) from how often two members' wrong readings coincide,
which is ``1 / L`` under the model (a moment estimate; a likelihood over ``L`` would favour the
smallest ``L`` that fits the readings seen). Gold
clusters known to be real come with their truth (``known``: chosen reading right or not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from consolidation.results import frozen

# Exactness Beta(4, 1): a worker who draws an object mostly draws it right.
PRIOR = (4.0, 1.0)
# Contested clusters: a tenth of them at first, each worker exact there at 0.7 of their
# exactness; share Beta(1, 9), scale Beta(7, 3).
CONTESTED_START = (0.1, 0.7)
CONTESTED_PRIOR = {"share": (1.0, 9.0), "scale": (7.0, 3.0)}
# L when estimated (spans): from 8, pulled there by the weight of 5 pairs of wrong readings.
START_ALTERNATIVES = 8.0
ALTERNATIVES_PRIOR_PAIRS = 5.0
MAX_ALTERNATIVES = 1000.0
_CLIP = 1e-4

_Floats = NDArray[np.float64]
_Ints = NDArray[np.int64]


@dataclass(frozen=True)
class ReadingFit:
    """Per cluster, ``exact``: the probability that its chosen reading is the true one were the
    object real (known clusters at their truth), and ``model_exact`` (known ones as the model
    sees them); per worker, ``exactness``; ``alternatives``, the ``L`` chosen; the share of
    contested clusters and the scale of exactness there (0 and 1 without)."""

    exact: NDArray[np.float64]
    model_exact: NDArray[np.float64]
    exactness: NDArray[np.float64]
    alternatives: float
    contested_share: float = 0.0
    contested_scale: float = 1.0


def reading_fit(
    pair_reading: ArrayLike,
    pair_worker: ArrayLike,
    reading_cluster: ArrayLike,
    chosen: ArrayLike,
    *,
    n_workers: int,
    real: ArrayLike,
    known: ArrayLike | None = None,
    alternatives: float | None = None,
    contested: bool = True,
    max_iter: int = 100,
    tol: float = 1e-4,
) -> ReadingFit:
    """Fit the model on one job's clusters.

    Readings are ``0..len(reading_cluster)-1``, each of cluster ``reading_cluster[r]``; one
    *pair* per (reading, worker who gave it). ``chosen[c]`` is the reading cluster ``c``
    outputs; ``real[c]`` the weight of cluster ``c`` (its probability of being real);
    ``known[c]`` 1.0 / 0.0 when the chosen reading is known right / wrong, NaN otherwise.
    """
    reading = np.asarray(pair_reading, dtype=np.int64)
    worker = np.asarray(pair_worker, dtype=np.int64)
    cluster_of = np.asarray(reading_cluster, dtype=np.int64)
    chosen_reading = np.asarray(chosen, dtype=np.int64)
    weight = np.clip(np.asarray(real, dtype=np.float64), 0.0, 1.0)
    n_clusters = chosen_reading.shape[0]
    if reading.shape != worker.shape or reading.ndim != 1:
        raise ValueError("pair_reading and pair_worker must be one-dimensional and of equal length")
    if weight.shape != (n_clusters,):
        raise ValueError("real must have one entry per cluster")
    fixed = np.full(n_clusters, np.nan) if known is None else np.asarray(known, dtype=np.float64)
    if fixed.shape != (n_clusters,):
        raise ValueError("known must have one entry per cluster")
    if n_clusters == 0:
        empty = frozen(np.zeros(0))
        return ReadingFit(
            empty,
            empty,
            frozen(np.full(n_workers, PRIOR[0] / sum(PRIOR))),
            START_ALTERNATIVES if alternatives is None else float(alternatives),
        )
    pair_cluster = cluster_of[reading]
    # Each member once per cluster, however many readings they gave there.
    member_key = np.unique(pair_cluster * n_workers + worker)
    layout = _Layout(
        reading=reading,
        worker=worker,
        cluster_of=cluster_of,
        chosen=chosen_reading,
        member_cluster=member_key // n_workers,
        member_worker=member_key % n_workers,
        drawn_readings=np.bincount(cluster_of, minlength=n_clusters).astype(np.float64),
        n_workers=n_workers,
    )
    mixture = _Mixture(CONTESTED_START[0], CONTESTED_START[1]) if contested else _Mixture(0.0, 1.0)
    exactness, count, mixture = _em(layout, weight, fixed, alternatives, mixture, max_iter, tol)
    model_exact = _mixed(layout, exactness, count, mixture).posterior[chosen_reading]
    exact = np.where(np.isfinite(fixed), fixed, model_exact)
    return ReadingFit(
        exact=frozen(np.clip(exact, 0.0, 1.0)),
        model_exact=frozen(np.clip(model_exact, 0.0, 1.0)),
        exactness=frozen(exactness),
        alternatives=count,
        contested_share=mixture.share,
        contested_scale=mixture.scale,
    )


@dataclass(frozen=True)
class _Mixture:
    """The share of contested clusters and the scale of exactness there (share 0: none)."""

    share: float
    scale: float


@dataclass(frozen=True)
class _Mixed:
    """Per reading its probability of being the truth, per cluster that of an undrawn reading,
    both over the two kinds of cluster, and per cluster the probability it is contested; with
    each kind's own (``clear``, ``contested_posterior``, their undrawn) for the M-step."""

    posterior: _Floats
    undrawn: _Floats
    contested: _Floats
    clear: tuple[_Floats, _Floats]
    contested_posterior: tuple[_Floats, _Floats]


def _mixed(layout: _Layout, exactness: _Floats, count: float, mixture: _Mixture) -> _Mixed:
    clear_posterior, clear_undrawn, clear_log = _posteriors(layout, exactness, count)
    if mixture.share <= 0:
        none = np.zeros(clear_undrawn.shape[0])
        return _Mixed(clear_posterior, clear_undrawn, none, (clear_posterior, clear_undrawn), (clear_posterior, none))
    contested_posterior, contested_undrawn, contested_log = _posteriors(layout, mixture.scale * exactness, count)
    odds = np.log1p(-mixture.share) + clear_log - np.log(mixture.share) - contested_log
    contested = 1.0 / (1.0 + np.exp(np.clip(odds, -700, 700)))
    share = contested[layout.cluster_of]
    return _Mixed(
        posterior=(1.0 - share) * clear_posterior + share * contested_posterior,
        undrawn=(1.0 - contested) * clear_undrawn + contested * contested_undrawn,
        contested=contested,
        clear=(clear_posterior, clear_undrawn),
        contested_posterior=(contested_posterior, contested_undrawn),
    )


@dataclass(frozen=True)
class _Layout:
    reading: _Ints
    worker: _Ints
    cluster_of: _Ints
    chosen: _Ints
    member_cluster: _Ints
    member_worker: _Ints
    drawn_readings: _Floats
    n_workers: int


def _posteriors(layout: _Layout, exactness: _Floats, count: float) -> tuple[_Floats, _Floats, _Floats]:
    """Per reading its probability of being the truth, per cluster that of an undrawn reading,
    and per cluster the log of ``sum over truths of P(answers | truth)`` (for the likelihood)."""
    n_clusters = layout.chosen.shape[0]
    # A cluster with more readings than L + 1 has at least that many: L is a floor per cluster,
    # so every cluster's answer probabilities sum to one.
    log_count = np.log(np.maximum(count, layout.drawn_readings - 1.0))
    log_miss = np.log1p(-exactness)
    base = np.bincount(
        layout.member_cluster, weights=log_miss[layout.member_worker], minlength=n_clusters
    ) - log_count * np.bincount(layout.member_cluster, minlength=n_clusters)
    n_readings = layout.cluster_of.shape[0]
    log_gain = np.log(exactness)[layout.worker] - log_miss[layout.worker] + log_count[layout.cluster_of[layout.reading]]
    score = base[layout.cluster_of] + np.bincount(layout.reading, weights=log_gain, minlength=n_readings)
    undrawn = np.maximum(np.exp(log_count) + 1.0 - layout.drawn_readings, 0.0)
    with np.errstate(divide="ignore"):
        undrawn_score = base + np.log(undrawn)
    shift = undrawn_score.copy()
    np.maximum.at(shift, layout.cluster_of, score)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    mass = np.exp(score - shift[layout.cluster_of])
    undrawn_mass = np.exp(undrawn_score - shift)
    total = np.bincount(layout.cluster_of, weights=mass, minlength=n_clusters) + undrawn_mass
    return mass / total[layout.cluster_of], undrawn_mass / total, np.log(total) + shift


def _em(
    layout: _Layout,
    weight: _Floats,
    fixed: _Floats,
    alternatives: float | None,
    mixture: _Mixture,
    max_iter: int,
    tol: float,
) -> tuple[_Floats, float, _Mixture]:
    n_workers = layout.n_workers
    n_clusters = fixed.shape[0]
    a, b = PRIOR
    exactness = np.full(n_workers, a / (a + b))
    count = START_ALTERNATIVES if alternatives is None else float(alternatives)
    is_known = np.isfinite(fixed)
    is_chosen = np.zeros(layout.cluster_of.shape[0], dtype=bool)
    is_chosen[layout.chosen] = True
    # Members per cluster and givers per reading, for the coincidence of wrong readings.
    members = np.bincount(layout.member_cluster, minlength=n_clusters).astype(np.float64)
    givers = np.bincount(layout.reading, minlength=layout.cluster_of.shape[0]).astype(np.float64)

    def known_applied(posterior: _Floats, undrawn: _Floats) -> tuple[_Floats, _Floats]:
        if not is_known.any():
            return posterior, undrawn
        posterior = _with_known(layout, posterior, undrawn, fixed, is_known, is_chosen)
        drawn_mass = np.bincount(layout.cluster_of, weights=posterior, minlength=n_clusters)
        return posterior, np.where(is_known, 1.0 - drawn_mass, undrawn)

    for _ in range(max_iter):
        mixed = _mixed(layout, exactness, count, mixture)
        posterior, undrawn = known_applied(mixed.posterior, mixed.undrawn)
        # Exactness from the clear clusters; the contested ones' scale matched in expectation.
        clear_weight = weight * (1.0 - mixed.contested)
        hits = _exact_answers(layout, known_applied(*mixed.clear)[0], clear_weight)
        trials = np.bincount(layout.member_worker, weights=clear_weight[layout.member_cluster], minlength=n_workers)
        updated = np.clip((hits + a) / (trials + a + b), _CLIP, 1 - _CLIP)
        change = float(np.abs(updated - exactness).max(initial=0.0))
        exactness = updated
        if mixture.share > 0:
            contested_weight = weight * mixed.contested
            seen = float(_exact_answers(layout, known_applied(*mixed.contested_posterior)[0], contested_weight).sum())
            expected = float(np.sum(exactness[layout.member_worker] * contested_weight[layout.member_cluster]))
            a_s, b_s = CONTESTED_PRIOR["scale"]
            a_h, b_h = CONTESTED_PRIOR["share"]
            updated_mixture = _Mixture(
                share=float(np.clip((contested_weight.sum() + a_h) / (weight.sum() + a_h + b_h), _CLIP, 0.9)),
                scale=float(np.clip((seen + a_s) / (expected + a_s + b_s), 0.05, 0.99)),
            )
            change = max(change, abs(updated_mixture.share - mixture.share), abs(updated_mixture.scale - mixture.scale))
            mixture = updated_mixture
        if alternatives is None:
            # L from how often two members' wrong readings coincide (1 / L under the model):
            # expected agreeing wrong pairs over expected wrong pairs, weighted by realness.
            cluster_weight = weight[layout.cluster_of]
            agreeing = float(np.sum(cluster_weight * _pairs(givers) * (1.0 - posterior)))
            both_wrong = float(
                np.sum(cluster_weight * posterior * _pairs(members[layout.cluster_of] - givers))
                + np.sum(weight * undrawn * _pairs(members))
            )
            previous = count
            count = (both_wrong + ALTERNATIVES_PRIOR_PAIRS) / (agreeing + ALTERNATIVES_PRIOR_PAIRS / START_ALTERNATIVES)
            count = float(np.clip(count, 1.0, MAX_ALTERNATIVES))
            change = max(change, abs(count - previous) / previous)
        if change < tol:
            break
    return exactness, count, mixture


def _exact_answers(layout: _Layout, posterior: _Floats, cluster_weight: _Floats) -> _Floats:
    """Per worker, the expected number of their answers that are the truth, each cluster
    weighted by ``cluster_weight``."""
    pair_weight = np.minimum(posterior[layout.reading], 1.0) * cluster_weight[layout.cluster_of[layout.reading]]
    return np.bincount(layout.worker, weights=pair_weight, minlength=layout.n_workers).astype(np.float64)


def _pairs(n: _Floats) -> _Floats:
    return n * (n - 1.0) / 2.0


def _with_known(
    layout: _Layout, posterior: _Floats, undrawn: _Floats, fixed: _Floats, is_known: NDArray, is_chosen: NDArray
) -> _Floats:
    """Known clusters: the chosen reading at its truth; when wrong, the rest of the mass spread
    over the other readings (and the undrawn ones) as the model has it."""
    cluster = layout.cluster_of
    known_reading = is_known[cluster]
    right = fixed[cluster] == 1.0
    others = np.bincount(cluster, weights=np.where(is_chosen, 0.0, posterior), minlength=fixed.shape[0]) + undrawn
    spread = np.divide(posterior, others[cluster], out=np.zeros_like(posterior), where=others[cluster] > 0)
    value = np.where(is_chosen, right.astype(np.float64), np.where(right, 0.0, spread))
    return np.where(known_reading, value, posterior)
