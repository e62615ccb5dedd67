"""Requesters' blocks on workers. A blocked worker is never offered the blocker's tasks
(``dispatch.eligible_tasks``); its live assignments stay submittable (blocking never throws
work away), and what it already submitted is settled as usual."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from ..models import Organization, Worker, WorkerBlock

MAX_REASON_LENGTH = 1000


def worker_block(*, requester: Organization, worker: Worker, reason: str) -> tuple[WorkerBlock, bool]:
    """Block ``worker`` from the requester's work with a ``reason`` (1 to 1,000 characters, as
    ``inputs.blocks.WorkerBlockCreate`` declares).

    Any active worker may be blocked, whether or not it ever worked for this requester (as on
    Mechanical Turk: a requester may keep a known bad actor out before it arrives). Blocking a
    blocked worker again replaces the reason. Returns the block and whether it is new.
    """
    text = reason
    with transaction.atomic():
        updated = WorkerBlock.objects.filter(requester=requester, worker=worker).update(reason=text)
        if updated:
            return WorkerBlock.objects.get(requester=requester, worker=worker), False
        try:
            with transaction.atomic():
                return WorkerBlock.objects.create(requester=requester, worker=worker, reason=text), True
        except IntegrityError:  # blocked meanwhile by a concurrent call
            WorkerBlock.objects.filter(requester=requester, worker=worker).update(reason=text)
            return WorkerBlock.objects.get(requester=requester, worker=worker), False


def worker_unblock(*, block: WorkerBlock) -> None:
    """Lift a block: the worker is offered the requester's tasks again from its next claim."""
    block.delete()


def requesters_blocking(worker: Worker) -> list[int]:
    """Ids of the requesters blocking this worker (one indexed query)."""
    return list(WorkerBlock.objects.filter(worker=worker).values_list("requester_id", flat=True))
