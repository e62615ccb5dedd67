"""Reputation: each worker's quality record and the combined score (docs/quality.md).

The record's counters move only through ``reputation_count``, called by the services that change
their inputs (submit, return, expiry, approve, reject): one ``UPDATE … SET n = n + 1``
(the row is created on first use), so concurrent updates never lose a count. Call it last in a
transaction: the reputation row is the last lock any service takes (after assignment, task and
the rest), so it can never be part of a lock cycle. Consolidation's per-batch accuracy
estimates land in ``WorkerBatchEstimate`` and are folded into the record by
``reputation_record_estimates``. The combined score and the record as pages show it are read by
``selectors.reputation``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import F, FloatField, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from ..locking import lock_reputations
from ..models import Batch
from ..models.reputation import WorkerBatchEstimate, WorkerReputation

COUNTERS = ("submitted", "approved", "rejected", "returned", "expired", "gold_answered", "gold_correct")


def reputation_count(*, worker_id: int, **increments: int) -> None:
    """Add ``increments`` (``submitted=1``, ``gold_answered=1``…) to the worker's record in one
    UPDATE; the row is created (and the UPDATE repeated) the first time. Takes the reputation
    row lock until the end of the transaction: call it after every other write."""
    unknown = set(increments) - set(COUNTERS)
    if unknown:
        raise ValueError(f"unknown reputation counters: {sorted(unknown)}")
    changes: dict[str, Any] = {name: F(name) + amount for name, amount in increments.items() if amount}
    if not changes:
        return
    changes["updated_at"] = timezone.now()
    if WorkerReputation.objects.filter(worker_id=worker_id).update(**changes):
        return
    WorkerReputation.objects.get_or_create(worker_id=worker_id)  # a savepoint: a racing create is fine
    WorkerReputation.objects.filter(worker_id=worker_id).update(**changes)


def reputations_count(*, increments: Mapping[int, Mapping[str, int]]) -> None:
    """``reputation_count`` for several workers (``{worker_id: {"submitted": 1, …}}``): missing rows
    are inserted first, then every row is locked, both in worker id order (so two such calls
    never wait on each other in a cycle: an uncommitted insert holds its key like a lock, and no
    call locks a row before it has inserted what it needs), then workers with the same
    increments are counted by one UPDATE. Call it last, as ``reputation_count``."""
    if len(increments) == 1:
        ((worker_id, counts),) = increments.items()
        reputation_count(worker_id=worker_id, **counts)
        return
    for counts in increments.values():
        if set(counts) - set(COUNTERS):
            raise ValueError(f"unknown reputation counters: {sorted(set(counts) - set(COUNTERS))}")
    worker_ids = sorted(increments)
    rows = WorkerReputation.objects.filter(worker_id__in=worker_ids)
    missing = sorted(set(worker_ids) - set(rows.values_list("worker_id", flat=True)))
    if missing:  # a worker's first answers: ON CONFLICT DO NOTHING, so a racing insert is fine
        WorkerReputation.objects.bulk_create([WorkerReputation(worker_id=w) for w in missing], ignore_conflicts=True)
    lock_reputations(worker_ids)
    alike: dict[tuple[tuple[str, int], ...], list[int]] = {}
    for worker_id in worker_ids:
        key = tuple(sorted((name, amount) for name, amount in increments[worker_id].items() if amount))
        if key:
            alike.setdefault(key, []).append(worker_id)
    now = timezone.now()
    for key, same in alike.items():
        WorkerReputation.objects.filter(worker_id__in=same).update(
            updated_at=now, **{name: F(name) + amount for name, amount in key}
        )


def reputation_record_estimates(*, batch: Batch, estimates: Mapping[int, tuple[float, int]]) -> int:
    """Store each worker's latest estimated accuracy in ``batch``: ``{worker_id: (accuracy in
    [0, 1], answers)}``, replacing the batch's previous estimate per worker, and refresh those
    workers' records with the answers-weighted mean over all their batches. Returns how many."""
    rows = [
        WorkerBatchEstimate(
            worker_id=worker_id,
            batch=batch,
            estimated_accuracy=min(1.0, max(0.0, float(accuracy))),
            answers=int(answers),
        )
        for worker_id, (accuracy, answers) in sorted(estimates.items())
    ]
    WorkerBatchEstimate.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["worker", "batch"],
        update_fields=["estimated_accuracy", "answers", "updated_at"],
    )
    combined = (
        WorkerBatchEstimate.objects.filter(worker_id__in=list(estimates), answers__gt=0)
        .values("worker_id")
        .annotate(weighted=Sum(F("estimated_accuracy") * Cast("answers", FloatField())), answers=Sum("answers"))
        .order_by("worker_id")
    )
    now = timezone.now()
    records = [
        WorkerReputation(
            worker_id=row["worker_id"],
            estimated_accuracy=row["weighted"] / row["answers"],
            estimated_answers=row["answers"],
            updated_at=now,
        )
        for row in combined
    ]
    # An upsert of the estimate columns only: the counters of an existing row are left alone
    # (and start at 0 on a new one), in worker order so two passes never deadlock.
    WorkerReputation.objects.bulk_create(
        records,
        update_conflicts=True,
        unique_fields=["worker"],
        update_fields=["estimated_accuracy", "estimated_answers", "updated_at"],
    )
    return len(rows)
