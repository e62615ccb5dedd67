"""Reductions across the few classes of a ``(n_tasks, K)`` array.

numpy's ``max(axis=1)``/``sum(axis=1)`` over a short last axis run an inner loop of length K per
row and take ~60 ms on a million rows; K column-wise ufunc calls do the same in 2-3 ms. BLAS
mat-vecs would too, but their thread start-up made them erratic (0.7 to 8 ms) on a busy 2-core
machine, so plain ufuncs it is. These helpers are the whole trick behind a fast E-step.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def row_max(values: NDArray[np.floating]) -> NDArray[np.floating]:
    result = values[:, 0].copy()
    for column in range(1, values.shape[1]):
        np.maximum(result, values[:, column], out=result)
    return result


def row_sum(values: NDArray[np.floating]) -> NDArray[np.floating]:
    result = values[:, 0].copy()
    for column in range(1, values.shape[1]):
        result += values[:, column]
    return result


def column_sum(values: NDArray[np.floating]) -> NDArray[np.float64]:
    return np.array([values[:, column].sum() for column in range(values.shape[1])], np.float64)


def row_argmax(values: NDArray[np.floating]) -> NDArray[np.int64]:
    """Index of each row's maximum, the first one on ties (as ``argmax``).

    Counted branch-free: the index is the number of columns passed before the first maximum.
    ``argmax`` branches per element and mispredicts on posteriors whose winner is random.
    """
    top = row_max(values)
    found = np.zeros(values.shape[0], dtype=bool)
    index = np.zeros(values.shape[0], dtype=np.int64)
    for column in range(values.shape[1] - 1):
        found |= values[:, column] == top
        index += ~found
    return index
