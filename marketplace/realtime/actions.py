"""What a worker socket's messages do, run on database threads (``threads``): the same
services as REST, under the same per-worker rate limit (``marketplace.ratelimit``).

Claims and submits come in batches (``batching``): each ``*_many`` takes the requests of
distinct workers (claims) or assignments (submits) and returns one result per request, in
order: a value to send, or the ``DomainError`` to answer with.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..api.serializers.assignments import WorkerTaskSerializer
from ..models import Assignment, Worker
from ..ratelimit import worker_action_take, worker_actions_take
from ..selectors.workers import worker_live_assignments
from ..services import assignments, dispatch

# One serializer, reused: building its fields is most of its cost; ``to_representation`` only reads them.
_TASK = WorkerTaskSerializer()


def task_payload(assignment: Assignment) -> dict:
    """The ``task`` message for an assignment (the fields of ``POST tasks/next``)."""
    return {"type": "task", **_TASK.to_representation(assignment)}


@dataclass(frozen=True)
class ClaimRequest:
    worker: Worker
    count_against_limit: bool  # a client's ``ready`` counts against the action rate; a wake-up does not

    @property
    def batch_key(self) -> int:
        return self.worker.pk


def claim_many(requests: list[ClaimRequest]) -> list[dict | None | Exception]:
    """One claim for each request (of distinct workers) in one call of the claim service: the
    ``task`` payload, ``None`` (nothing open) or the error to send."""
    results: list[dict | None | Exception] = [None] * len(requests)
    counted = [index for index, request in enumerate(requests) if request.count_against_limit]
    refusals = dict(zip(counted, worker_actions_take([requests[index].worker.pk for index in counted]), strict=True))
    claimants: list[int] = []
    for index in range(len(requests)):
        refusal = refusals.get(index)
        if refusal is not None:
            results[index] = refusal
        else:
            claimants.append(index)
    if claimants:
        claimed = dispatch.assignments_claim(workers=[requests[index].worker for index in claimants])
        for index in claimants:
            outcome = claimed[requests[index].worker.pk]
            results[index] = task_payload(outcome) if isinstance(outcome, Assignment) else outcome
    return results


@dataclass(frozen=True)
class SubmitRequest:
    worker: Worker
    assignment_id: int
    answer: object

    @property
    def batch_key(self) -> int:
        return self.assignment_id


def submit_many(requests: list[SubmitRequest]) -> list[None | Exception]:
    """Each answer (to distinct assignments) through one call of the submit service: ``None``
    when it is stored (or was already), else the error to send (a ``DomainError``; anything
    else is a bug, sent to that socket alone as ``server_error``)."""
    results: list[None | Exception] = [None] * len(requests)
    submissions: list[tuple[int, assignments.Submission]] = []
    refusals = worker_actions_take([request.worker.pk for request in requests])
    for index, (request, refusal) in enumerate(zip(requests, refusals, strict=True)):
        if refusal is not None:
            results[index] = refusal
        else:
            submissions.append((index, assignments.Submission(request.worker, request.assignment_id, request.answer)))
    if submissions:
        outcomes = assignments.assignments_submit(submissions=[submission for _, submission in submissions])
        for (index, _), outcome in zip(submissions, outcomes, strict=True):
            results[index] = outcome if isinstance(outcome, Exception) else None
    return results


def return_one(worker: Worker, assignment_id: int) -> None:
    """Give a live assignment back (raises the ``DomainError`` to answer with)."""
    worker_action_take(worker.pk)
    assignments.assignment_return(worker=worker, assignment_id=assignment_id)


def live_task_payloads(worker: Worker) -> list[dict]:
    """A ``task`` message for each of the worker's live assignments (re-sent on connect)."""
    return [task_payload(assignment) for assignment in worker_live_assignments(worker)]


def workteam_ids(worker: Worker) -> set[int]:
    """The workteams whose hints concern this worker's socket."""
    return set(dispatch.eligible_workteam_ids(worker))
