"""Workers: credentials, reputation records (docs/quality.md) and available work."""

from __future__ import annotations

from rest_framework import serializers

from .fields import SECRET_REPLAYED, MoneyField


class WorkerCredentialsSerializer(serializers.Serializer):
    worker_id = serializers.IntegerField()
    token = serializers.CharField(allow_null=True, help_text=f"the worker token ({SECRET_REPLAYED})")


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


class AvailableWorkSerializer(serializers.Serializer):
    workteam_id = serializers.IntegerField()
    workteam_name = serializers.CharField()
    workteam_kind = serializers.ChoiceField(choices=["public", "private", "vendor"])
    requester_id = serializers.IntegerField()
    requester_name = serializers.CharField()
    open_tasks = serializers.IntegerField(help_text="open tasks of this workteam and requester you may take now")
    title = serializers.CharField(help_text="the title of the task you would be offered first")
    task_type = serializers.CharField(help_text="that task's type")
    reward = MoneyField(source="reward_micros", help_text="that task's reward")
    assignment_duration_seconds = serializers.IntegerField(help_text="time allowed for that task")
