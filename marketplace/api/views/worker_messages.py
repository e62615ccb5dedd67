"""``/api/v1/worker-messages``: a requester writes to workers who have worked for it (the
worker reads them at ``/api/v1/worker/messages``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from ...inputs import validate
from ...inputs.worker_messages import WorkerMessageSend
from ...services.worker_messages import worker_messages_send
from ..base import RequesterAPIView


class WorkerMessagesView(RequesterAPIView):
    @extend_schema(
        request=WorkerMessageSend,
        responses={
            201: inline_serializer(
                "WorkerMessagesSent",
                {
                    "worker_ids": serializers.ListField(child=serializers.IntegerField()),
                    "subject": serializers.CharField(),
                    "message": serializers.CharField(),
                },
            )
        },
        description="Write to workers who have worked for you (an answer on one of your tasks); "
        "a worker who has not is a 400 naming `worker_ids.<index>`, and nothing is sent. "
        "Rate-limited per requester (429 with `Retry-After`).",
    )
    def post(self, request):
        """Write to workers."""
        body = validate(WorkerMessageSend, request.data)
        sent = worker_messages_send(
            requester=self.requester, worker_ids=body.worker_ids, subject=body.subject, message=body.message
        )
        return Response({"worker_ids": sent.sent_to, "subject": body.subject, "message": body.message}, status=201)
