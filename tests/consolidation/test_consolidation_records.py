"""Workers' records from earlier work as priors (issue 23): one answer from a proven worker is
worth a confidence near that worker's accuracy, one from a newcomer is not; calibration holds
on seeded simulated crowds at the issue's targets."""

from __future__ import annotations

import numpy as np
import pytest

from consolidation import consolidate, expected_calibration_error
from consolidation.multilabel import multilabel
from consolidation.records import record_prior_counts

POOL = 40


def _crowd(seed: int, *, n_tasks: int, per_task: int, k: int):
    rng = np.random.default_rng(seed)
    accuracy = rng.beta(6.0, 2.0, size=POOL)
    truth = rng.integers(0, k, size=n_tasks)
    picks = np.argsort(rng.random((n_tasks, POOL)), axis=1)[:, :per_task]
    task = np.repeat(np.arange(n_tasks), per_task)
    worker = picks.reshape(-1)
    wrong = (truth[task] + rng.integers(1, k, size=task.shape[0])) % k
    label = np.where(rng.random(task.shape[0]) < accuracy[worker], truth[task], wrong)
    answers = rng.integers(50, 401, size=POOL)
    record = rng.binomial(answers, accuracy) / answers
    return task, worker, label, truth, record, answers


def test_record_prior_counts_spreads_accuracy_over_rows_and_leaves_newcomers_empty():
    counts = record_prior_counts([0.9, np.nan, 0.8], [1000, 50, 0], n_classes=2)
    assert counts.shape == (3, 2, 2)
    assert counts[0].sum() == pytest.approx(0.5 * 200)  # capped and weighted
    assert counts[0, 0, 0] / counts[0, 0].sum() == pytest.approx(0.9)
    assert not counts[1].any() and not counts[2].any()
    with pytest.raises(ValueError, match="answers"):
        record_prior_counts([0.9], [-1], n_classes=2)


def test_a_proven_worker_alone_is_more_confident_than_a_newcomer_and_nobody_gets_zero():
    # Workers 0-9 answer alone on 20 objects each; 0-4 have long good records, 5-9 none.
    task = np.arange(200)
    worker = task // 20
    label = task % 2  # both classes answered, as in any real job
    accuracy = np.array([0.92] * 5 + [np.nan] * 5)
    answers = np.array([300] * 5 + [0] * 5)
    result = consolidate(
        task, worker, label, n_classes=2, worker_prior_counts=record_prior_counts(accuracy, answers, n_classes=2)
    )
    proven, newcomer = result.confidence[:100], result.confidence[100:]
    assert proven.min() > 0.85
    assert newcomer.max() < 0.6
    assert proven.min() > newcomer.max()
    assert result.confidence.min() > 0
    # Without records, the same lone answers are all a coin flip.
    blind = consolidate(task, worker, label, n_classes=2)
    assert blind.confidence.max() < 0.6


@pytest.mark.parametrize(("per_task", "k", "target"), [(1, 2, 0.08), (2, 2, 0.08), (3, 4, 0.05), (5, 4, 0.05)])
def test_single_label_with_records_is_calibrated_on_a_seeded_crowd(per_task, k, target):
    confidence, correct = [], []
    for seed in range(3):  # fixed seeds, 2,400 objects: sampling noise on the ECE ~0.01
        task, worker, label, truth, record, answers = _crowd(seed, n_tasks=800, per_task=per_task, k=k)
        priors = record_prior_counts(record, answers, n_classes=k)
        result = consolidate(task, worker, label, n_classes=k, n_workers=POOL, worker_prior_counts=priors)
        confidence.append(result.confidence)
        correct.append(result.labels == truth)
        assert result.confidence.min() > 0
    ece = expected_calibration_error(np.concatenate(confidence), np.concatenate(correct))
    assert ece <= target


def test_multilabel_with_symmetric_errors_is_calibrated_at_three_workers():
    confidence, present = [], []
    for seed in range(3):
        rng = np.random.default_rng([7, seed])
        error = rng.beta(2.0, 12.0, size=POOL)
        error[rng.random(POOL) < 0.2] = 0.35
        truth = rng.random((500, 5)) < 0.3
        picks = np.argsort(rng.random((500, POOL)), axis=1)[:, :3]
        task = np.repeat(np.arange(500), 3)
        worker = picks.reshape(-1)
        answers = truth[task] ^ (rng.random((task.shape[0], 5)) < error[worker][:, None])
        record_answers = rng.integers(50, 401, size=POOL)
        record = rng.binomial(record_answers, 1.0 - error) / record_answers
        result = multilabel(task, worker, answers, n_workers=POOL, worker_records=(record, record_answers))
        chosen = np.zeros((500, 5), dtype=bool)
        np.logical_or.at(chosen, task, answers)
        confidence.append(result.probability[chosen])  # the confidence-map entries
        present.append(truth[chosen])
    ece = expected_calibration_error(np.concatenate(confidence), np.concatenate(present))
    assert ece <= 0.05
