"""``/api/v1/worker/tasks/next`` and ``/worker/assignments``: claiming work, submitting, returning
and listing a worker's assignments."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from ....inputs import validate
from ....inputs.assignments import AssignmentSubmit
from ....models import Assignment
from ....selectors.assignments import worker_assignments
from ....services import assignments, dispatch
from ... import examples
from ...base import WorkerActionAPIView, WorkerAPIView
from ...pagination import paginated_response, query_choice
from ...serializers.assignments import WorkerAssignmentSerializer, WorkerTaskSerializer


class NextTaskView(WorkerActionAPIView):
    @extend_schema(examples=examples.CLAIM, request=None, responses={200: WorkerTaskSerializer, 204: None})
    def post(self, request):
        """Claim the next task.

        200 with an assignment of the task dispatch offers you, or **204 with an empty body** when nothing is
        open for you: check the status before parsing. Holding the most live assignments allowed is a 409
        `too_many_live_assignments`. Rate-limited per worker.
        """
        assignment = dispatch.assignment_claim(worker=self.worker)
        if assignment is None:
            return Response(status=204)
        return Response(WorkerTaskSerializer(assignment).data)


class SubmitView(WorkerActionAPIView):
    @extend_schema(
        examples=examples.SUBMIT,
        request=AssignmentSubmit,
        responses=WorkerAssignmentSerializer,
    )
    def post(self, request, assignment_id):
        """Submit an answer.

        The `answer` must match the task's `answer_schema` (400 naming `answer` otherwise). Submitting the
        identical answer again is a 200; a different one is a 409 `already_submitted`, and after the deadline
        a 409 `deadline_passed`.
        """
        # A body that is not an object has no answer: refused as one (as it always was).
        submit = validate(AssignmentSubmit, request.data if isinstance(request.data, dict) else {})
        assignment = assignments.assignment_submit(
            worker=self.worker, assignment_id=assignment_id, answer=submit.answer
        )
        return Response(WorkerAssignmentSerializer(assignment).data)


class ReturnView(WorkerActionAPIView):
    @extend_schema(request=None, responses=WorkerAssignmentSerializer)
    def post(self, request, assignment_id):
        """Return an assignment.

        Give the task back unanswered: its slot is offered again at once. Returning again is a 200 that
        changes nothing; a submitted assignment is a 409 `already_submitted`.
        """
        assignment = assignments.assignment_return(worker=self.worker, assignment_id=assignment_id)
        return Response(WorkerAssignmentSerializer(assignment).data)


class WorkerAssignmentsView(WorkerAPIView):
    @extend_schema(
        responses=WorkerAssignmentSerializer(many=True),
        parameters=[
            OpenApiParameter(
                "status", str, enum=Assignment.Status.values, description="only assignments in this status"
            )
        ],
    )
    def get(self, request):
        """List your assignments.

        Your assignments, oldest first (`status` keeps one status), each with its task's title, type and
        reward and when it is approved automatically.
        """
        status = query_choice(request, "status", Assignment.Status.values)
        queryset = worker_assignments(self.worker, status=status)
        return paginated_response(request, queryset, lambda a: WorkerAssignmentSerializer(a).data)
