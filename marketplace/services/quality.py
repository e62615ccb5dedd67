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

The submit path calls ``submission_assess`` (before the assignment is saved; no query) and
``submissions_record`` (last, after the task update: quality rows, then reputation rows, in
the lock order of ``marketplace.locking``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from django.db.models import F

from ..answer_validation import validate_answer
from ..errors import InvalidInput
from ..models import Assignment, Batch, Task, Worker
from ..models.reputation import WorkerBatchQuality
from ..task_types import answer_is_correct
from ..validation import FieldErrors
from .reputation import reputations_count

QUALITY_RULE_FIELDS = ("min_gold_accuracy", "min_gold_answers", "exclude_answers", "min_seconds_per_assignment")
DEFAULT_MIN_GOLD_ANSWERS = 3
MAX_MIN_GOLD_ANSWERS = 10_000
MAX_MIN_SECONDS = 7 * 86400
POLICIES = tuple(Batch.AutoApprovalPolicy.values)
GOLD_FAILURE_FEEDBACK = (
    "Rejected automatically: this task was a quality-control task with a known answer, and your "
    "answer did not match it. This batch's policy rejects answers that fail such checks; other "
    "answers are approved."
)


# --- parsing ----------------------------------------------------------------------------------


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_quality_rules(data: dict, errors: FieldErrors, *, field: str = "quality_rules") -> dict | None:
    """The ``quality_rules`` object of a body, normalised (only the rules given), or ``None``
    when the body leaves it out; every bad sub-field is named (``quality_rules.min_gold_accuracy``)."""
    if field not in data or data[field] is None:
        return None
    rules = data[field]
    if not isinstance(rules, dict):
        errors.add(field, "must be an object")
        return None
    parsed: dict = {}
    for unknown in sorted(set(rules) - set(QUALITY_RULE_FIELDS)):
        errors.add(f"{field}.{unknown}", f"is not a known quality rule (known: {', '.join(QUALITY_RULE_FIELDS)})")
    if "min_gold_accuracy" in rules:
        value = rules["min_gold_accuracy"]
        if not _number(value) or not 0.0 <= value <= 1.0:
            errors.add(f"{field}.min_gold_accuracy", "must be a number from 0 to 1")
        else:
            parsed["min_gold_accuracy"] = float(value)
    if "min_gold_answers" in rules:
        value = rules["min_gold_answers"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MIN_GOLD_ANSWERS:
            errors.add(f"{field}.min_gold_answers", f"must be an integer from 1 to {MAX_MIN_GOLD_ANSWERS}")
        else:
            parsed["min_gold_answers"] = value
    if "exclude_answers" in rules:
        if not isinstance(rules["exclude_answers"], bool):
            errors.add(f"{field}.exclude_answers", "must be true or false")
        else:
            parsed["exclude_answers"] = rules["exclude_answers"]
    if "min_seconds_per_assignment" in rules:
        value = rules["min_seconds_per_assignment"]
        if not _number(value) or not 0 <= value <= MAX_MIN_SECONDS:
            errors.add(f"{field}.min_seconds_per_assignment", f"must be a number from 0 to {MAX_MIN_SECONDS}")
        else:
            parsed["min_seconds_per_assignment"] = value
    return parsed


def parse_auto_approval_policy(data: dict, errors: FieldErrors, *, field: str = "auto_approval_policy") -> str | None:
    """The ``auto_approval_policy`` of a body, or ``None`` when left out."""
    value = data.get(field)
    if value is None:
        return None
    if value not in POLICIES:
        errors.add(field, f"must be one of {', '.join(POLICIES)}")
        return None
    return value


def parse_gold_answer(data: dict, errors: FieldErrors, *, probe: Task, field: str = "gold_answer") -> dict | None:
    """A task's optional known answer, checked like a worker's answer against the task's
    ``answer_schema`` and type (``probe``: an unsaved task carrying them); errors are named
    ``gold_answer.<path>``."""
    if field not in data or data[field] is None:
        return None
    try:
        validate_answer(probe, data[field])
    except InvalidInput as exc:
        for path, messages in exc.fields.items():
            renamed = field + path[len("answer") :] if path.startswith("answer") else f"{field}.{path}"
            for message in messages:
                errors.add(renamed, message)
        return None
    return data[field]


# --- the submit path --------------------------------------------------------------------------


def submission_assess(*, assignment: Assignment, now: datetime) -> None:
    """Set the gold check's outcome (``gold_correct``) and any review flag (``flagged_reason``)
    on a submission being saved; reads only the task and batch already loaded."""
    task = assignment.task
    if task.gold_answer is not None:
        assignment.gold_correct = bool(answer_is_correct(task, assignment.answer, task.gold_answer))
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
