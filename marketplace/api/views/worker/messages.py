"""``/api/v1/worker/messages``: a worker's inbox of messages from requesters."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from ....models import WorkerMessage
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
        queryset = WorkerMessage.objects.select_related("requester").filter(worker=self.worker)
        return paginated_response(request, queryset, lambda m: WorkerMessageSerializer(m).data)
