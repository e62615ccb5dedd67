"""Calibration rows for single-label classification and multi-label (issue 23).

Imported by ``bench/calibration.py``; ``rows(before, seeds)`` returns ``calibration_common.Row``s.

**Before** is the consolidation package at ``calibration_common.BEFORE_COMMIT`` (read from git,
imported as ``consolidation_before``), called as labeling called it then: no worker records.
**After** is the working tree, called as labeling calls it now: each worker's record from
earlier work turned into prior counts by ``consolidation.records.record_prior_counts``.

Simulated crowds (per seed: 800 objects single-label, 500 multi-label; a pool of 40 workers,
each object answered by ``w`` distinct workers):

* ``synthetic K=k``: ``consolidation.synthetic``'s honest workers (accuracy ~ Beta(6, 2), errors
  uniform over the other classes) and 20% uniform spammers.
* ``hard K=4``: the same workers, plus per-object difficulty (a hard object, 30% of them, halves
  every worker's edge over chance) and correlated errors (a wrong answer goes to the object's
  one "confusable" class 70% of the time).
* Each worker's record: ``n`` earlier answers (``n`` uniform in 50..400) of which a
  Binomial(n, true accuracy) were right, as the reputation record's estimate would hold it.
* Gold: 10% of the objects given as gold (scored on the other 90%); without gold all scored.

Multi-label: 5 labels each present with probability 0.3; every worker flips each label with its
own error rate (symmetric errors, rate ~ Beta(2, 12), 20% of workers at 0.35); the written
confidences are the ``confidence-map`` entries: every label chosen by at least one worker.

Real datasets: ``/work/shared/datasets`` (each folder with ``label.csv`` and ``truth.csv``),
the splits of ``consolidation.evaluation`` with 10% gold, ``5 x len(seeds)`` splits (``--seeds 4``:
the 20 of ``bench/consolidation.py``). The pooled ECE is over every split's scored tasks; the note
gives the mean per-split ECE (what ``bench/consolidation.py`` prints) beside the mean a perfectly
calibrated model with the same confidences would show on so few tasks (outcomes drawn from the
confidences): on bluebird's ~97 scored tasks a split that sampling floor is itself ~0.055.

Rows ``..., newcomers``: the same crowds with no worker records at all, 1, 2, 3 and 5 answers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from calibration_common import Row, before_package, make_row

ROOT = Path(__file__).resolve().parents[1]
REAL = Path("/work/shared/datasets")
WORKERS = (1, 2, 3, 5)
POOL = 40
N_SINGLE = 800
N_MULTI = 500
GOLD_SHARE = 0.1
SPLITS_PER_SEED = 5


def _package(before: bool):
    if before:
        package = before_package()
        import consolidation_before.multilabel as multilabel_module  # noqa: F401

        return package, sys.modules["consolidation_before.multilabel"]
    import consolidation
    import consolidation.multilabel

    return consolidation, consolidation.multilabel


# --------------------------------------------------------------------------- crowds
def _workers(rng: np.random.Generator, k: int) -> np.ndarray:
    accuracy = rng.beta(6.0, 2.0, size=POOL)
    spammer = rng.random(POOL) < 0.2
    accuracy[spammer] = 1.0 / k
    return accuracy


def _records(rng: np.random.Generator, accuracy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    answers = rng.integers(50, 401, size=accuracy.shape[0])
    right = rng.binomial(answers, accuracy)
    return right / answers, answers


def _single_crowd(rng: np.random.Generator, *, k: int, w: int, hard: bool):
    accuracy = _workers(rng, k)
    truth = rng.integers(0, k, size=N_SINGLE)
    picks = np.argsort(rng.random((N_SINGLE, POOL)), axis=1)[:, :w]
    task = np.repeat(np.arange(N_SINGLE), w)
    worker = picks.reshape(-1)
    p = accuracy[worker]
    if hard:
        difficult = rng.random(N_SINGLE) < 0.3
        p = np.where(difficult[task], 1.0 / k + (p - 1.0 / k) / 2.0, p)
    right = rng.random(task.shape[0]) < p
    uniform_wrong = (truth[task] + rng.integers(1, k, size=task.shape[0])) % k
    if hard:
        confusable = (truth + rng.integers(1, k, size=N_SINGLE)) % k
        wrong = np.where(rng.random(task.shape[0]) < 0.7, confusable[task], uniform_wrong)
    else:
        wrong = uniform_wrong
    label = np.where(right, truth[task], wrong)
    return task, worker, label, truth, accuracy


def _gold(rng: np.random.Generator, n: int, gold: bool) -> tuple[np.ndarray, np.ndarray]:
    if not gold:
        return np.zeros(0, dtype=np.int64), np.ones(n, dtype=bool)
    ids = rng.choice(n, size=int(GOLD_SHARE * n), replace=False)
    scored = np.ones(n, dtype=bool)
    scored[ids] = False
    return np.sort(ids), scored


def _single_rows(before: bool, seeds: list[int]) -> list[Row]:
    package, _ = _package(before)
    after_records = None if before else __import__("consolidation.records", fromlist=["record_prior_counts"])
    rows = []
    settings = [
        (crowd, k, hard, w, gold, True)
        for crowd, k, hard in (("synthetic K=2", 2, False), ("synthetic K=4", 4, False), ("hard K=4", 4, True))
        for w in WORKERS
        for gold in (False, True)
    ]
    # Newcomers only (no records anywhere): what a job of unknown workers gets. At 1 and 2
    # answers no target (nothing says how good an unknown worker is), but honest and no worse.
    settings += [
        (crowd + ", newcomers", k, hard, w, False, False)
        for crowd, k, hard in (("synthetic K=2", 2, False), ("synthetic K=4", 4, False), ("hard K=4", 4, True))
        for w in WORKERS
    ]
    for crowd, k, hard, w, gold, use_records in settings:
        confidence, correct = [], []
        for seed in seeds:
            rng = np.random.default_rng([23, seed, k, w, int(hard)])
            task, worker, label, truth, accuracy = _single_crowd(rng, k=k, w=w, hard=hard)
            record_accuracy, record_answers = _records(rng, accuracy)
            gold_ids, scored = _gold(rng, N_SINGLE, gold)
            kwargs = {"n_classes": k, "n_tasks": N_SINGLE, "n_workers": POOL}
            if gold:
                kwargs["gold"] = (gold_ids, truth[gold_ids])
            if after_records is not None and use_records:
                kwargs["worker_prior_counts"] = after_records.record_prior_counts(
                    record_accuracy, record_answers, n_classes=k
                )
            result = package.consolidate(task, worker, label, **kwargs)
            confidence.append(result.confidence[scored])
            correct.append(result.labels[scored] == truth[scored])
        correct_all = np.concatenate(correct)
        rows.append(
            make_row(
                task_type="classification",
                crowd=crowd,
                workers=w,
                gold=gold,
                event="label is right",
                confidence=np.concatenate(confidence),
                outcome=correct_all,
                accuracy=float(correct_all.mean()),
            )
        )
    return rows


def _multi_rows(before: bool, seeds: list[int]) -> list[Row]:
    _, multilabel_module = _package(before)
    rows = []
    n_labels = 5
    for w in WORKERS:
        for gold in (False, True):
            confidence, present, right = [], [], []
            for seed in seeds:
                rng = np.random.default_rng([231, seed, w])
                error = rng.beta(2.0, 12.0, size=POOL)
                error[rng.random(POOL) < 0.2] = 0.35
                truth = rng.random((N_MULTI, n_labels)) < 0.3
                picks = np.argsort(rng.random((N_MULTI, POOL)), axis=1)[:, :w]
                task = np.repeat(np.arange(N_MULTI), w)
                worker = picks.reshape(-1)
                flip = rng.random((task.shape[0], n_labels)) < error[worker][:, None]
                answers = truth[task] ^ flip
                gold_ids, scored = _gold(rng, N_MULTI, gold)
                kwargs = {"n_tasks": N_MULTI, "n_workers": POOL}
                if gold:
                    kwargs["gold"] = (gold_ids, truth[gold_ids])
                if not before:
                    record_accuracy, record_answers = _records(rng, 1.0 - error)
                    kwargs["worker_records"] = (record_accuracy, record_answers)
                result = multilabel_module.multilabel(task, worker, answers, **kwargs)
                chosen = np.zeros((N_MULTI, n_labels), dtype=bool)
                np.logical_or.at(chosen, task, answers)
                written = chosen & scored[:, None]
                confidence.append(result.probability[written])
                present.append(truth[written])
                right.append((result.present == truth)[scored].ravel())
            rows.append(
                make_row(
                    task_type="multi-label",
                    crowd="symmetric errors L=5",
                    workers=w,
                    gold=gold,
                    event="label is present",
                    confidence=np.concatenate(confidence),
                    outcome=np.concatenate(present),
                    accuracy=float(np.concatenate(right).mean()),
                )
            )
    return rows


def _real_rows(before: bool, seeds: list[int]) -> list[Row]:
    package, _ = _package(before)
    from consolidation.datasets import load
    from consolidation.evaluation import gold_split

    rows = []
    folders = sorted(p for p in REAL.iterdir() if (p / "label.csv").exists() and (p / "truth.csv").exists())
    for folder in folders:
        data = load(folder)
        answered = np.zeros(data.n_tasks, dtype=bool)
        answered[data.task] = True
        confidence, correct = [], []
        floors = []
        for split in range(SPLITS_PER_SEED * len(seeds)):
            rng = np.random.default_rng([0, split])
            gold, held = gold_split(data, rng, GOLD_SHARE)
            result = package.consolidate(
                data.task, data.worker, data.label, n_classes=data.n_classes, n_tasks=data.n_tasks, gold=gold, rng=rng
            )
            tasks, truth = held[0][answered[held[0]]], held[1][answered[held[0]]]
            confidence.append(result.confidence[tasks])
            correct.append(result.labels[tasks] == truth)
            # The per-split ECE a perfectly calibrated model with these confidences would show:
            # outcomes drawn from the confidences themselves (bluebird scores ~97 tasks a split).
            draws = np.random.default_rng(split).random((50, tasks.shape[0])) < confidence[-1]
            floors.append(np.mean([_ece(confidence[-1], draw) for draw in draws]))
        # The ECE per split, averaged, as bench/consolidation.py reports it, goes in the note.
        per_split = [_ece(c, o) for c, o in zip(confidence, correct, strict=True)]
        correct_all = np.concatenate(correct)
        rows.append(
            make_row(
                task_type="classification",
                crowd=f"real: {folder.name}",
                workers=0,
                gold=True,
                event="label is right",
                confidence=np.concatenate(confidence),
                outcome=correct_all,
                accuracy=float(correct_all.mean()),
                note=f"ECE per split: mean {np.mean(per_split):.3f}, if perfectly calibrated {np.mean(floors):.3f}",
            )
        )
    return rows


def _ece(confidence, outcome) -> float:
    from calibration_common import ece

    return ece(confidence, outcome)


def _redundancy_rows(before: bool, seeds: list[int]) -> list[Row]:
    """Dynamic redundancy as labeling runs it (``labeling.services.progress``): every object
    starts with one answer; after each round the whole job is consolidated, objects at the
    target confidence (0.9) close, the others get one more answer from a new worker, up to 5.
    The row's confidences are the final ones; ``note``: mean answers per object."""
    package, _ = _package(before)
    from consolidation.records import record_prior_counts

    rows, k, target = [], 4, 0.9
    for hard in (False, True):
        confidence, correct, spent = [], [], []
        for seed in seeds:
            rng = np.random.default_rng([29, seed, int(hard)])
            task, worker, label, truth, accuracy = _single_crowd(rng, k=k, w=5, hard=hard)
            record_accuracy, record_answers = _records(rng, accuracy)
            given = np.ones(N_SINGLE, dtype=np.int64)
            for _ in range(5):
                keep = np.arange(task.shape[0]) % 5 < given[task]
                kwargs = {"n_classes": k, "n_tasks": N_SINGLE, "n_workers": POOL}
                if not before:
                    kwargs["worker_prior_counts"] = record_prior_counts(record_accuracy, record_answers, n_classes=k)
                result = package.consolidate(task[keep], worker[keep], label[keep], **kwargs)
                unsure = (result.confidence < target) & (given < 5)
                if not unsure.any():
                    break
                given[unsure] += 1
            confidence.append(result.confidence)
            correct.append(result.labels == truth)
            spent.append(given.mean())
        correct_all = np.concatenate(correct)
        rows.append(
            make_row(
                task_type="dyn. redundancy",
                crowd=f"{'hard' if hard else 'synthetic'} K=4, target 0.9",
                workers=5,
                gold=False,
                event="label is right",
                confidence=np.concatenate(confidence),
                outcome=correct_all,
                accuracy=float(correct_all.mean()),
                note=f"answers per object {np.mean(spent):.2f}",
            )
        )
    return rows


def rows(before: bool, seeds: list[int]) -> list[Row]:
    return (
        _single_rows(before, seeds)
        + _multi_rows(before, seeds)
        + _redundancy_rows(before, seeds)
        + _real_rows(before, seeds)
    )
