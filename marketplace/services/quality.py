"""Quality control on batches: gold tasks, quality rules and the auto-approval policy
(docs/quality.md).

- A gold task is a task posted with a known ``gold_answer``; it looks like any other task to
  workers (the answer is never sent to them). A submission to it is checked by the task type's
  notion of correct (``marketplace.task_types.answer_is_correct``).
- ``quality_rules`` stop a worker whose gold accuracy in a batch falls below a threshold from
  taking more of its tasks (and optionally leave its answers out of consolidation), and flag
  answers submitted implausibly fast for review. Flagging never withholds pay.
- ``auto_approval_policy`` decides what the auto-approval sweep does with a submitted answer:
  ``approve_all``, or ``reject_gold_failures`` (only a failed gold check is rejected; disagreeing
  with the crowd never is).

The rules and the policy are declared in ``marketplace.inputs.quality``; a gold answer is
checked against its task type when the task is posted (``services.tasks.tasks_post``).

The submit path calls ``submission_assess`` (before the assignment is saved; no query) and
``submissions_record`` (last, after the task update: quality rows, then reputation rows, in
the lock order of ``marketplace.locking``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from django.db.models import F

from ..models import Assignment, Batch, Worker
from ..models.reputation import WorkerBatchQuality
from ..task_types import answer_is_correct
from .reputation import reputations_count

DEFAULT_MIN_GOLD_ANSWERS = 3
GOLD_FAILURE_FEEDBACK = (
    "Rejected automatically: this task was a quality-control task with a known answer, and your "
    "answer did not match it. This batch's policy rejects answers that fail such checks; other "
    "answers are approved."
)


# --- the submit path --------------------------------------------------------------------------


def submission_assess(*, assignment: Assignment, now: datetime) -> None:
    """Set the gold check's outcome (``gold_correct``) and any review flag (``flagged_reason``)
    on a submission being saved; reads only the task and batch already loaded."""
    task = assignment.task
    if task.gold_answer is not None:
        answer = cast(dict, assignment.answer)  # a submission being saved holds its answer
        assignment.gold_correct = bool(answer_is_correct(task, answer, task.gold_answer))
    minimum = task.batch.quality_rules.get("min_seconds_per_assignment")
    if minimum:
        took = (now - assignment.accepted_at).total_seconds()
        if took < minimum:
            assignment.flagged_reason = (
                f"too_fast: submitted {took:.1f} s after accepting, under the batch's minimum of {minimum} s"
            )[:200]


QUALITY_FIELDS = ("gold_correct", "flagged_reason")


def submissions_record(*, assignments: Sequence[Assignment], now: datetime) -> None:
    """Count submissions in their workers' reputation (one UPDATE per kind of increment) and,
    for gold tasks, in their batch quality rows (in worker, batch order); stop a worker from a
    batch when its gold accuracy there fell below the batch's ``min_gold_accuracy`` after
    ``min_gold_answers`` gold answers. Call last in the submit transaction."""
    increments: dict[int, Counter[str]] = {}
    for assignment in sorted(assignments, key=lambda a: (a.worker_id, a.task.batch_id)):
        is_gold = assignment.gold_correct is not None
        correct = int(bool(assignment.gold_correct))
        if is_gold:
            rules = assignment.task.batch.quality_rules
            _batch_quality_count(assignment.worker_id, assignment.task.batch_id, correct=correct)
            if "min_gold_accuracy" in rules:
                _exclude_if_below(assignment.worker_id, assignment.task.batch_id, rules, now)
        counts = increments.setdefault(assignment.worker_id, Counter())
        counts.update(submitted=1, gold_answered=int(is_gold), gold_correct=correct)
    reputations_count(increments=increments)


def _batch_quality_count(worker_id: int, batch_id: int, *, correct: int) -> None:
    changes = {"gold_answered": F("gold_answered") + 1, "gold_correct": F("gold_correct") + correct}
    rows = WorkerBatchQuality.objects.filter(worker_id=worker_id, batch_id=batch_id)
    if not rows.update(**changes):
        WorkerBatchQuality.objects.get_or_create(worker_id=worker_id, batch_id=batch_id)
        rows.update(**changes)


def _exclude_if_below(worker_id: int, batch_id: int, rules: dict, now: datetime) -> None:
    answered, correct = (
        WorkerBatchQuality.objects.filter(worker_id=worker_id, batch_id=batch_id)
        .values_list("gold_answered", "gold_correct")
        .get()
    )
    minimum_answers = rules.get("min_gold_answers", DEFAULT_MIN_GOLD_ANSWERS)
    threshold = rules["min_gold_accuracy"]
    if answered >= minimum_answers and correct < threshold * answered:
        WorkerBatchQuality.objects.filter(worker_id=worker_id, batch_id=batch_id, excluded_at__isnull=True).update(
            excluded_at=now,
            reason=f"gold accuracy {correct}/{answered} is below the batch's minimum of {threshold:g}",
        )


# --- dispatch and consolidation ---------------------------------------------------------------


def batches_excluding(worker: Worker) -> list[int]:
    """The batches whose quality rules stopped ``worker`` (read through a small partial index;
    empty for nearly everyone)."""
    return list(
        WorkerBatchQuality.objects.filter(worker=worker, excluded_at__isnull=False).values_list("batch_id", flat=True)
    )


def batch_excluded_worker_ids(batch: Batch) -> set[int]:
    """Workers whose answers consolidation leaves out of ``batch``: those its quality rules
    stopped, when the rules say ``exclude_answers`` (their work is still settled as usual)."""
    if not batch.quality_rules.get("exclude_answers"):
        return set()
    return set(
        WorkerBatchQuality.objects.filter(batch=batch, excluded_at__isnull=False).values_list("worker_id", flat=True)
    )


# --- auto-approval ----------------------------------------------------------------------------


def auto_approval_outcome(assignment: Assignment) -> tuple[str, str]:
    """``(status, feedback)`` the auto-approval sweep settles a submitted assignment with: its
    batch's policy rejects a failed gold check under ``reject_gold_failures``; everything else
    is approved (disagreeing with the crowd never withholds pay)."""
    policy = assignment.task.batch.auto_approval_policy
    if policy == Batch.AutoApprovalPolicy.REJECT_GOLD_FAILURES and assignment.gold_correct is False:
        return Assignment.Status.REJECTED, GOLD_FAILURE_FEEDBACK
    return Assignment.Status.APPROVED, ""
