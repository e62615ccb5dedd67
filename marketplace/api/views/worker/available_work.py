"""``/api/v1/worker/available-work``: the work a worker may take now, grouped."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from ....selectors.workers import worker_available_work
from ....services.dispatch import worker_eligibility
from ...base import WorkerAPIView
from ...pagination import query_limit
from ...serializers.workers import AvailableWorkSerializer


class AvailableWorkView(WorkerAPIView):
    @extend_schema(
        parameters=[OpenApiParameter("limit", int, description="at most this many groups (default 100, up to 1,000)")],
        responses=inline_serializer(
            "AvailableWorkList",
            {
                "results": AvailableWorkSerializer(many=True),
                "next": serializers.CharField(allow_null=True, help_text="always null: the groups fit one page"),
            },
        ),
        description="Work available to you now, per workteam and requester (the groups with the most open tasks "
        "first), by the same rules as the claim: your workteams, blocks, qualification requirements "
        "and quality stops; tasks you held before are not counted.",
    )
    def get(self, request):
        """List the work you may take now."""
        limit = query_limit(request, default=100)
        now = timezone.now()
        eligibility = worker_eligibility(self.worker, now=now)
        groups = worker_available_work(self.worker, eligibility=eligibility, now=now, limit=limit)
        return Response({"results": AvailableWorkSerializer(groups, many=True).data, "next": None})
