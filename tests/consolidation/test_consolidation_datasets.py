"""Every shared dataset (copied into tests/data/datasets with its licence): accuracy against the
reference figures in its README, and the calibration targets of issue 3 over 20 gold splits."""

from pathlib import Path

import numpy as np
import pytest

from consolidation import consolidate, dawid_skene, majority_vote
from consolidation.datasets import load
from consolidation.evaluation import score_splits

DATASETS = Path(__file__).resolve().parents[1] / "data" / "datasets"

# Accuracy on gold (%) from the dataset README, measured with crowd-kit 1.4.2.
REFERENCE = {
    # name: (majority vote, crowd-kit DawidSkene, ECE bound)
    "bluebird": (75.93, 88.89, 0.10),
    "rte": (91.88, 92.75, 0.05),
    "dog": (81.78, 84.26, 0.05),
    "web": (77.65, 82.92, 0.05),
    "sentiment_tweet": (93.20, 96.00, 0.05),
    "product": (89.66, 93.97, 0.05),
}


def _accuracy(result, dataset):
    answered = result.answered[dataset.truth_task]
    tasks = dataset.truth_task[answered]
    return 100.0 * float((result.labels[tasks] == dataset.truth_label[answered]).mean())


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_majority_vote_reproduces_the_reference_figure(name):
    # given a dataset
    dataset = load(DATASETS / name)
    # when
    result = majority_vote(
        dataset.task,
        dataset.worker,
        dataset.label,
        n_classes=dataset.n_classes,
        n_tasks=dataset.n_tasks,
    )
    # then
    assert round(_accuracy(result, dataset), 2) == REFERENCE[name][0]


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_dawid_skene_without_gold_matches_crowd_kit(name):
    # given a dataset
    dataset = load(DATASETS / name)
    # when
    result = dawid_skene(
        dataset.task,
        dataset.worker,
        dataset.label,
        n_classes=dataset.n_classes,
        n_tasks=dataset.n_tasks,
    )
    # then
    assert _accuracy(result, dataset) >= REFERENCE[name][1] - 1.0
    assert result.converged


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_consolidate_with_ten_percent_gold_meets_the_targets(name):
    # given a dataset, and 20 random splits giving 10% of its truth as gold
    dataset = load(DATASETS / name)
    majority_reference, crowd_kit_reference, ece_bound = REFERENCE[name]

    def method(data, gold, rng):
        return consolidate(
            data.task,
            data.worker,
            data.label,
            n_classes=data.n_classes,
            n_tasks=data.n_tasks,
            gold=gold,
            rng=rng,
        )

    # when: scored on the other 90%
    scores = score_splits(dataset, method, n_splits=20)
    # then: the targets, averaged over the splits
    assert scores.ece.mean() <= ece_bound
    assert 100.0 * scores.accuracy.mean() >= max(majority_reference, crowd_kit_reference) - 1.0
    assert np.isfinite(scores.ece).all()
