"""Named-entity spans: cluster overlapping spans, then vote on boundaries and label.

For one document: spans from all workers are sorted by start and grouped into clusters of
overlapping spans (a sweep: a new cluster begins where a span starts at or after the furthest
end seen so far). In each cluster the output is, among the exact readings (start, end and
label) some worker drew, the one whose start, end and label have the most worker weight behind
them, summed: the separate votes' choice when a worker drew it, and never a span nobody drew
(ties to the earliest start, then the longer span). A worker counts once per value. Clusters whose
weighted share of the document's annotators is below ``min_support`` are dropped. Per-span
``confidence`` is an agreement score, that share times the weighted share of the cluster's
workers who gave exactly that reading: it ranks spans but is no probability. A job's calibrated
probabilities come from ``consolidation.geometric.detection`` over every document's clusters.

Worker quality, when not given, is each worker's exact-match F1 against an unweighted first
pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from consolidation.geometric._quality import MIN_WEIGHT, participants, weights_for, worker_ids
from consolidation.results import frozen


@dataclass(frozen=True)
class SpansResult:
    """Consolidated spans (character offsets, ``end`` exclusive), labels, agreement scores
    (``confidence``, a ranking rather than a probability: see the module doc), support, the
    weights used, and ``members``: for each input span, the index of the output span of its
    cluster (-1: the cluster was dropped)."""

    start: NDArray[np.int64]
    end: NDArray[np.int64]
    labels: NDArray[np.int64]
    confidence: NDArray[np.float64]
    support: NDArray[np.float64]
    worker_quality: NDArray[np.float64]
    members: NDArray[np.int64]


def _fit(
    start: NDArray[np.int64],
    end: NDArray[np.int64],
    label: NDArray[np.int64],
    worker: NDArray[np.int64],
    weight: NDArray[np.float64],
    everyone: NDArray[np.int64],
    min_support: float,
    return_all: bool = False,
) -> SpansResult:
    order = np.lexsort((end, start))
    s, e, lab, w = start[order], end[order], label[order], worker[order]
    furthest = np.maximum.accumulate(e)
    new_cluster = np.ones(s.shape[0], dtype=bool)
    new_cluster[1:] = s[1:] >= furthest[:-1]
    cluster = np.cumsum(new_cluster) - 1
    total = float(weight[everyone].sum())
    rows: list[tuple[int, int, int, float, float]] = []
    members = np.full(start.shape[0], -1, dtype=np.int64)
    for index in range(int(cluster.max()) + 1 if cluster.size else 0):
        inside = np.flatnonzero(cluster == index)
        member_worker = w[inside]
        in_cluster = float(weight[np.unique(member_worker)].sum())
        support = in_cluster / total if total > 0 else 0.0
        if (support < min_support and not return_all) or in_cluster <= 0:
            continue
        # Of the readings some worker drew, the one whose start, end and label each have the
        # most worker weight behind them (summed): what voting on each separately would pick when
        # someone drew that, and never a span nobody drew. Ties to the earliest start, then the
        # longer span, then the lower label.
        triples = np.stack([s[inside], e[inside], lab[inside]], axis=1)
        unique = np.unique(triples, axis=0)
        mass = np.zeros(unique.shape[0])
        for part in range(3):
            for value in np.unique(unique[:, part]).tolist():
                backing = weight[np.unique(member_worker[triples[:, part] == value])].sum()
                mass[unique[:, part] == value] += backing
        best = np.flatnonzero(mass >= mass.max() - 1e-12)
        pick = best[np.lexsort((unique[best, 2], -unique[best, 1], unique[best, 0]))[0]]
        exact = (triples == unique[pick]).all(axis=1)
        agreeing = float(weight[np.unique(member_worker[exact])].sum())
        chosen_start, chosen_end, chosen_label = (int(value) for value in unique[pick])
        confidence = support * agreeing / in_cluster
        members[order[inside]] = len(rows)
        rows.append((chosen_start, chosen_end, chosen_label, min(confidence, 1.0), support))
    table = np.array(rows, dtype=np.float64).reshape(-1, 5)
    return SpansResult(
        start=frozen(table[:, 0].astype(np.int64)),
        end=frozen(table[:, 1].astype(np.int64)),
        labels=frozen(table[:, 2].astype(np.int64)),
        confidence=frozen(table[:, 3].copy()),
        support=frozen(table[:, 4].copy()),
        worker_quality=frozen(weight.copy()),
        members=frozen(members),
    )


def _estimate_quality(
    start: NDArray[np.int64],
    end: NDArray[np.int64],
    label: NDArray[np.int64],
    worker: NDArray[np.int64],
    reference: SpansResult,
    everyone: NDArray[np.int64],
    size: int,
) -> NDArray[np.float64]:
    consensus = set(zip(reference.start.tolist(), reference.end.tolist(), reference.labels.tolist(), strict=True))
    quality = np.full(size, MIN_WEIGHT)
    for current in everyone.tolist():
        mine = worker == current
        given = set(zip(start[mine].tolist(), end[mine].tolist(), label[mine].tolist(), strict=True))
        if not given and not consensus:
            quality[current] = 1.0
            continue
        f1 = 2.0 * len(given & consensus) / (len(given) + len(consensus))
        quality[current] = max(f1, MIN_WEIGHT)
    return quality


def consolidate_spans(
    start: ArrayLike,
    end: ArrayLike,
    label: ArrayLike,
    worker: ArrayLike,
    *,
    annotators: ArrayLike | None = None,
    worker_quality: ArrayLike | None = None,
    min_support: float = 0.5,
    return_all: bool = False,
) -> SpansResult:
    """Consolidate one document's entity spans (character offsets, ``end`` exclusive).

    ``annotators`` lists every worker who answered, including those who marked nothing
    (default: those in ``worker``); ``worker_quality`` is a weight per worker id (default:
    estimated, see module doc). ``return_all`` returns every cluster, ``support`` telling which
    reach ``min_support`` (the quality estimate still uses only those).
    """
    starts = np.asarray(start)
    n = starts.shape[0] if starts.ndim == 1 else -1
    if n < 0:
        raise ValueError("start must be one-dimensional")
    starts = worker_ids(starts, n, "start")
    ends = worker_ids(end, n, "end")
    labels = worker_ids(label, n, "label")
    workers = worker_ids(worker, n)
    if n and (ends <= starts).any():
        raise ValueError("every span needs end > start")
    if not 0.0 <= min_support <= 1.0:
        raise ValueError(f"min_support must be in [0, 1], got {min_support}")
    everyone = participants(workers, annotators)
    size = int(max(everyone.max(initial=-1), workers.max(initial=-1))) + 1
    given = weights_for(worker_quality, everyone)
    if given is not None:
        return _fit(starts, ends, labels, workers, given, everyone, min_support, return_all)
    if everyone.size == 0:
        return _fit(starts, ends, labels, workers, np.ones(size), everyone, min_support, return_all)
    first = _fit(starts, ends, labels, workers, np.ones(size), everyone, min_support)
    quality = _estimate_quality(starts, ends, labels, workers, first, everyone, size)
    return _fit(starts, ends, labels, workers, quality, everyone, min_support, return_all)
