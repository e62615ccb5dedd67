"""Exact binomial bounds on an accuracy, and the audit's verdict.

Clopper and Pearson (1934), "The use of confidence or fiducial limits illustrated in the case of
the binomial", Biometrika 26(4): the one-sided bounds from the beta quantiles, exact (never
below their stated coverage) for a count of successes among independent trials of one success
probability.
"""

from __future__ import annotations

from scipy.stats import beta


def _check(correct: int, total: int, confidence: float) -> None:
    if total < 0 or correct < 0 or correct > total:
        raise ValueError(f"need 0 <= correct <= total, got correct={correct}, total={total}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")


def accuracy_lower_bound(correct: int, total: int, confidence: float = 0.95) -> float:
    """One-sided Clopper-Pearson lower bound: with probability at least ``confidence`` over the
    draw of the ``total`` trials, the true accuracy is at least this. ``0.0`` with no trials or no
    success (nothing is proven)."""
    _check(correct, total, confidence)
    if correct == 0:
        return 0.0
    return float(beta.ppf(1.0 - confidence, correct, total - correct + 1))


def accuracy_upper_bound(correct: int, total: int, confidence: float = 0.95) -> float:
    """One-sided Clopper-Pearson upper bound: with probability at least ``confidence`` the true
    accuracy is at most this. ``1.0`` with no trials or no failure."""
    _check(correct, total, confidence)
    if correct == total:
        return 1.0
    return float(beta.ppf(confidence, correct + 1, total - correct))


def audit_verdict(agreed: int, audited: int, target_accuracy: float, confidence: float = 0.95) -> bool:
    """Whether automation may go on after a human audit of machine labels: ``agreed`` of
    ``audited`` machine-labeled objects got the same label from the humans.

    ``False`` (stop automation, send the affected machine labels back to humans) when the audit
    shows, at ``confidence``, that the machine labels' agreement with humans is below
    ``target_accuracy``: their one-sided Clopper-Pearson upper bound is under it. An empty audit
    says nothing and lets automation go on. The same measure as the validation that admitted the
    labels (agreement with the human-consolidated label), so a predictor that goes bad mid-job is
    caught as soon as the audited counts make its shortfall certain, and a sound one is stopped
    by chance with probability at most ``1 - confidence``.
    """
    if not 0.0 < target_accuracy <= 1.0:
        raise ValueError(f"target_accuracy must lie in (0, 1], got {target_accuracy}")
    if audited == 0:
        _check(agreed, audited, confidence)
        return True
    return accuracy_upper_bound(agreed, audited, confidence) >= target_accuracy
