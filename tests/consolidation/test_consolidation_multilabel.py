import numpy as np
import pytest

from consolidation.multilabel import multilabel


def test_each_class_is_voted_on_its_own():
    # given three workers labelling two tasks with classes (cat, dog, bird); task 2 unanswered
    task = [0, 0, 0, 1, 1, 1]
    worker = [0, 1, 2, 0, 1, 2]
    present = [
        [1, 1, 0],
        [1, 0, 0],
        [1, 1, 1],
        [0, 0, 1],
        [0, 1, 1],
        [0, 0, 0],
    ]
    # when
    result = multilabel(task, worker, present, n_tasks=3, method="majority_vote")
    # then
    assert result.present.tolist() == [
        [True, True, False],
        [False, False, True],
        [False, False, False],
    ]
    assert np.allclose(result.probability[0], [1.0, 2 / 3, 1 / 3])
    assert result.answered.tolist() == [True, True, False]
    assert result.methods == ("majority_vote",) * 3


def test_gold_and_calibrated_default():
    # given a small crowd and one gold task saying only "dog"
    task = [0, 0, 0, 1, 1, 1]
    worker = [0, 1, 2, 0, 1, 2]
    present = np.array([[1, 0], [1, 0], [1, 1], [0, 1], [0, 1], [1, 1]], dtype=bool)
    # when
    result = multilabel(task, worker, present, gold=([0], [[False, True]]))
    # then
    assert result.present[0].tolist() == [False, True]
    assert result.probability[0].tolist() == [0.0, 1.0]
    assert all("calibration" in method for method in result.methods)


def test_bad_present_raises():
    with pytest.raises(ValueError, match="present must be a"):
        multilabel([0], [0], [1, 0])
    with pytest.raises(ValueError, match="present must hold booleans"):
        multilabel([0], [0], [[2, 0]])
