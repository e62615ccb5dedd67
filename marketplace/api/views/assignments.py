"""``/api/v1/assignments``: the assignments on a requester's tasks (``?flagged=true`` lists the
answers flagged for review, docs/quality.md), and approving or rejecting one."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from ...errors import InvalidInput
from ...inputs import validate
from ...inputs.settlement import AssignmentApprove, AssignmentReject
from ...models import Assignment
from ...selectors.assignments import requester_assignments
from ...services import assignments
from .. import examples
from ..base import RequesterAPIView
from ..pagination import paginated_response, query_choice, query_int
from ..request_body import body_object
from ..serializers.assignments import AssignmentSerializer

BOOLEAN_QUERY = {"true": True, "1": True, "false": False, "0": False}


class AssignmentsView(RequesterAPIView):
    @extend_schema(
        responses=AssignmentSerializer(many=True),
        parameters=[
            OpenApiParameter("task_id", int, description="only this task's assignments"),
            OpenApiParameter("batch_id", int, description="only this batch's assignments"),
            OpenApiParameter(
                "status", str, enum=Assignment.Status.values, description="only assignments in this status"
            ),
            OpenApiParameter("flagged", bool, description="only answers flagged for review (or not)"),
        ],
        description="Assignments on your tasks, oldest first.",
    )
    def get(self, request):
        """List assignments on your tasks."""
        task_id = query_int(request, "task_id")
        batch_id = query_int(request, "batch_id")
        status = query_choice(request, "status", Assignment.Status.values)
        flagged = request.query_params.get("flagged")
        if flagged is not None and flagged.lower() not in BOOLEAN_QUERY:
            raise InvalidInput.for_field("flagged", "must be true or false")
        queryset = requester_assignments(
            self.requester,
            task_id=task_id,
            batch_id=batch_id,
            status=status,
            flagged=None if flagged is None else BOOLEAN_QUERY[flagged.lower()],
        )
        return paginated_response(request, queryset, lambda assignment: AssignmentSerializer(assignment).data)


class AssignmentApproveView(RequesterAPIView):
    @extend_schema(examples=examples.APPROVE, request=AssignmentApprove, responses=AssignmentSerializer)
    def post(self, request, assignment_id):
        """Approve an answer.

        Pays the price to the worker (or its vendor) and the fee to the platform from the slot's reserve;
        `feedback` is shown to the worker. Approving again is a 200 that pays nothing more. A rejected
        assignment is a 409 `already_settled` unless `override_rejection` is true (within 30 days of the
        rejection, paid from the available balance); one not submitted is a 409 `not_submitted`.
        """
        body = validate(AssignmentApprove, body_object(request) if request.data else {})
        assignment = assignments.assignment_approve(
            requester=self.requester,
            assignment_id=assignment_id,
            feedback=body.feedback,
            override_rejection=body.override_rejection,
        )
        return Response(AssignmentSerializer(assignment).data)


class AssignmentRejectView(RequesterAPIView):
    @extend_schema(examples=examples.REJECT, request=AssignmentReject, responses=AssignmentSerializer)
    def post(self, request, assignment_id):
        """Reject an answer.

        The worker is not paid and the slot's reserve goes back to your available balance; the slot stays used
        (add a slot to replace the answer). Rejecting again is a 200 that changes nothing; an approved
        assignment is a 409 `already_settled`, one not submitted a 409 `not_submitted`.
        """
        body = validate(AssignmentReject, body_object(request) if request.data else {})
        assignment = assignments.assignment_reject(
            requester=self.requester, assignment_id=assignment_id, feedback=body.feedback
        )
        return Response(AssignmentSerializer(assignment).data)
