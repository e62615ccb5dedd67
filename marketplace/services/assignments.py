"""What happens to an assignment after the claim: submit, return, approve, reject.

Every function locks the assignment row first, then touches its task (the lock order of
``marketplace.locking``), and is idempotent where DESIGN.md rule 5 says so.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DataError, connection, transaction
from django.db.models import F
from django.utils import timezone

from ..access import access_assignment_as_requester, access_assignment_as_worker, access_assignments_as_worker
from ..answer_validation import validate_answer
from ..errors import Conflict, DomainError, InvalidInput
from ..events import emit
from ..locking import lock_tasks, locked_assignments
from ..models import Assignment, Organization, Task, Worker, Workteam
from ..realtime.hints import hint_work_available
from ..task_status import status_after_submit
from .appeals import appeal_settle_by_override
from .escrow import assignment_pay, assignment_release
from .expiry import release_slot
from .quality import auto_approval_outcome, submission_assess, submissions_record
from .rejection_overrides import rejection_override
from .reputation import reputation_count
from .submit_statements import SUBMITTED_FIELDS, answers_statement, submissions_statement

SETTLED = (Assignment.Status.APPROVED, Assignment.Status.REJECTED)
ANSWERED = (Assignment.Status.SUBMITTED, *SETTLED)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    worker: Worker
    assignment_id: object
    answer: object


def assignment_submit(*, worker: Worker, assignment_id: object, answer: object) -> Assignment:
    """Submit ``answer`` to the worker's live assignment.

    The identical answer again is accepted (returns the assignment unchanged); a different one
    is ``Conflict(already_submitted)``. After the deadline (expired by a sweep or not yet):
    ``Conflict(deadline_passed)``, nothing changed. A returned one: ``Conflict(not_live)``. An answer failing
    the task's schema: ``InvalidInput`` on ``answer.*``.
    """
    (result,) = assignments_submit(submissions=[Submission(worker, assignment_id, answer)])
    if isinstance(result, Exception):
        raise result
    return result


def assignments_submit(*, submissions: Sequence[Submission]) -> list[Assignment | Exception]:
    """``assignment_submit`` for several answers (to distinct assignments): for each, in order,
    the assignment or the error ``assignment_submit`` raises for it (a ``DomainError``; any
    other exception is a bug, reported to that submitter alone). A refused one changes nothing
    and does not hold the others back, whatever refuses it: a check here or the database.

    All are written in one transaction; when that transaction fails (a member the database
    refuses, as an ``IntegrityError`` or ``DataError`` on one row, fails every statement it
    shares), nothing of it is kept and each answer is submitted again on its own, so only the
    one at fault is refused.

    Locks, each kind in id order so two calls never wait on each other in a cycle (the order
    of ``marketplace.locking``): the assignments, their tasks, the batch quality rows of gold
    answers, the workers' reputation.
    """
    ids = [submission.assignment_id for submission in submissions]
    if len(set(map(str, ids))) != len(ids):
        raise ValueError("an assignment may be submitted only once per call")
    if len(submissions) > 1:
        try:
            return _submit_together(submissions)
        except Exception as error:  # rolled back: nothing of the batch was kept
            # the error's first line only: the rest may quote an answer
            logger.warning(
                "a batched submit of %d answers failed (%s: %s); each is submitted alone",
                len(submissions),
                type(error).__name__,
                str(error).partition("\n")[0],
            )
    results: list[Assignment | Exception] = []
    for submission in submissions:
        try:
            (result,) = _submit_together([submission])
        except DataError as error:  # a value the database cannot store: the answer is the only one sent
            result = InvalidInput.for_field("answer", f"cannot be stored: {str(error).splitlines()[0]}")
        except Exception as error:
            if len(submissions) == 1:
                raise
            logger.exception("submitting an answer to assignment %s failed", submission.assignment_id)
            result = error
        results.append(result)
    return results


def _submit_together(submissions: Sequence[Submission]) -> list[Assignment | Exception]:
    results: list[Assignment | Exception] = []
    with transaction.atomic():
        found = access_assignments_as_worker([(s.worker, s.assignment_id) for s in submissions], lock=True)
        now = timezone.now()  # read under the locks, so a wait cannot carry a late submit through
        submitted: list[Assignment] = []
        for submission, assignment in zip(submissions, found, strict=True):
            try:
                if isinstance(assignment, DomainError):
                    raise assignment
                if _is_new_submission(assignment, submission.answer, now):
                    submitted.append(assignment)
            except DomainError as error:
                results.append(error)
            else:
                results.append(assignment)
        if submitted:
            _record_submissions(submitted, now)
    return results


def _is_new_submission(assignment: Assignment, answer: object, now: datetime) -> bool:
    """Check an answer to a locked assignment: ``False`` for the identical answer again, ``True``
    with the assignment's fields set (not saved) for a new one; else the ``DomainError``."""
    if assignment.status in ANSWERED:
        if assignment.answer == answer:
            return False
        raise Conflict("this assignment was already submitted with another answer", code="already_submitted")
    if assignment.status == Assignment.Status.RETURNED:
        raise Conflict("this assignment was returned", code="not_live")
    if assignment.status == Assignment.Status.EXPIRED or now >= assignment.deadline:
        raise Conflict("the assignment's deadline has passed", code="deadline_passed")
    validate_answer(assignment.task, answer)
    assignment.status = Assignment.Status.SUBMITTED
    assignment.answer = answer
    assignment.submitted_at = now
    assignment.auto_approve_at = now + timedelta(seconds=assignment.task.batch.auto_approval_delay_seconds)
    submission_assess(assignment=assignment, now=now)
    return True


