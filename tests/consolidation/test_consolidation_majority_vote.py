import numpy as np

from consolidation import majority_vote


def test_tie_goes_to_the_lowest_class():
    # given two workers who disagree, and a three-way tie
    task = [0, 0, 1, 1, 1]
    worker = [0, 1, 0, 1, 2]
    label = [2, 1, 2, 0, 1]
    # when
    result = majority_vote(task, worker, label, n_classes=3)
    # then
    assert result.labels.tolist() == [1, 0]
    assert result.posteriors[0].tolist() == [0.0, 0.5, 0.5]
    assert np.allclose(result.confidence, [0.5, 1 / 3])
    assert result.method == "majority_vote"


def test_unanimous_single_and_missing():
    # given a unanimous task, a single-answer task and a task nobody answered
    task = [0, 0, 0, 2]
    worker = [0, 1, 2, 1]
    label = [1, 1, 1, 0]
    # when
    result = majority_vote(task, worker, label, n_classes=2)
    # then
    assert result.labels.tolist() == [1, 0, 0]
    assert result.confidence.tolist() == [1.0, 0.5, 1.0]
    assert result.answered.tolist() == [True, False, True]
    assert result.posteriors[1].tolist() == [0.5, 0.5]


def test_gold_overrides_the_vote_and_weights_count():
    # given three workers voting 0 against one voting 1 on each of two tasks
    task = [0, 0, 0, 0, 1, 1, 1, 1]
    worker = [0, 1, 2, 3, 0, 1, 2, 3]
    label = [0, 0, 0, 1, 0, 0, 0, 1]
    # when: gold on task 0, and worker 3 trusted 4x the others
    gold_result = majority_vote(task, worker, label, n_classes=2, gold=([0], [1]))
    weighted = majority_vote(task, worker, label, n_classes=2, weights=[1, 1, 1, 4])
    # then
    assert gold_result.labels.tolist() == [1, 0]
    assert gold_result.confidence.tolist() == [1.0, 0.75]
    assert weighted.labels.tolist() == [1, 1]
    assert np.allclose(weighted.confidence, [4 / 7, 4 / 7])
