"""The Clopper-Pearson bounds and the audit's verdict (pure, no database)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import beta

from labeling.automation import accuracy_lower_bound, accuracy_upper_bound, audit_verdict


@pytest.mark.parametrize(("correct", "total"), [(1, 1), (59, 59), (57, 60), (180, 200), (5, 17), (999, 1000)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.995])
def test_the_bounds_are_scipys_beta_quantiles(correct, total, confidence):
    # given / when / then
    assert accuracy_lower_bound(correct, total, confidence) == pytest.approx(
        beta.ppf(1 - confidence, correct, total - correct + 1), rel=1e-12
    )
    if correct < total:
        assert accuracy_upper_bound(correct, total, confidence) == pytest.approx(
            beta.ppf(confidence, correct + 1, total - correct), rel=1e-12
        )


def test_the_edges_prove_nothing_beyond_what_was_seen():
    assert accuracy_lower_bound(0, 0) == 0.0
    assert accuracy_lower_bound(0, 40) == 0.0
    assert accuracy_upper_bound(40, 40) == 1.0
    assert accuracy_upper_bound(0, 0) == 1.0
    # 59 of 59 is the smallest all-correct count whose 95% lower bound reaches 0.95 (0.05 ** (1/59)).
    assert accuracy_lower_bound(58, 58) < 0.95 <= accuracy_lower_bound(59, 59)
    assert accuracy_lower_bound(59, 59) == pytest.approx(0.05 ** (1 / 59))


def test_the_lower_bound_covers_the_truth_at_least_as_often_as_it_says():
    # given: 4000 draws of 80 trials at accuracy 0.9
    rng = np.random.default_rng(3)
    counts = rng.binomial(80, 0.9, size=4000)
    # when
    covered = np.mean([accuracy_lower_bound(int(c), 80) <= 0.9 for c in counts])
    # then: exact (conservative) coverage, not an approximation that falls short
    assert covered >= 0.95


@pytest.mark.parametrize(("correct", "total"), [(-1, 5), (6, 5), (1, -1)])
def test_impossible_counts_are_refused(correct, total):
    with pytest.raises(ValueError, match="correct"):
        accuracy_lower_bound(correct, total)


def test_the_audit_goes_on_while_the_shortfall_is_not_proven():
    assert audit_verdict(20, 20, 0.95)
    assert audit_verdict(18, 20, 0.95)  # 90% of 20: could still be a 95% model
    assert audit_verdict(0, 0, 0.95)  # nothing audited yet


def test_the_audit_stops_automation_once_the_shortfall_is_proven():
    assert not audit_verdict(10, 20, 0.95)
    assert not audit_verdict(170, 200, 0.95)  # 85% of 200: the upper bound is under 0.95
    assert accuracy_upper_bound(170, 200) < 0.95


def test_the_audit_refuses_a_target_outside_0_1():
    with pytest.raises(ValueError, match="target_accuracy"):
        audit_verdict(5, 10, 1.5)
