"""Tasks (``/api/v1/tasks``): the task, with its assignments, and the documented create body."""

from __future__ import annotations

from rest_framework import serializers

from ...models import Batch, Task
from .assignments import AssignmentSerializer
from .fields import MoneyField
from .qualification_types import QualificationRequirementSerializer


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


class TaskCreateSerializer(serializers.Serializer):
    """Documents ``POST /api/v1/tasks`` (one object, or a list of up to 1,000)."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False)
    task_type = serializers.ChoiceField(choices=Task.TaskType.choices, default="custom")
    input = serializers.JSONField(required=False)
    answer_schema = serializers.JSONField(required=False, help_text="optional JSON Schema for answers")
    labels = serializers.ListField(child=serializers.CharField(), required=False)
    instructions = serializers.CharField(required=False)
    slots = serializers.IntegerField(min_value=1, max_value=50, default=1)
    reward = serializers.CharField(
        required=False,
        help_text=(
            'USD decimal string, at most 6 fractional digits, e.g. "0.05"; required, except on a vendor '
            "workteam, where it is the offering's price (left out, or equal to it)"
        ),
    )
    assignment_duration_seconds = serializers.IntegerField(min_value=30, max_value=604800, default=3600)
    lifetime_seconds = serializers.IntegerField(min_value=30, max_value=31536000, default=604800)
    auto_approval_delay_seconds = serializers.IntegerField(min_value=0, max_value=2592000, required=False)
    priority = serializers.IntegerField(min_value=0, max_value=100, default=0)
    workteam_id = serializers.IntegerField(required=False, help_text="the public workforce when left out")
    batch_id = serializers.IntegerField(required=False)
    gold_answer = serializers.JSONField(
        required=False, help_text="a known answer: makes this a gold task (never shown to workers; docs/quality.md)"
    )
    quality_rules = serializers.DictField(required=False, help_text="the new batch's quality rules (docs/quality.md)")
    auto_approval_policy = serializers.ChoiceField(
        choices=Batch.AutoApprovalPolicy.choices, required=False, help_text="the new batch's; approve_all when left out"
    )
    qualification_requirements = QualificationRequirementSerializer(
        many=True, required=False, help_text="batch-level: who may take the batch's tasks (docs/qualifications.md)"
    )
