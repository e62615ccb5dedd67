"""Appeals as the requester decides them (``/api/v1/appeals``), as the worker follows them
(``/api/v1/worker/appeals``), and a requester's public profile (``/api/v1/worker/requesters``)."""

from __future__ import annotations

from rest_framework import serializers

from ...models import Appeal
from .fields import MoneyField

COMMON_FIELDS = [
    "id",
    "assignment_id",
    "task_id",
    "status",
    "message",
    "rejection_feedback",
    "reply",
    "created_at",
    "decided_at",
]


class AppealSerializer(serializers.ModelSerializer):
    """An appeal as its requester sees it: the worker's message and the answer it defends."""

    assignment_id = serializers.IntegerField()
    task_id = serializers.IntegerField(source="assignment.task_id")
    task_title = serializers.CharField(source="assignment.task.title")
    worker_id = serializers.IntegerField()
    answer = serializers.JSONField(source="assignment.answer", help_text="the answer the rejection refused")
    rejected_at = serializers.DateTimeField(source="assignment.rejected_at", allow_null=True)
    reward = MoneyField(source="assignment.task.reward_micros")

    class Meta:
        model = Appeal
        fields = [*COMMON_FIELDS, "task_title", "worker_id", "answer", "rejected_at", "reward"]


class WorkerAppealSerializer(serializers.ModelSerializer):
    """An appeal as the worker who made it follows it."""

    assignment_id = serializers.IntegerField()
    task_id = serializers.IntegerField(source="assignment.task_id")
    title = serializers.CharField(source="assignment.task.title")
    requester_id = serializers.IntegerField()
    requester_name = serializers.CharField(source="requester.name")
    reward = MoneyField(source="assignment.task.reward_micros")

    class Meta:
        model = Appeal
        fields = [*COMMON_FIELDS, "title", "requester_id", "requester_name", "reward"]


class RequesterProfileSerializer(serializers.Serializer):
    """``selectors.appeals.RequesterProfile``: a requester's public figures."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    member_since = serializers.DateTimeField()
    appeals_received = serializers.IntegerField(help_text="appeals of its rejections, every status")
    appeals_accepted = serializers.IntegerField()
    appeals_declined = serializers.IntegerField()
    appeals_open = serializers.IntegerField()
    assignments_approved = serializers.IntegerField(help_text="its assignments approved (now)")
    assignments_rejected = serializers.IntegerField(help_text="its assignments rejected (now)")
    approval_rate = serializers.FloatField(
        allow_null=True, help_text="approved / (approved + rejected), null before any is settled"
    )
