"""``/api/v1/worker/tasks/next`` and ``/worker/assignments``: claiming work, submitting, returning
and listing a worker's assignments."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from ....errors import InvalidInput
from ....models import Assignment
from ....services import assignments, dispatch
from ...base import WorkerActionAPIView, WorkerAPIView
from ...pagination import paginated_response, query_choice
from ...serializers.assignments import WorkerAssignmentSerializer, WorkerTaskSerializer


class NextTaskView(WorkerActionAPIView):
    @extend_schema(request=None, responses={200: WorkerTaskSerializer, 204: None})
    def post(self, request):
        assignment = dispatch.assignment_claim(worker=self.worker)
        if assignment is None:
            return Response(status=204)
        return Response(WorkerTaskSerializer(assignment).data)


class SubmitView(WorkerActionAPIView):
    @extend_schema(
        request=inline_serializer("Submit", {"answer": serializers.JSONField()}), responses=WorkerAssignmentSerializer
    )
    def post(self, request, assignment_id):
        data = request.data
        if not isinstance(data, dict) or "answer" not in data:
            raise InvalidInput.for_field("answer", "is required")
        assignment = assignments.assignment_submit(
            worker=self.worker, assignment_id=assignment_id, answer=data["answer"]
        )
        return Response(WorkerAssignmentSerializer(assignment).data)


class ReturnView(WorkerActionAPIView):
    @extend_schema(request=None, responses=WorkerAssignmentSerializer)
    def post(self, request, assignment_id):
        assignment = assignments.assignment_return(worker=self.worker, assignment_id=assignment_id)
        return Response(WorkerAssignmentSerializer(assignment).data)


class WorkerAssignmentsView(WorkerAPIView):
    @extend_schema(
        responses=WorkerAssignmentSerializer(many=True),
        parameters=[OpenApiParameter("status", str, enum=Assignment.Status.values)],
    )
    def get(self, request):
        queryset = Assignment.objects.select_related("task").filter(worker=self.worker)
        status = query_choice(request, "status", Assignment.Status.values)
        if status:
            queryset = queryset.filter(status=status)
        return paginated_response(request, queryset, lambda a: WorkerAssignmentSerializer(a).data)
