"""Load the ``label.csv``/``truth.csv`` crowd datasets (truth-inference-at-scale format)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class CrowdDataset:
    name: str
    task: NDArray[np.int64]
    worker: NDArray[np.int64]
    label: NDArray[np.int64]
    truth_task: NDArray[np.int64]
    truth_label: NDArray[np.int64]
    n_classes: int
    n_tasks: int


def _read(path: Path) -> NDArray[np.int64]:
    return np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)


def load(folder: str | Path) -> CrowdDataset:
    """Read one dataset folder; classes are counted over answers and truth together."""
    folder = Path(folder)
    answers = _read(folder / "label.csv")
    truth = _read(folder / "truth.csv")
    n_classes = int(max(answers[:, 2].max(), truth[:, 1].max())) + 1
    n_tasks = int(max(answers[:, 0].max(), truth[:, 0].max())) + 1
    return CrowdDataset(
        name=folder.name,
        task=answers[:, 0].copy(),
        worker=answers[:, 1].copy(),
        label=answers[:, 2].copy(),
        truth_task=truth[:, 0].copy(),
        truth_label=truth[:, 1].copy(),
        n_classes=n_classes,
        n_tasks=n_tasks,
    )
