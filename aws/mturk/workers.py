"""Mechanical Turk's operations on workers: blocks (``worker_block``) and messages
(``worker_messages_send``, as ``POST /api/v1/worker-messages``). ``WorkerId`` is the
Groundwork worker id as a decimal string."""

from __future__ import annotations

from typing import Any

from marketplace.access import access_worker, access_worker_block
from marketplace.inputs import validate
from marketplace.inputs.blocks import WorkerBlockCreate
from marketplace.inputs.worker_messages import WorkerMessageSend
from marketplace.models import WorkerBlock
from marketplace.services.blocks import worker_block, worker_unblock
from marketplace.services.worker_messages import worker_messages_send

from ..calls import AwsCall
from ..protocol import paginate
from ..registry import operation
from .shapes import int_id


@operation("mturk", "CreateWorkerBlock")
def create_worker_block(call: AwsCall) -> dict[str, Any]:
    worker = access_worker(int_id(call.params["WorkerId"], "WorkerId"))
    block = validate(WorkerBlockCreate, {"worker_id": worker.pk, "reason": call.params["Reason"]})
    worker_block(requester=call.organization, worker=worker, reason=block.reason)
    return {}


@operation("mturk", "DeleteWorkerBlock")
def delete_worker_block(call: AwsCall) -> dict[str, Any]:
    worker_unblock(block=access_worker_block(call.organization, int_id(call.params["WorkerId"], "WorkerId")))
    return {}


@operation("mturk", "ListWorkerBlocks")
def list_worker_blocks(call: AwsCall) -> dict[str, Any]:
    rows, next_token = paginate(call, WorkerBlock.objects.filter(requester=call.organization).order_by("id"))
    return {
        "WorkerBlocks": [{"WorkerId": str(block.worker_id), "Reason": block.reason} for block in rows],
        "NumResults": len(rows),
        "NextToken": next_token,
    }


@operation("mturk", "NotifyWorkers")
def notify_workers(call: AwsCall) -> dict[str, Any]:
    """Writes to every named worker who worked for the caller; each other one is a
    ``HardFailure`` in ``NotifyWorkersFailureStatuses`` (as MTurk reports a worker it cannot
    reach), and the call still succeeds. Rate-limited as the REST endpoint."""
    given = call.params["WorkerIds"]
    ids = [int(value) for value in given if value.isdigit() and len(value) <= 18]
    failures = [
        {"WorkerId": value, "NotifyWorkersFailureCode": "HardFailure", "NotifyWorkersFailureMessage": "no such worker"}
        for value in given
        if not (value.isdigit() and len(value) <= 18)
    ]
    if ids:
        body = validate(
            WorkerMessageSend,
            {"worker_ids": ids, "subject": call.params["Subject"], "message": call.params["MessageText"]},
        )
        sent = worker_messages_send(
            requester=call.organization,
            worker_ids=body.worker_ids,
            subject=body.subject,
            message=body.message,
            skip_ineligible=True,
        )
        failures += [
            {"WorkerId": str(worker_id), "NotifyWorkersFailureCode": "HardFailure", "NotifyWorkersFailureMessage": why}
            for worker_id, why in sent.refused.items()
        ]
    return {"NotifyWorkersFailureStatuses": failures}
