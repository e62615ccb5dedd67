"""Reputation inputs. Consolidation's per-worker accuracy estimates land here; the combined
reputation record (gold accuracy, approvals, uncertainty) builds on them."""

from __future__ import annotations

from collections.abc import Mapping

from ..models import Batch
from ..models.reputation import WorkerBatchEstimate


def reputation_record_estimates(*, batch: Batch, estimates: Mapping[int, tuple[float, int]]) -> int:
    """Store each worker's latest estimated accuracy in ``batch``: ``{worker_id: (accuracy in
    [0, 1], answers)}``. Replaces the batch's previous estimate per worker; returns how many."""
    rows = [
        WorkerBatchEstimate(worker_id=worker_id, batch=batch, estimated_accuracy=min(1.0, max(0.0, float(accuracy))),
                            answers=int(answers))
        for worker_id, (accuracy, answers) in estimates.items()
    ]
    WorkerBatchEstimate.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["worker", "batch"],
        update_fields=["estimated_accuracy", "answers", "updated_at"],
    )
    return len(rows)

