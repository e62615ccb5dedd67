"""Output shapes of the API (also what the OpenAPI document shows) and documented inputs."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import ApiKey, Assignment, Batch, Invitation, Task, Worker, Workteam
from ..money import format_micros
from ..task_types import worker_input
from .qualification_serializers import QualificationRequirementSerializer


@extend_schema_field(serializers.CharField(help_text='USD decimal string, e.g. "0.05"'))
class MoneyField(serializers.Field):
    def to_representation(self, value: int) -> str:
        return format_micros(value)


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


class BatchSerializer(serializers.ModelSerializer):
    workteam_id = serializers.IntegerField()
    tasks = serializers.DictField(child=serializers.IntegerField(), help_text="task counts by status")
    assignments = serializers.DictField(child=serializers.IntegerField(), help_text="assignment counts by status")
    on_hold = MoneyField(source="on_hold_micros", help_text="reserved in the batch's escrow")
    fee_rate = serializers.CharField(help_text='the platform fee rate fixed at posting, such as "0.2"')
    fee_minimum = MoneyField(source="fee_minimum_micros")
    qualification_requirements = QualificationRequirementSerializer(many=True)

    class Meta:
        model = Batch
        fields = [
            "id",
            "workteam_id",
            "auto_approval_delay_seconds",
            "auto_approval_policy",
            "quality_rules",
            "qualification_requirements",
            "created_at",
            "tasks",
            "assignments",
            "on_hold",
            "fee_rate",
            "fee_minimum",
        ]


class WorkteamSerializer(serializers.ModelSerializer):
    owner_id = serializers.IntegerField(allow_null=True)
    member_count = serializers.IntegerField()

    class Meta:
        model = Workteam
        fields = ["id", "name", "kind", "owner_id", "member_count", "created_at"]


class MemberSerializer(serializers.Serializer):
    worker_id = serializers.IntegerField(source="worker.id")
    username = serializers.CharField(source="worker.username")
    joined_at = serializers.DateTimeField()


class InvitationSerializer(serializers.ModelSerializer):
    workteam_id = serializers.IntegerField()
    workteam_name = serializers.CharField(source="workteam.name")
    worker_id = serializers.IntegerField()

    class Meta:
        model = Invitation
        fields = [
            "id",
            "workteam_id",
            "workteam_name",
            "worker_id",
            "status",
            "created_at",
            "accepted_at",
            "revoked_at",
        ]


class ApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "aws_access_key_id", "created_at", "revoked_at", "last_used_at"]
        extra_kwargs = {
            "aws_access_key_id": {
                "help_text": "the AWS-style access key id for the AWS-compatible endpoint (docs/aws.md); "
                "null for keys made before key pairs existed"
            }
        }


SECRET_REPLAYED = "null when an Idempotency-Key replays the response: a secret is shown once"


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(allow_null=True, help_text=f"the secret, shown only here ({SECRET_REPLAYED})")
    aws_secret_access_key = serializers.CharField(
        allow_null=True,
        help_text="the AWS-style secret access key paired with aws_access_key_id, for Signature Version 4 "
        f"at /aws/ (docs/aws.md); shown only here ({SECRET_REPLAYED})",
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key", "aws_secret_access_key"]


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
    title = serializers.CharField(source="task.title")
    task_type = serializers.CharField(source="task.task_type")
    reward = MoneyField(source="task.reward_micros")

    class Meta:
        model = Assignment
        fields = [
            "id",
            "task_id",
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


class WorkerCredentialsSerializer(serializers.Serializer):
    worker_id = serializers.IntegerField()
    token = serializers.CharField(allow_null=True, help_text=f"the worker token ({SECRET_REPLAYED})")


class WorkerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Worker
        fields = ["id", "username", "created_at"]


class GoldRecordSerializer(serializers.Serializer):
    answered = serializers.IntegerField()
    correct = serializers.IntegerField()
    accuracy = serializers.FloatField(allow_null=True, help_text="percent")


class EstimatedAccuracySerializer(serializers.Serializer):
    accuracy = serializers.FloatField(allow_null=True, help_text="percent, answers-weighted over batches")
    answers = serializers.IntegerField()


class ScoreSerializer(serializers.Serializer):
    accuracy = serializers.FloatField(allow_null=True, help_text="the combined score, percent")
    low = serializers.FloatField(help_text="95% interval, percent")
    high = serializers.FloatField(help_text="95% interval, percent")
    evidence = serializers.FloatField(help_text="effective trials behind the score")


class ReputationSerializer(serializers.Serializer):
    """A worker's reputation record (docs/quality.md)."""

    worker_id = serializers.IntegerField()
    claimed = serializers.IntegerField()
    submitted = serializers.IntegerField()
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    returned = serializers.IntegerField()
    expired = serializers.IntegerField()
    approval_rate = serializers.FloatField(allow_null=True, help_text="percent of reviewed answers approved")
    gold = GoldRecordSerializer()
    estimated = EstimatedAccuracySerializer()
    score = ScoreSerializer()
