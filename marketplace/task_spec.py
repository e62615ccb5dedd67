"""The task spec: one task to post, already validated, and the bounds of its fields.

``inputs.tasks.task_specs`` turns a ``POST /api/v1/tasks`` body into ``TaskSpec``s and a
labeling job's ingest builds them from manifest lines; ``services.batches.batch_tasks_create``
inserts them. A task's slot limit is the model's (``models.tasks.MAX_SLOTS_PER_TASK``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Inclusive bounds, in seconds except ``PRIORITY_RANGE``; a labeling job's settings share them.
ASSIGNMENT_DURATION_RANGE = (30, 7 * 86400)
LIFETIME_RANGE = (30, 365 * 86400)
AUTO_APPROVAL_DELAY_RANGE = (0, 30 * 86400)
PRIORITY_RANGE = (0, 100)


@dataclass(frozen=True)
class TaskSpec:
    """One task to post, validated. ``workteam_id`` and ``auto_approval_delay_seconds`` are the
    batch's: ``None`` means "the batch's, or the default"."""

    title: str
    description: str
    task_type: str
    input: Any
    answer_schema: dict | None
    labels: list[str]
    instructions: str
    slots: int
    reward_micros: int | None  # None: the vendor offering's price (``vendors.assignment_price``)
    assignment_duration_seconds: int
    lifetime_seconds: int
    priority: int
    workteam_id: int | None
    auto_approval_delay_seconds: int | None
    # The most slots the task may grow to without asking again (dynamic redundancy): escrow
    # reserves for that many at posting. ``None``: ``slots``.
    reserve_slots: int | None = None
    # Quality control (services.quality): the task's known answer, and the batch's rules and policy.
    gold_answer: dict | None = None
    quality_rules: dict | None = None
    auto_approval_policy: str | None = None
    # Batch-level too (``inputs.requirements``); ``None``: the batch's, or none.
    qualification_requirements: list[dict] | None = None
