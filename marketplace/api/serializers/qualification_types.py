"""Qualification types, their grants and the requirements that name them (``/api/v1/qualification-types``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...models import QualificationGrant, QualificationType


class QualificationRequirementSerializer(serializers.Serializer):
    qualification_type_id = serializers.IntegerField()
    comparator = serializers.ChoiceField(choices=[">=", "<=", "==", "!=", "exists", "in"])
    values = serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        help_text="integers, or ISO 3166-1 alpha-2 codes for the locale type: one value for >=, <=, ==, != "
        "(the value itself or a one-item list), one or more for in, left out for exists",
    )


class AutoGrantSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=["approval_rate", "accuracy", "approved_count"])
    comparator = serializers.ChoiceField(choices=[">=", "<=", "==", "!="])
    threshold = serializers.IntegerField()


class TestQuestionSerializer(serializers.Serializer):
    input = serializers.JSONField()
    answer = serializers.JSONField(help_text="the answer key; never shown to workers")


class QualificationTestSpecSerializer(serializers.Serializer):
    questions = TestQuestionSerializer(many=True)
    passing_score = serializers.IntegerField(min_value=1, max_value=100, help_text="percent")
    retry_delay_seconds = serializers.IntegerField(min_value=0, default=86400)


class QualificationTypeSerializer(serializers.ModelSerializer):
    owner_id = serializers.IntegerField(allow_null=True)
    auto_grant = serializers.SerializerMethodField()
    test = serializers.SerializerMethodField()

    class Meta:
        model = QualificationType
        fields = [
            "id",
            "name",
            "description",
            "owner_id",
            "system_key",
            "grant_method",
            "value_kind",
            "auto_grant",
            "test",
            "is_active",
            "created_at",
            "deactivated_at",
        ]

    @staticmethod
    @extend_schema_field(AutoGrantSerializer(allow_null=True))
    def get_auto_grant(qualification_type: QualificationType) -> dict | None:
        if qualification_type.grant_method != QualificationType.GrantMethod.AUTO:
            return None
        return {
            "metric": qualification_type.auto_metric,
            "comparator": qualification_type.auto_comparator,
            "threshold": qualification_type.auto_threshold,
        }

    @staticmethod
    @extend_schema_field(QualificationTestSpecSerializer(allow_null=True))
    def get_test(qualification_type: QualificationType) -> dict | None:
        if qualification_type.grant_method != QualificationType.GrantMethod.TEST:
            return None
        return {
            "questions": qualification_type.test_questions,
            "passing_score": qualification_type.test_passing_score,
            "retry_delay_seconds": qualification_type.test_retry_delay_seconds,
        }


class QualificationGrantSerializer(serializers.ModelSerializer):
    qualification_type_id = serializers.IntegerField()
    worker_id = serializers.IntegerField()

    class Meta:
        model = QualificationGrant
        fields = ["qualification_type_id", "worker_id", "value", "source", "granted_at", "updated_at"]
