"""``/api/v1/worker-messages``: a requester writes to workers who have worked for it (the
worker reads them at ``/api/v1/worker/messages``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from ...errors import InvalidInput
from ...services.worker_messages import worker_messages_send
from ..base import RequesterAPIView


class WorkerMessagesView(RequesterAPIView):
    @extend_schema(
        request=inline_serializer(
            "WorkerMessageSend",
            {
                "worker_ids": serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=100),
                "subject": serializers.CharField(max_length=200),
                "message": serializers.CharField(max_length=4096),
            },
        ),
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
        data = request.data
        if not isinstance(data, dict):
            raise InvalidInput.for_field("non_field_errors", "the body must be a JSON object")
        unknown = sorted(set(data) - {"worker_ids", "subject", "message"})
        if unknown:
            raise InvalidInput.for_field(unknown[0], "is not a known field")
        sent = worker_messages_send(
            requester=self.requester,
            worker_ids=data.get("worker_ids"),
            subject=data.get("subject", ""),
            message=data.get("message", ""),
        )
        return Response(
            {"worker_ids": sent.sent_to, "subject": data["subject"], "message": data["message"]}, status=201
        )
