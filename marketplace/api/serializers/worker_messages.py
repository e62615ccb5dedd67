"""Messages to workers (``/api/v1/worker-messages``, ``/api/v1/worker/messages``)."""

from __future__ import annotations

from rest_framework import serializers

from ...models import WorkerMessage


class WorkerMessageSerializer(serializers.ModelSerializer):
    """A message as its worker reads it."""

    requester_id = serializers.IntegerField()
    requester_name = serializers.CharField(source="requester.name")

    class Meta:
        model = WorkerMessage
        fields = ["id", "requester_id", "requester_name", "subject", "message", "created_at"]
