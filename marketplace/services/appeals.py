"""Appeals: a worker asks the requester to reconsider a rejection, once, within 14 days; the
requester accepts (the assignment is approved and paid, ``rejection_overrides``) or declines
with a reply, once. The worker is told the outcome in its messages (``worker_messages``).

Locks: every write takes the assignment's row lock first (rank 3 of ``marketplace.locking``)
and writes the appeal only under it, so an assignment's appeal changes one transaction at a
time; the decision is also a compare-and-set on the appeal's status, so of two decisions only
the first to commit counts, the other is ``Conflict(appeal_already_decided)``. The payment of
an accepted appeal then takes the task, the accounts and the reputation row, in that order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..access import access_appeal_as_requester, access_assignment_as_requester, access_assignment_as_worker
from ..errors import Conflict
from ..events import emit
from ..models import Appeal, Assignment, Organization, Worker
from ..money import format_micros
from .rejection_overrides import rejection_override
from .worker_messages import worker_message_write

# A worker may appeal within 14 days of the rejection; the requester may accept while the
# rejection can still be overridden (``rejection_overrides.OVERRIDE_WINDOW``, 30 days).
APPEAL_WINDOW = timedelta(days=14)
MAX_APPEAL_MESSAGE_LENGTH = 2000
MAX_APPEAL_REPLY_LENGTH = 4096


def appeal_create(*, worker: Worker, assignment_id: object, message: str, now: datetime | None = None) -> Appeal:
    """Appeal the rejection of the worker's assignment ``assignment_id`` with ``message`` (not
    blank, at most ``MAX_APPEAL_MESSAGE_LENGTH`` characters: ``inputs.appeals.AppealCreate``).

    ``NotFound`` for an assignment that is not the worker's; ``Conflict``: ``already_appealed``
    (an appeal exists, whatever its outcome), ``not_rejected`` (only a rejection is appealed),
    ``appeal_window_closed`` (more than ``APPEAL_WINDOW`` after the rejection). Nothing changes
    on a refusal. Records ``appeal.created``.
    """
    now = now or timezone.now()
    with transaction.atomic():
        assignment = access_assignment_as_worker(worker, assignment_id, lock=True)
        if Appeal.objects.filter(assignment=assignment).exists():
            raise Conflict(
                f"assignment {assignment.pk} was already appealed: a rejection is appealed once",
                code="already_appealed",
            )
        if assignment.status != Assignment.Status.REJECTED:
            raise Conflict(
                f"assignment {assignment.pk} is {assignment.status}: only a rejected assignment can be appealed",
                code="not_rejected",
            )
        rejected_at = assignment.rejected_at or now
        if now - rejected_at > APPEAL_WINDOW:
            raise Conflict(
                f"assignment {assignment.pk} was rejected on {rejected_at:%Y-%m-%d}, more than 14 days ago: "
                "it can no longer be appealed",
                code="appeal_window_closed",
            )
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(
                    assignment=assignment,
                    requester_id=assignment.task.requester_id,
                    worker=worker,
                    message=message,
                    rejection_feedback=assignment.feedback,
                    created_at=now,
                )
        except IntegrityError:  # the unique assignment: cannot happen under the lock, but is the rule
            raise Conflict(f"assignment {assignment.pk} was already appealed", code="already_appealed") from None
        emit.appeal_changed("appeal.created", appeal)
    return appeal


def appeal_accept(
    *, requester: Organization, appeal_id: object, reply: str = "", now: datetime | None = None
) -> Appeal:
    """Accept an open appeal of ``requester``'s: in one transaction the appeal is ``accepted``
    and its rejected assignment approved and paid from the available balance
    (``rejection_override``; ``reply``, when not blank, becomes the assignment's feedback), and
    the worker is sent a message saying so. An assignment already approved (its rejection
    overridden otherwise) is paid nothing more.

    ``NotFound`` for an appeal not the requester's; ``Conflict(appeal_already_decided)`` for a
    decided one; ``InsufficientBalance`` (402) or ``Conflict(rejection_override_expired)`` from
    the payment: the appeal then stays open and nothing changes. Records ``appeal.decided``.
    """
    now = now or timezone.now()
    with transaction.atomic():
        appeal, assignment = _lock_open_appeal(requester, appeal_id)
        if assignment.status == Assignment.Status.REJECTED:
            rejection_override(assignment=assignment, feedback=reply, now=now)
        _decide(appeal, status=Appeal.Status.ACCEPTED, reply=reply, now=now)
    return appeal


def appeal_decline(*, requester: Organization, appeal_id: object, reply: str, now: datetime | None = None) -> Appeal:
    """Decline an open appeal of ``requester``'s with ``reply`` (not blank:
    ``inputs.appeals.AppealDecline``): the rejection stands, the worker is sent the reply.
    ``NotFound`` / ``Conflict(appeal_already_decided)`` as ``appeal_accept``. Records
    ``appeal.decided``."""
    now = now or timezone.now()
    with transaction.atomic():
        appeal, _ = _lock_open_appeal(requester, appeal_id)
        _decide(appeal, status=Appeal.Status.DECLINED, reply=reply, now=now)
    return appeal


def appeal_settle_by_override(*, assignment: Assignment, feedback: str, now: datetime) -> None:
    """An open appeal of ``assignment``, whose rejection the requester has just overridden
    without deciding the appeal (``POST /api/v1/assignments/{id}/approve`` with
    ``override_rejection``), is accepted with the override's feedback as its reply: the worker
    is told, and the appeal leaves the requester's open list. Called under the assignment's
    lock, in the override's transaction."""
    appeal = Appeal.objects.filter(assignment=assignment, status=Appeal.Status.OPEN).first()
    if appeal is not None:
        appeal.assignment = assignment
        _decide(appeal, status=Appeal.Status.ACCEPTED, reply=feedback, now=now)


