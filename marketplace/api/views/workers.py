"""``/api/v1/workers/<id>/reputation``: the reputation record of a worker who did work for the
requester (docs/quality.md)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from ... import access
from ...selectors.reputation import worker_reputation
from ..base import RequesterAPIView
from ..serializers.workers import ReputationSerializer


class WorkerReputationView(RequesterAPIView):
    @extend_schema(
        responses=ReputationSerializer,
        description="The reputation record of a worker who did work for you (404 otherwise).",
    )
    def get(self, request, worker_id):
        """Read a worker's reputation."""
        worker = access.access_worker_of_requester(self.requester, worker_id)
        return Response(ReputationSerializer(worker_reputation(worker)).data)
