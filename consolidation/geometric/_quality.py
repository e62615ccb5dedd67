"""Shared helpers: worker weights and argument checks for geometric consolidation."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

# A worker who agreed with nobody still keeps a sliver of weight, so one item never hinges on
# a division by zero, and the weights stay comparable across workers.
MIN_WEIGHT = 0.05


def worker_ids(worker: ArrayLike, n: int, name: str = "worker") -> NDArray[np.int64]:
    ids = np.asarray(worker)
    if ids.shape != (n,):
        raise ValueError(f"{name} must have one entry per object ({n}), got shape {ids.shape}")
    if n and ids.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got dtype {ids.dtype}")
    ids = ids.astype(np.int64)
    if n and ids.min() < 0:
        raise ValueError(f"{name} ids must be non-negative")
    return ids


def participants(worker: NDArray[np.int64], annotators: ArrayLike | None) -> NDArray[np.int64]:
    """Everyone who answered the item: those who drew something, plus those who said "nothing"."""
    drew = np.unique(worker)
    if annotators is None:
        return drew
    given = np.unique(np.asarray(annotators, dtype=np.int64))
    # Sets, not np.isin: one item holds a handful of workers, and isin's overhead dominates.
    if not set(drew.tolist()) <= set(given.tolist()):
        raise ValueError("annotators must include every worker that drew an object")
    return given


def weights_for(
    quality: ArrayLike | None, workers: NDArray[np.int64], name: str = "worker_quality"
) -> NDArray[np.float64] | None:
    """Validated per-worker weights indexed by worker id (``None``: estimate them)."""
    if quality is None:
        return None
    weights = np.asarray(quality, dtype=np.float64)
    if weights.ndim != 1:
        raise ValueError(f"{name} must be a one-dimensional array indexed by worker id")
    if workers.size and workers.max() >= weights.shape[0]:
        raise ValueError(f"{name} has no entry for worker {int(workers.max())}")
    if not np.all(np.isfinite(weights)) or weights.min(initial=0.0) < 0:
        raise ValueError(f"{name} must be finite and non-negative")
    return weights