def _record_submissions(submitted: list[Assignment], now: datetime) -> None:
    per_task = Counter(assignment.task_id for assignment in submitted)
    if connection.vendor == "postgresql":
        if all(assignment.gold_correct is None for assignment in submitted):
            # the rows, the tasks' counters and the reputation in one statement (submit_statements)
            submissions_statement(assignments=submitted, now=now)
            _after_submissions(submitted, per_task)
            return
        answers_statement(assignments=submitted)
    elif len(submitted) == 1:
        submitted[0].save(update_fields=SUBMITTED_FIELDS)
    else:
        Assignment.objects.bulk_update(submitted, SUBMITTED_FIELDS)
    # No escrow change: a task completes by submission only when every slot is used and
    # submitted, where its reserve (one per unsettled slot) is what it held already.
    if len(per_task) > 1:  # in id order; one task is locked by its UPDATE
        lock_tasks(ids=per_task)
    by_count: dict[int, list[int]] = {}
    for task_id, count in sorted(per_task.items()):
        by_count.setdefault(count, []).append(task_id)
    for count, task_ids in by_count.items():
        Task.objects.filter(pk__in=task_ids).update(
            slots_submitted=F("slots_submitted") + count, status=status_after_submit(count)
        )
    submissions_record(assignments=submitted, now=now)
    _after_submissions(submitted, per_task)


def _after_submissions(submitted: list[Assignment], per_task: Counter[int]) -> None:
    """The events of these submissions and the hint they give a full vendor team."""
    emit.assignments_changed("assignment.submitted", submitted)
    emit.tasks_completed_by_submission(task_ids=per_task, requester_ids={a.task.requester_id for a in submitted})
    # An answer frees a place on a vendor team held at its offering's capacity: wake its waiting
    # sockets now rather than at their next re-check.
    vendor_teams = Counter(a.task.workteam_id for a in submitted if a.task.workteam.kind == Workteam.Kind.VENDOR)
    if vendor_teams:
        hint_work_available(workteam_ids=vendor_teams, slots=sum(vendor_teams.values()))


def assignment_return(*, worker: Worker, assignment_id: object) -> Assignment:
    """Give a live assignment back; its slot is offered again. Returning twice is a no-op."""
    with transaction.atomic():
        assignment = access_assignment_as_worker(worker, assignment_id, lock=True)
        if assignment.status == Assignment.Status.RETURNED:
            return assignment
        if assignment.status != Assignment.Status.ACCEPTED:
            code = "already_submitted" if assignment.status in ANSWERED else "not_live"
            raise Conflict(f"this assignment is {assignment.status}", code=code)
        now = timezone.now()
        assignment.status = Assignment.Status.RETURNED
        assignment.returned_at = now
        assignment.save(update_fields=["status", "returned_at"])
        release_slot(assignment.task_id)
        reputation_count(worker_id=assignment.worker_id, returned=1)
        emit.assignments_changed("assignment.returned", [assignment])
        hint_work_available(workteam_ids=[assignment.task.workteam_id], slots=1)
    return assignment


