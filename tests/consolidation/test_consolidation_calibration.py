import numpy as np
import pytest

from consolidation import Calibration, expected_calibration_error, fit_temperature, temper
from consolidation.calibration import fit_top_class


def test_ece_by_hand():
    # given two predictions at 0.95 (one right) and two at 0.55 (both right)
    confidence = [0.95, 0.95, 0.55, 0.55]
    correct = [True, False, True, True]
    # when
    ece = expected_calibration_error(confidence, correct)
    # then: |0.5 - 0.95| * 2/4 + |1 - 0.55| * 2/4
    assert ece == pytest.approx(0.45)


def test_ece_puts_certainty_in_the_last_bin_and_rejects_bad_input():
    # given / when / then
    assert expected_calibration_error([1.0, 0.9], [True, True]) == pytest.approx(0.05)
    with pytest.raises(ValueError, match=r"confidence must lie in \[0, 1\]"):
        expected_calibration_error([1.5], [True])
    with pytest.raises(ValueError, match="at least one prediction"):
        expected_calibration_error([], [])


def test_temper_widens_and_keeps_the_winner():
    # given a peaked posterior
    posteriors = np.array([[0.9, 0.1], [0.2, 0.8]])
    # when
    same = temper(posteriors, 1.0)
    wide = temper(posteriors, 2.0)
    # then: T=2 takes square roots, renormalised
    assert np.allclose(same, posteriors)
    assert np.allclose(wide[0], [0.75, 0.25])
    assert np.array_equal(wide.argmax(axis=1), [0, 1])


def test_fit_temperature_undoes_over_confidence():
    # given labels drawn from known probabilities, reported cubed (over-confident)
    rng = np.random.default_rng(5)
    logits = rng.normal(0.0, 1.5, size=(20_000, 3))
    honest = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    truth = (rng.random(20_000)[:, None] > honest.cumsum(axis=1)).sum(axis=1)
    over_confident = honest**3 / (honest**3).sum(axis=1, keepdims=True)
    # when
    temperature = fit_temperature(over_confident, truth)
    # then
    assert temperature == pytest.approx(3.0, abs=0.15)


def test_calibration_map_never_changes_the_label():
    # given posteriors and a map that squeezes the winner hard
    posteriors = np.array([[0.5, 0.3, 0.2], [0.34, 0.33, 0.33], [0.01, 0.98, 0.01]])
    calibration = Calibration(temperature=2.0, floor=0.1, slope=0.2, intercept=-2.0)
    # when
    calibrated = calibration.apply(posteriors)
    # then
    assert np.array_equal(calibrated.argmax(axis=1), posteriors.argmax(axis=1))
    assert np.allclose(calibrated.sum(axis=1), 1.0)


def test_platt_step_is_the_identity_when_already_calibrated():
    # given confidences that are exactly as right as they say, in large numbers
    rng = np.random.default_rng(2)
    top = rng.uniform(0.5, 1.0, size=50_000)
    posteriors = np.stack([top, 1 - top], axis=1)
    truth = np.where(rng.random(50_000) < top, 0, 1)
    # when
    slope, intercept = fit_top_class(posteriors, truth)
    # then
    assert slope == pytest.approx(1.0, abs=0.05)
    assert intercept == pytest.approx(0.0, abs=0.05)
