"""Shared parts of ``bench/calibration.py``: the row type and the reliability table.

Layout (issue 23): ``bench/calibration.py`` is the entry point and prints the tables; it imports
``bench/calibration_classes.py`` (single-label and multi-label) and
``bench/calibration_geometric.py`` (boxes, spans, masks). Each of those exposes
``rows(before: bool, seeds: list[int]) -> list[Row]``: one ``Row`` per (task type, setting,
workers per object, gold or not), holding every written confidence of that setting pooled over
the seeds, and whether the event it is the probability of happened. ``before=True`` measures the
code as it was before issue 23 (each module says how it keeps that frozen copy), ``before=False``
the current code.

A confidence that is an expected value rather than a probability (a mask's expected IoU) puts
the realised value in ``outcome`` (in [0, 1]); the ECE and the table work the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

N_BINS = 10


@dataclass(frozen=True)
class Row:
    """One setting's written confidences and outcomes.

    ``task_type``: e.g. ``"classification"``, ``"multi-label"``, ``"boxes"``; ``crowd``: which
    simulated crowd (e.g. ``"synthetic K=2"``, ``"difficulty+correlated K=4"``, or a real
    dataset's name); ``workers``: answers per object (0 for a real dataset's own mix);
    ``gold``: whether the job had gold; ``event``: what each confidence is the probability of;
    ``confidence`` and ``outcome``: one entry per written confidence; ``accuracy``: the setting's
    accuracy figure (share of outcomes, or the type's own, e.g. F1), for the "no loss of
    accuracy" check; ``note``: anything the reader needs (records, seeds).
    """

    task_type: str
    crowd: str
    workers: int
    gold: bool
    event: str
    confidence: NDArray[np.float64]
    outcome: NDArray[np.float64]
    accuracy: float = float("nan")
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ece(self) -> float:
        return ece(self.confidence, self.outcome)

    @property
    def key(self) -> tuple[str, str, int, bool]:
        return (self.task_type, self.crowd, self.workers, self.gold)


def make_row(
    *,
    task_type: str,
    crowd: str,
    workers: int,
    gold: bool,
    event: str,
    confidence: ArrayLike,
    outcome: ArrayLike,
    accuracy: float = float("nan"),
    note: str = "",
) -> Row:
    confidence = np.clip(np.asarray(confidence, dtype=np.float64).ravel(), 0.0, 1.0)
    outcome = np.asarray(outcome, dtype=np.float64).ravel()
    if confidence.shape != outcome.shape:
        raise ValueError("confidence and outcome must have one entry each per written confidence")
    return Row(task_type, crowd, workers, gold, event, confidence, outcome, float(accuracy), note)


def ece(confidence: ArrayLike, outcome: ArrayLike, *, n_bins: int = N_BINS) -> float:
    """Expected calibration error over ``n_bins`` equal-width bins (a confidence of exactly 1
    in the last bin): the count-weighted mean of ``|mean outcome - mean confidence|`` per bin.
    The same definition as ``consolidation.expected_calibration_error``, but outcomes may be
    fractional (expected-IoU confidences)."""
    confidence = np.asarray(confidence, dtype=np.float64)
    outcome = np.asarray(outcome, dtype=np.float64)
    if confidence.size == 0:
        return float("nan")
    bins = np.minimum((confidence * n_bins).astype(np.int64), n_bins - 1)
    gap = np.bincount(bins, weights=outcome - confidence, minlength=n_bins)
    return float(np.abs(gap).sum() / confidence.size)


def reliability(confidence: ArrayLike, outcome: ArrayLike, *, n_bins: int = N_BINS) -> list[tuple[float, float, int]]:
    """Per bin: (mean confidence, mean outcome, count); empty bins are left out."""
    confidence = np.asarray(confidence, dtype=np.float64)
    outcome = np.asarray(outcome, dtype=np.float64)
    bins = np.minimum((confidence * n_bins).astype(np.int64), n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    conf_sum = np.bincount(bins, weights=confidence, minlength=n_bins)
    out_sum = np.bincount(bins, weights=outcome, minlength=n_bins)
    return [
        (float(conf_sum[b] / counts[b]), float(out_sum[b] / counts[b]), int(counts[b]))
        for b in range(n_bins)
        if counts[b]
    ]


def reliability_text(row: Row, *, n_bins: int = N_BINS) -> str:
    """The reliability table of one row on one line per bin: ``[lo-hi) n conf -> outcome``."""
    lines = []
    bins = np.minimum((row.confidence * n_bins).astype(np.int64), n_bins - 1)
    table = reliability(row.confidence, row.outcome, n_bins=n_bins)
    for (conf, out, count), b in zip(table, sorted(set(bins.tolist())), strict=True):
        lines.append(f"    [{b / n_bins:.1f},{(b + 1) / n_bins:.1f})  n={count:<6d} conf {conf:.3f} -> {out:.3f}")
    return "\n".join(lines)


def reliability_compact(row: Row, *, n_bins: int = N_BINS) -> str:
    """The reliability table on one line: ``conf>outcome(n)`` per non-empty bin."""
    return "  ".join(
        f"{conf:.2f}>{out:.2f}({count})" for conf, out, count in reliability(row.confidence, row.outcome, n_bins=n_bins)
    )


# The code as it was before issue 23: main at this commit.
BEFORE_COMMIT = "b82a576"


def before_package(name: str = "consolidation"):
    """Import package ``name`` as it was at ``BEFORE_COMMIT`` (read from git, so it stays frozen
    whatever the working tree holds), under the module name ``<name>_before``: its internal
    ``import consolidation...`` lines are rewritten to the frozen copy, so old and new code run
    side by side in one process. Returns the frozen package module."""
    import importlib
    import re
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    alias = f"{name}_before"
    if alias in sys.modules:
        return sys.modules[alias]
    root = Path(__file__).resolve().parents[1]
    listing = subprocess.run(
        ["git", "-C", str(root), "ls-tree", "-r", "--name-only", BEFORE_COMMIT, name],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    target = Path(tempfile.mkdtemp(prefix="calibration-before-"))
    pattern = re.compile(rf"\b{re.escape(name)}\b(?=[. ]|$)", re.MULTILINE)
    for path in listing:
        if not path.endswith(".py"):
            continue
        source = subprocess.run(
            ["git", "-C", str(root), "show", f"{BEFORE_COMMIT}:{path}"], check=True, capture_output=True, text=True
        ).stdout
        # Only import lines name the package; rewrite those.
        source = "\n".join(
            pattern.sub(alias, line) if line.lstrip().startswith(("from ", "import ")) else line
            for line in source.splitlines()
        )
        destination = target / path.replace(name, alias, 1)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(source + "\n")
    sys.path.insert(0, str(target))
    return importlib.import_module(alias)
