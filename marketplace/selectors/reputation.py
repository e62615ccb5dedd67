"""Reputation as read: the combined score of a worker's evidence and its record as the API and
the team pages show it (docs/quality.md). The counters are written by ``services.reputation``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..models import Assignment, Worker
from ..models.reputation import WorkerReputation

# The combined score (docs/quality.md "The combined score"): weights of each kind of evidence,
# in effective trials per event.
GOLD_WEIGHT = 1.0
ESTIMATE_WEIGHT = 0.5
ESTIMATE_ANSWERS_CAP = 100  # so consolidation alone never outweighs 50 gold answers
REVIEW_WEIGHT = 0.25  # approvals and rejections: weak (auto-approval approves almost everything)
RETURN_WEIGHT = 0.5
FREE_RETURNS = 2  # returns within 2 + 10% of the claims cost nothing
FREE_RETURN_SHARE = 0.1
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class ReputationScore:
    """The combined score: ``value`` = successes / trials over effective trials, with a 95 %
    Wilson interval ``[low, high]``; ``value`` is ``None`` and the interval ``[0, 1]`` without
    evidence."""

    value: float | None
    low: float
    high: float
    successes: float
    trials: float


def wilson_interval(successes: float, trials: float, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (``[0, 1]`` for no trials)."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    z2 = z * z
    denominator = 1.0 + z2 / trials
    center = (p + z2 / (2.0 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / trials + z2 / (4.0 * trials * trials))
    return max(0.0, center - half), min(1.0, center + half)


def reputation_score(
    *,
    gold_answered: int = 0,
    gold_correct: int = 0,
    estimated_accuracy: float | None = None,
    estimated_answers: int = 0,
    approved: int = 0,
    rejected: int = 0,
    claimed: int = 0,
    returned: int = 0,
) -> ReputationScore:
    """Combine every kind of evidence into effective successes and trials (pure; docs/quality.md):

    - each gold answer is one trial, a success when correct;
    - consolidation's estimate counts as ``ESTIMATE_WEIGHT × min(answers, ESTIMATE_ANSWERS_CAP)``
      pseudo trials, ``estimated_accuracy`` of them successes;
    - each approval or rejection is ``REVIEW_WEIGHT`` of a trial (a success when approved);
    - returns beyond a free allowance (``FREE_RETURNS + FREE_RETURN_SHARE × claimed``) are
      failures of ``RETURN_WEIGHT`` each: claim-and-return is how a scraper reads a dataset.
    """
    successes = GOLD_WEIGHT * gold_correct
    trials = GOLD_WEIGHT * gold_answered
    if estimated_accuracy is not None and estimated_answers > 0:
        pseudo = ESTIMATE_WEIGHT * min(estimated_answers, ESTIMATE_ANSWERS_CAP)
        successes += estimated_accuracy * pseudo
        trials += pseudo
    successes += REVIEW_WEIGHT * approved
    trials += REVIEW_WEIGHT * (approved + rejected)
    excess_returns = max(0.0, returned - (FREE_RETURNS + FREE_RETURN_SHARE * claimed))
    trials += RETURN_WEIGHT * excess_returns
    low, high = wilson_interval(successes, trials)
    value = successes / trials if trials > 0 else None
    return ReputationScore(value=value, low=low, high=high, successes=successes, trials=trials)


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100.0 * value, 2)


def _record_and_score(worker_id: int) -> tuple[WorkerReputation, int, ReputationScore]:
    record = WorkerReputation.objects.filter(worker_id=worker_id).first() or WorkerReputation(worker_id=worker_id)
    # Claims are counted from the assignments (every claim makes one) rather than by the claim
    # itself, which is the dispatch hot path.
    claimed = Assignment.objects.filter(worker_id=worker_id).count()
    score = reputation_score(
        gold_answered=record.gold_answered,
        gold_correct=record.gold_correct,
        estimated_accuracy=record.estimated_accuracy,
        estimated_answers=record.estimated_answers,
        approved=record.approved,
        rejected=record.rejected,
        claimed=claimed,
        returned=record.returned,
    )
    return record, claimed, score


def worker_reputation(worker: Worker | int) -> dict:
    """The worker's reputation record as the API shows it (zeros for a worker with no record)."""
    worker_id = worker if isinstance(worker, int) else worker.pk
    record, claimed, score = _record_and_score(worker_id)
    reviewed = record.approved + record.rejected
    return {
        "worker_id": worker_id,
        "claimed": claimed,
        **{name: getattr(record, name) for name in ("submitted", "approved", "rejected", "returned", "expired")},
        "approval_rate": _percent(record.approved / reviewed if reviewed else None),
        "gold": {
            "answered": record.gold_answered,
            "correct": record.gold_correct,
            "accuracy": _percent(record.gold_correct / record.gold_answered if record.gold_answered else None),
        },
        "estimated": {"accuracy": _percent(record.estimated_accuracy), "answers": record.estimated_answers},
        "score": {
            "accuracy": _percent(score.value),
            "low": _percent(score.low),
            "high": _percent(score.high),
            "evidence": round(score.trials, 2),
        },
    }


def worker_reputation_values(worker_id: int) -> dict:
    """The numbers qualification types read, unrounded: ``approval_rate`` (percent, ``None``
    before any review), ``approved_count``, ``accuracy`` (the lower bound of the combined
    score's 95 % interval, in percent, ``None`` without evidence: few answers cannot pass a
    high bar by luck, and one approval is not 100 % accuracy), ``score`` (the point estimate,
    percent) and ``submitted_count``."""
    record, _, score = _record_and_score(worker_id)
    reviewed = record.approved + record.rejected
    has_evidence = score.trials > 0
    return {
        "approval_rate": 100.0 * record.approved / reviewed if reviewed else None,
        "approved_count": record.approved,
        "submitted_count": record.submitted,
        "accuracy": 100.0 * score.low if has_evidence else None,
        "score": 100.0 * score.value if score.value is not None else None,
    }