def _lock_open_appeal(requester: Organization, appeal_id: object) -> tuple[Appeal, Assignment]:
    """The requester's appeal and its assignment, the assignment's row locked (call inside a
    transaction); ``Conflict(appeal_already_decided)`` unless the appeal is open, read again
    under the lock."""
    appeal = access_appeal_as_requester(requester, appeal_id)
    assignment = access_assignment_as_requester(requester, appeal.assignment_id, lock=True)
    appeal.refresh_from_db(fields=["status", "reply", "decided_at"])
    if appeal.status != Appeal.Status.OPEN:
        raise Conflict(f"appeal {appeal.pk} was already {appeal.status}", code="appeal_already_decided")
    appeal.assignment = assignment
    return appeal, assignment


def _decide(appeal: Appeal, *, status: str, reply: str, now: datetime) -> None:
    """Compare-and-set the open ``appeal`` to ``status``, tell the worker, record the event."""
    changed = Appeal.objects.filter(pk=appeal.pk, status=Appeal.Status.OPEN).update(
        status=status, reply=reply, decided_at=now
    )
    if not changed:
        raise Conflict(f"appeal {appeal.pk} was already decided", code="appeal_already_decided")
    appeal.status, appeal.reply, appeal.decided_at = status, reply, now
    task = appeal.assignment.task
    if status == Appeal.Status.ACCEPTED:
        subject = "Your appeal was accepted"
        outcome = (
            f"was accepted: the assignment is approved and its reward of ${format_micros(task.reward_micros)} is paid."
        )
    else:
        subject = "Your appeal was declined"
        outcome = "was declined: the rejection stands."
    text = f'Your appeal of your answer to "{task.title}" (assignment {appeal.assignment_id}) {outcome}'
    if reply.strip():
        text += f"\n\nThe requester's reply: {reply}"
    worker_message_write(requester_id=appeal.requester_id, worker_id=appeal.worker_id, subject=subject, message=text)
    emit.appeal_changed("appeal.decided", appeal)


__all__ = ["appeal_accept", "appeal_create", "appeal_decline", "appeal_settle_by_override"]
