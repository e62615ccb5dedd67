"""Assignments as a requester sees them, and as the worker holding them does."""

from __future__ import annotations

from rest_framework import serializers

from ...models import Assignment, Task
from ...task_types import worker_input
from .fields import MoneyField


class AssignmentSerializer(serializers.ModelSerializer):
    task_id = serializers.IntegerField()
    worker_id = serializers.IntegerField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "task_id",
            "worker_id",
            "status",
            "answer",
            "feedback",
            "accepted_at",
            "deadline",
            "submitted_at",
            "auto_approve_at",
            "approved_at",
            "rejected_at",
            "returned_at",
            "expired_at",
            "gold_correct",
            "flagged_reason",
        ]


class WorkerInputField(serializers.JSONField):
    # source="*": DRF hands over the whole task, not the JSON value JSONField's signature expects
    def to_representation(self, task: Task) -> object:  # type: ignore[override]
        return worker_input(task)


class WorkerTaskSerializer(serializers.Serializer):
    """What a worker receives for an assignment (``tasks/next`` and websocket ``task``)."""

    assignment_id = serializers.IntegerField(source="id")
    task_id = serializers.IntegerField()
    task_type = serializers.CharField(source="task.task_type")
    title = serializers.CharField(source="task.title")
    description = serializers.CharField(source="task.description")
    input = WorkerInputField(
        source="task",
        help_text="the task's input as this worker may see it, made when "
        "offered (for example a presigned `source-url`)",
    )
    labels = serializers.ListField(source="task.labels", child=serializers.CharField())
    instructions = serializers.CharField(source="task.instructions")
    answer_schema = serializers.JSONField(source="task.answer_schema")
    reward = MoneyField(source="task.reward_micros")
    deadline = serializers.DateTimeField()


class WorkerAssignmentSerializer(serializers.ModelSerializer):
    task_id = serializers.IntegerField()
    requester_id = serializers.IntegerField(source="task.requester_id", help_text="whose task: its public profile")
    title = serializers.CharField(source="task.title")
    task_type = serializers.CharField(source="task.task_type")
    reward = MoneyField(source="task.reward_micros")

    class Meta:
        model = Assignment
        fields = [
            "id",
            "task_id",
            "requester_id",
            "title",
            "task_type",
            "reward",
            "status",
            "answer",
            "feedback",
            "accepted_at",
            "deadline",
            "submitted_at",
            "auto_approve_at",
            "approved_at",
            "rejected_at",
            "returned_at",
            "expired_at",
        ]