def _settle(assignment: Assignment, *, to_status: str, feedback: str) -> Assignment:
    if assignment.status == to_status:
        return assignment  # approving an approved assignment again pays nothing more
    if assignment.status in SETTLED:
        raise Conflict(f"this assignment was already {assignment.status}", code="already_settled")
    if assignment.status != Assignment.Status.SUBMITTED:
        raise Conflict(f"this assignment is {assignment.status}, not submitted", code="not_submitted")
    now = timezone.now()
    assignment.status = to_status
    assignment.feedback = feedback
    if to_status == Assignment.Status.APPROVED:
        assignment.approved_at = now
    else:
        assignment.rejected_at = now
    assignment.save(update_fields=["status", "feedback", "approved_at", "rejected_at"])
    if to_status == Assignment.Status.APPROVED:
        assignment_pay(assignment=assignment)
    else:
        assignment_release(assignment=assignment)
    reputation_count(worker_id=assignment.worker_id, **{to_status: 1})  # approved=1 or rejected=1
    emit.assignments_changed(f"assignment.{to_status}", [assignment])
    return assignment


def _check_feedback(feedback: object) -> str:
    if not isinstance(feedback, str) or len(feedback) > 10_000:
        raise InvalidInput.for_field("feedback", "must be a string of at most 10000 characters")
    return feedback


def assignment_approve(
    *, requester: Organization, assignment_id: object, feedback: object = "", override_rejection: object = False
) -> Assignment:
    """Approve a submitted assignment (idempotent: approving again pays nothing more). Pays the
    price to the worker (or its vendor) and the fee to the platform from the slot's reserve.

    With ``override_rejection`` a rejected assignment is approved too, within 30 days of its
    rejection, paid from the available balance (``rejection_overrides.rejection_override``);
    without it, a rejected one is ``Conflict(already_settled)``.
    """
    feedback = _check_feedback(feedback)
    if not isinstance(override_rejection, bool):
        raise InvalidInput.for_field("override_rejection", "must be true or false")
    with transaction.atomic():
        assignment = access_assignment_as_requester(requester, assignment_id, lock=True)
        if override_rejection and assignment.status == Assignment.Status.REJECTED:
            now = timezone.now()
            rejection_override(assignment=assignment, feedback=feedback, now=now)
            appeal_settle_by_override(assignment=assignment, feedback=feedback, now=now)
            return assignment
        return _settle(assignment, to_status=Assignment.Status.APPROVED, feedback=feedback)


def assignment_reject(*, requester: Organization, assignment_id: object, feedback: object = "") -> Assignment:
    """Reject a submitted assignment (idempotent). Its slot stays used (add a slot to replace
    it); its reserve goes back to the requester's available balance."""
    feedback = _check_feedback(feedback)
    with transaction.atomic():
        assignment = access_assignment_as_requester(requester, assignment_id, lock=True)
        return _settle(assignment, to_status=Assignment.Status.REJECTED, feedback=feedback)


def assignment_auto_approve(*, assignment_id: int) -> bool:
    """Settle a submitted assignment whose batch's delay has passed (sweep; compare-and-set).

    Returns whether this call settled it. The batch's ``auto_approval_policy`` decides
    (``quality.auto_approval_outcome``): ``approve_all`` approves every answer;
    ``reject_gold_failures`` rejects, with feedback saying why, an answer that failed its gold
    check and approves the rest.
    """
    with transaction.atomic():
        assignment = locked_assignments(
            Assignment.objects.select_related("task", "task__batch").filter(
                pk=assignment_id, status=Assignment.Status.SUBMITTED, auto_approve_at__lte=timezone.now()
            )
        ).first()
        if assignment is None:
            return False
        to_status, feedback = auto_approval_outcome(assignment)
        _settle(assignment, to_status=to_status, feedback=feedback)
        return True


__all__ = [
    "assignment_approve",
    "assignment_auto_approve",
    "assignment_reject",
    "assignment_return",
    "assignment_submit",
    "assignments_submit",
]
