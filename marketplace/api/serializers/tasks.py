"""Tasks (``/api/v1/tasks``): the task, with its assignments, and the documented create body."""

from __future__ import annotations

from rest_framework import serializers

from ...models import Task
from .assignments import AssignmentSerializer
from .fields import MoneyField


class TaskSerializer(serializers.ModelSerializer):
    batch_id = serializers.IntegerField()
    workteam_id = serializers.IntegerField()
    reward = MoneyField(source="reward_micros")
    fee = MoneyField(source="fee_micros", help_text="the platform fee per assignment, fixed at posting")
    auto_approval_delay_seconds = serializers.IntegerField(source="batch.auto_approval_delay_seconds")

    class Meta:
        model = Task
        fields = [
            "id",
            "batch_id",
            "workteam_id",
            "status",
            "title",
            "description",
            "task_type",
            "input",
            "answer_schema",
            "labels",
            "gold_answer",
            "instructions",
            "slots",
            "slots_used",
            "slots_submitted",
            "reward",
            "fee",
            "assignment_duration_seconds",
            "lifetime_seconds",
            "auto_approval_delay_seconds",
            "priority",
            "created_at",
            "expires_at",
            "closed_at",
        ]


class TaskDetailSerializer(TaskSerializer):
    assignments = AssignmentSerializer(many=True, source="ordered_assignments")

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "assignments"]
