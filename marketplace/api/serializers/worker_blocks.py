"""Worker blocks (``/api/v1/worker-blocks``)."""

from __future__ import annotations

from rest_framework import serializers

from ...models import WorkerBlock


class WorkerBlockSerializer(serializers.ModelSerializer):
    worker_id = serializers.IntegerField()

    class Meta:
        model = WorkerBlock
        fields = ["id", "worker_id", "reason", "created_at", "updated_at"]
