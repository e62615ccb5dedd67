"""Top-label calibration: monotone in the score, so thresholds on either select the same objects."""

from __future__ import annotations

import numpy as np
import pytest

from labeling.automation.calibration import MIN_SLOPE, fit_top_label


def test_a_score_that_says_nothing_gets_a_nearly_flat_but_strictly_rising_confidence():
    # given: agreement that falls as the score rises (a score worse than useless)
    score = np.linspace(0.5, 0.99, 400)
    correct = score < 0.75
    # when
    calibration = fit_top_label(score, correct)
    confidence = calibration.confidence(score)
    # then: about the overall agreement everywhere, and still in the order of the scores
    assert calibration.slope == MIN_SLOPE
    assert np.all(np.diff(confidence) > 0)
    assert confidence.min() == pytest.approx(correct.mean(), abs=0.02)
    assert confidence.max() == pytest.approx(correct.mean(), abs=0.02)


def test_an_over_confident_score_is_brought_down_to_the_agreement_it_achieves():
    # given: scores of 0.99 and 0.9 that are right 80% and 60% of the time
    rng = np.random.default_rng(0)
    score = np.repeat([0.99, 0.9], 2000)
    correct = rng.random(4000) < np.repeat([0.8, 0.6], 2000)
    # when
    confidence = fit_top_label(score, correct).confidence(np.array([0.99, 0.9]))
    # then
    assert confidence == pytest.approx([0.8, 0.6], abs=0.03)


@pytest.mark.parametrize("outcome", [True, False])
def test_outcomes_all_alike_give_the_add_half_rate_never_certainty(outcome):
    calibration = fit_top_label(np.full(30, 0.9), np.full(30, outcome))
    expected = 30.5 / 31 if outcome else 0.5 / 31
    assert calibration.confidence(np.array([0.9]))[0] == pytest.approx(expected, rel=1e-6)
