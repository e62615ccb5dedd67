"""Assignments as a requester sees them, and as the worker holding them does."""

from __future__ import annotations

from rest_framework import serializers

from ...models import Assignment, Task
from ...money import format_micros
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

    def to_representation(self, assignment: Assignment) -> dict:
        """The fields above, read directly: DRF's walk over them (each field's source looked up
        through ``get_attribute``) is most of the cost of this payload, made once per claim on
        the hot paths. A test holds it equal to DRF's own."""
        task = assignment.task
        return {
            "assignment_id": int(assignment.id),
            "task_id": int(assignment.task_id),
            "task_type": str(task.task_type),
            "title": str(task.title),
            "description": str(task.description),
            "input": worker_input(task),
            "labels": [None if label is None else str(label) for label in task.labels],
            "instructions": str(task.instructions),
            "answer_schema": task.answer_schema,
            "reward": format_micros(task.reward_micros),
            "deadline": self.fields["deadline"].to_representation(assignment.deadline),
        }


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
