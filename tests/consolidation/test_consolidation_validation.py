import dataclasses

import numpy as np
import pytest

from consolidation import consolidate, dawid_skene, majority_vote, one_coin_dawid_skene

FUNCTIONS = [dawid_skene, majority_vote, one_coin_dawid_skene, consolidate]


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize(
    ("task", "worker", "label", "message"),
    [
        ([0, 1], [0], [0, 1], "same length"),
        ([0, -1], [0, 1], [0, 1], "task must be non-negative"),
        ([0, 1], [0, -3], [0, 1], "worker must be non-negative"),
        ([0, 1], [0, 1], [0, 2], "label must be below n_classes=2"),
        ([0.0, 1.0], [0, 1], [0, 1], "task must hold integers"),
        ([[0, 1]], [0, 1], [0, 1], "one-dimensional"),
    ],
)
def test_bad_answers_raise_a_clear_value_error(function, task, worker, label, message):
    # given answers that break the contract
    # when / then
    with pytest.raises(ValueError, match=message):
        function(task, worker, label, n_classes=2)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_bad_gold_and_sizes_raise(function):
    # given valid answers
    task, worker, label = [0, 1], [0, 1], [0, 1]
    # when / then
    with pytest.raises(ValueError, match="gold task id 5 is not below n_tasks=2"):
        function(task, worker, label, n_classes=2, gold=([5], [0]))
    with pytest.raises(ValueError, match="gold labels must be below n_classes=2"):
        function(task, worker, label, n_classes=2, gold=([0], [3]))
    with pytest.raises(ValueError, match="n_tasks=1 but task ids go up to 1"):
        function(task, worker, label, n_classes=2, n_tasks=1)
    with pytest.raises(ValueError, match="n_classes must be an integer of at least 2"):
        function(task, worker, label, n_classes=1)


def test_bad_tolerance_and_prior_counts_raise():
    # given valid answers
    task, worker, label = [0, 1], [0, 1], [0, 1]
    # when / then
    with pytest.raises(ValueError, match="tol must be positive"):
        dawid_skene(task, worker, label, n_classes=2, tol=0.0)
    with pytest.raises(ValueError, match="max_iter must be a positive integer"):
        dawid_skene(task, worker, label, n_classes=2, max_iter=0)
    with pytest.raises(ValueError, match=r"worker_prior_counts must have shape \(2, 2, 2\)"):
        dawid_skene(task, worker, label, n_classes=2, worker_prior_counts=np.ones((1, 2, 2)))
    with pytest.raises(ValueError, match="prior_scale must be non-negative"):
        dawid_skene(task, worker, label, n_classes=2, prior_scale=-1.0)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_inputs_are_never_modified(function):
    # given unsorted answers and gold, with copies kept aside
    task = np.array([3, 0, 2, 1, 0, 3, 2, 1])
    worker = np.array([0, 1, 2, 0, 2, 1, 0, 1])
    label = np.array([1, 0, 1, 1, 0, 1, 0, 1])
    gold = (np.array([2]), np.array([1]))
    before = [a.copy() for a in (task, worker, label, *gold)]
    # when
    function(task, worker, label, n_classes=2, gold=gold)
    # then nothing changed, and the arrays are still writeable by their owner
    for array, copy in zip((task, worker, label, *gold), before, strict=True):
        assert np.array_equal(array, copy)
        assert array.flags.writeable


def test_results_are_immutable():
    # given a result
    result = dawid_skene([0, 1], [0, 1], [0, 1], n_classes=2)
    # when / then: neither the fields nor the arrays can change
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.labels = np.zeros(2)  # type: ignore[misc]
    for array in (result.labels, result.confidence, result.posteriors, result.confusion):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0
