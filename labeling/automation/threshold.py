"""The machine-labeling threshold, chosen so that its accuracy is proven on validation.

Candidates are fixed before any validation outcome is looked at: the score above which a share
of the unlabeled pool lies, for the shares in ``POOL_SHARES`` (all of the pool, 90%, ..., 10%).
They depend only on the model and the pool's features, never on the validation objects. For each
candidate threshold t, the validation objects scoring at least t are a random sample of the
objects above t (when validation objects are a random sample of the job's objects), so the
number of them that agree with their human label is binomial given how many there are, and the
one-sided Clopper-Pearson bound applies. Testing several candidates and keeping the lowest that
passes is a multiple comparison: each is tested at level (1 - confidence) / J for the J distinct
candidates (Bonferroni), so the probability that ANY candidate whose true agreement is below the
target passes is at most 1 - confidence, whichever one is then chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from labeling.automation.bounds import accuracy_lower_bound

POOL_SHARES = (1.0, 0.9, 0.75, 0.5, 0.25)


@dataclass(frozen=True)
class ThresholdChoice:
    """``score_threshold`` None: no candidate passed. The validation figures describe the chosen
    candidate, or when none passed the one with the highest bound (all validation objects when
    there was no candidate at all)."""

    score_threshold: float | None
    above: int  # validation objects scoring at least the threshold
    agreed: int  # of which agreed with their human label
    lower_bound: float  # Clopper-Pearson at per_test_confidence
    candidates: int
    per_test_confidence: float


def candidate_thresholds(pool_score: NDArray[np.float64]) -> NDArray[np.float64]:
    """Distinct score thresholds, highest first, one per share of the pool (see module doc)."""
    if pool_score.size == 0:
        return np.zeros(0)
    ordered = np.sort(pool_score)[::-1]
    positions = [max(1, int(np.floor(share * ordered.size))) - 1 for share in POOL_SHARES]
    return np.unique(ordered[positions])[::-1]


def choose_threshold(
    *,
    validation_score: NDArray[np.float64],
    validation_correct: NDArray[np.bool_],
    pool_score: NDArray[np.float64],
    target_accuracy: float,
    confidence: float,
) -> ThresholdChoice:
    """The lowest candidate threshold whose validation agreement's lower bound reaches
    ``target_accuracy`` at the Bonferroni-adjusted confidence."""
    candidates = candidate_thresholds(pool_score)
    tests = max(1, candidates.size)
    per_test = 1.0 - (1.0 - confidence) / tests
    if candidates.size == 0:
        agreed = int(validation_correct.sum())
        bound = accuracy_lower_bound(agreed, validation_correct.size, per_test)
        return ThresholdChoice(None, int(validation_correct.size), agreed, bound, 0, per_test)
    best: ThresholdChoice | None = None
    chosen: ThresholdChoice | None = None
    for threshold in candidates:  # highest first; the last that passes is the lowest
        above = validation_score >= threshold
        n_above = int(above.sum())
        agreed = int(validation_correct[above].sum())
        bound = accuracy_lower_bound(agreed, n_above, per_test)
        outcome = ThresholdChoice(float(threshold), n_above, agreed, bound, int(candidates.size), per_test)
        if best is None or bound > best.lower_bound:
            best = outcome
        if bound >= target_accuracy:
            chosen = outcome
    if chosen is not None:
        return chosen
    assert best is not None
    return ThresholdChoice(None, best.above, best.agreed, best.lower_bound, best.candidates, per_test)
