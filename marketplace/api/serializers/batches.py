"""Batches (``/api/v1/batches``)."""

from __future__ import annotations

from rest_framework import serializers

from ...models import Batch
from .fields import MoneyField
from .qualification_types import QualificationRequirementSerializer


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
