"""Qualification tests as a worker takes them (``/api/v1/worker/qualification-tests``)."""

from __future__ import annotations

from rest_framework import serializers


class WorkerQualificationTestSerializer(serializers.Serializer):
    """A test as a worker sees it in the list: no questions, no answer key."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    question_count = serializers.IntegerField()
    passing_score = serializers.IntegerField(help_text="percent")
    retry_delay_seconds = serializers.IntegerField()
    held_value = serializers.IntegerField(allow_null=True, help_text="your value when you hold the qualification")
    retry_at = serializers.DateTimeField(allow_null=True, help_text="when you may take the test again, if not now")


class WorkerQuestionSerializer(serializers.Serializer):
    input = serializers.JSONField()


class WorkerQualificationTestDetailSerializer(WorkerQualificationTestSerializer):
    questions = WorkerQuestionSerializer(many=True, help_text="inputs only, in order")


class QualificationTestResultSerializer(serializers.Serializer):
    score = serializers.IntegerField(help_text="percent of answers matching the key, rounded down")
    passed = serializers.BooleanField()
    value = serializers.IntegerField(allow_null=True, help_text="the value granted (the score) when passed")
    retry_at = serializers.DateTimeField(allow_null=True, help_text="when you may try again after a fail")
