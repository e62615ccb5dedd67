"""``/api/v1/worker/messages``: a worker's inbox of messages from requesters."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from ....selectors.workers import worker_inbox
from ...base import WorkerAPIView
from ...pagination import paginated_response
from ...serializers.worker_messages import WorkerMessageSerializer


class WorkerInboxView(WorkerAPIView):
    @extend_schema(
        responses=WorkerMessageSerializer(many=True),
        description="Messages from requesters you have worked for, oldest first (cursor pages).",
    )
    def get(self, request):
        """Read your messages."""
        queryset = worker_inbox(self.worker)
        return paginated_response(request, queryset, lambda m: WorkerMessageSerializer(m).data)
