"""Mechanical Turk's assignment operations over Groundwork's assignments (``AssignmentId`` =
assignment id). MTurk knows only submitted, approved and rejected assignments: ones still in
progress, returned or expired are not shown. ``Answer`` is the answer as ``QuestionFormAnswers``
XML (``marketplace.questions``)."""

from __future__ import annotations

from typing import Any

from marketplace.access import access_assignment_as_requester
from marketplace.models import Assignment
from marketplace.services.assignments import assignment_approve, assignment_reject

from ..calls import AwsCall
from ..errors import RequestError
from ..protocol import paginate
from ..registry import operation
from .shapes import ASSIGNMENT_STATUSES, assignment_out, hits_out, int_id, task_of

STATUSES_BY_NAME = {name: status for status, name in ASSIGNMENT_STATUSES.items()}


def _assignment_of(call: AwsCall) -> Assignment:
    return access_assignment_as_requester(call.organization, int_id(call.params["AssignmentId"], "AssignmentId"))


@operation("mturk", "ListAssignmentsForHIT")
def list_assignments_for_hit(call: AwsCall) -> dict[str, Any]:
    task = task_of(call.organization, call.params["HITId"])
    statuses = [STATUSES_BY_NAME[name] for name in call.params.get("AssignmentStatuses", ASSIGNMENT_STATUSES.values())]
    rows, next_token = paginate(call, Assignment.objects.filter(task=task, status__in=statuses).order_by("id"))
    return {"Assignments": [assignment_out(a) for a in rows], "NumResults": len(rows), "NextToken": next_token}


@operation("mturk", "GetAssignment")
def get_assignment(call: AwsCall) -> dict[str, Any]:
    assignment = _assignment_of(call)
    if assignment.status not in ASSIGNMENT_STATUSES:
        raise RequestError(
            f"Assignment {assignment.pk} has not been submitted (it is {assignment.status})",
            turk_error_code="AWS.MechanicalTurk.AssignmentNotSubmitted",
        )
    task = task_of(call.organization, str(assignment.task_id))
    return {"Assignment": assignment_out(assignment), "HIT": hits_out(call.organization, [task])[0]}


@operation("mturk", "ApproveAssignment")
def approve_assignment(call: AwsCall) -> dict[str, Any]:
    """``assignment_approve``; ``OverrideRejection`` approves a rejected one within 30 days,
    paid from the available balance (as REST's ``override_rejection``)."""
    assignment_approve(
        requester=call.organization,
        assignment_id=int_id(call.params["AssignmentId"], "AssignmentId"),
        feedback=call.params.get("RequesterFeedback", ""),
        override_rejection=call.params.get("OverrideRejection", False),
    )
    return {}


@operation("mturk", "RejectAssignment")
def reject_assignment(call: AwsCall) -> dict[str, Any]:
    assignment_reject(
        requester=call.organization,
        assignment_id=int_id(call.params["AssignmentId"], "AssignmentId"),
        feedback=call.params["RequesterFeedback"],
    )
    return {}
