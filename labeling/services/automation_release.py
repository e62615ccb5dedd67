"""Offering a held job's objects to humans (``tasks_release``), with gold kept in proportion."""

from __future__ import annotations

import math
from collections.abc import Iterable

from marketplace.models import Batch, Task
from marketplace.services.batches import tasks_release

from ..models import DataObject, LabelingJob

RELEASE_CHUNK = 2000


def gold_share(job: LabelingJob, *, released: int, total: int) -> list[int]:
    """Held gold tasks to release so the gold offered keeps the share of the objects offered
    (gold stays spread through the work, as ingestion spreads it)."""
    held_gold = list(
        DataObject.objects.filter(job=job, is_gold=True, task__status=Task.Status.HELD)
        .order_by("pk")
        .values_list("task_id", flat=True)
    )
    gold_total = DataObject.objects.filter(job=job, is_gold=True).count()
    if not held_gold or total == 0:
        return []
    offered_regular = total - DataObject.objects.filter(job=job, is_gold=False, task__status=Task.Status.HELD).count()
    want = math.ceil(gold_total * min(1.0, (offered_regular + released) / total))
    due = want - (gold_total - len(held_gold))
    return held_gold[: max(0, due)]


def release(batch: Batch, task_ids: Iterable[int]) -> list[int]:
    """``tasks_release`` in chunks (one statement per chunk); the ids released."""
    ids = sorted(set(task_ids))
    released: list[int] = []
    for start in range(0, len(ids), RELEASE_CHUNK):
        released += tasks_release(batch=batch, task_ids=ids[start : start + RELEASE_CHUNK])
    return released
