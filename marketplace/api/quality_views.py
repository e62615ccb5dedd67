"""Requester REST for quality control (docs/quality.md): a worker's reputation, and the
requester's assignments (``?flagged=true`` lists the answers flagged for review)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from .. import access
from ..errors import InvalidInput
from ..models import Assignment
from ..selectors.reputation import worker_reputation
from .base import RequesterAPIView
from .pagination import paginated_response, query_choice, query_int
from .serializers import AssignmentSerializer, ReputationSerializer

BOOLEAN_QUERY = {"true": True, "1": True, "false": False, "0": False}


class WorkerReputationView(RequesterAPIView):
    @extend_schema(
        responses=ReputationSerializer,
        description="The reputation record of a worker who did work for you (404 otherwise).",
    )
    def get(self, request, worker_id):
        worker = access.access_worker_of_requester(self.requester, worker_id)
        return Response(ReputationSerializer(worker_reputation(worker)).data)


class AssignmentsView(RequesterAPIView):
    @extend_schema(
        responses=AssignmentSerializer(many=True),
        parameters=[
            OpenApiParameter("task_id", int),
            OpenApiParameter("batch_id", int),
            OpenApiParameter("status", str, enum=Assignment.Status.values),
            OpenApiParameter("flagged", bool, description="only answers flagged for review (or not)"),
        ],
        description="Assignments on your tasks, oldest first.",
    )
    def get(self, request):
        queryset = Assignment.objects.filter(task__requester=self.requester)
        for name in ("task_id", "batch_id"):
            value = query_int(request, name)
            if value is not None:
                queryset = queryset.filter(**{"task_id" if name == "task_id" else "task__batch_id": value})
        status = query_choice(request, "status", Assignment.Status.values)
        if status:
            queryset = queryset.filter(status=status)
        flagged = request.query_params.get("flagged")
        if flagged is not None:
            if flagged.lower() not in BOOLEAN_QUERY:
                raise InvalidInput.for_field("flagged", "must be true or false")
            queryset = (
                queryset.exclude(flagged_reason="")
                if BOOLEAN_QUERY[flagged.lower()]
                else queryset.filter(flagged_reason="")
            )
        return paginated_response(request, queryset, lambda assignment: AssignmentSerializer(assignment).data)
