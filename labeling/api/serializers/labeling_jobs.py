"""Labeling jobs (``/api/v1/labeling-jobs``): the job, and the documented create body."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.api.serializers.fields import MoneyField
from marketplace.api.serializers.qualification_types import QualificationRequirementSerializer
from marketplace.models import Batch

from ...models import LabelingJob


class LabelCountersSerializer(serializers.Serializer):
    total_labeled = serializers.IntegerField()
    human_labeled = serializers.IntegerField()
    machine_labeled = serializers.IntegerField()
    failed = serializers.IntegerField()
    unlabeled = serializers.IntegerField()


class LabelingJobSerializer(serializers.ModelSerializer):
    workteam_id = serializers.IntegerField()
    batch_id = serializers.IntegerField(allow_null=True)
    reward = MoneyField(source="reward_micros")
    label_counters = serializers.SerializerMethodField()
    stopping_conditions = serializers.SerializerMethodField()
    qualification_requirements = QualificationRequirementSerializer(many=True)

    class Meta:
        model = LabelingJob
        fields = [
            "id",
            "name",
            "status",
            "failure_reason",
            "label_counters",
            "batch_id",
            "answers_saved",
            "output_manifest_uri",
            "label_attribute_name",
            "task_type",
            "input_manifest_uri",
            "output_uri",
            "gold_manifest_uri",
            "label_category_config_uri",
            "label_categories",
            "worker_visible_keys",
            "title",
            "description",
            "instructions",
            "workteam_id",
            "workers_per_object",
            "min_workers_per_object",
            "max_workers_per_object",
            "target_confidence",
            "task_time_limit_seconds",
            "task_availability_lifetime_seconds",
            "auto_approval_delay_seconds",
            "priority",
            "reward",
            "stopping_conditions",
            "quality_rules",
            "auto_approval_policy",
            "qualification_requirements",
            "created_at",
            "ended_at",
        ]

    @staticmethod
    @extend_schema_field(LabelCountersSerializer)
    def get_label_counters(job: LabelingJob) -> dict:
        return job.label_counters

    @staticmethod
    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_stopping_conditions(job: LabelingJob) -> dict:
        conditions = {
            "max_human_labeled_objects": job.max_human_labeled_objects,
            "max_percentage_labeled": job.max_percentage_labeled,
        }
        return {key: value for key, value in conditions.items() if value is not None}


class LabelingJobCreateSerializer(serializers.Serializer):
    """Documents ``POST /api/v1/labeling-jobs`` (see docs/labeling.md)."""

    name = serializers.CharField(max_length=63)
    label_attribute_name = serializers.CharField(max_length=127)
    task_type = serializers.CharField()
    input_manifest_uri = serializers.CharField()
    output_uri = serializers.CharField()
    label_categories = serializers.ListField(child=serializers.CharField(), required=False)
    label_category_config_uri = serializers.CharField(required=False)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False)
    instructions = serializers.CharField(required=False)
    workteam_id = serializers.IntegerField(required=False, help_text="the public workforce when left out")
    workers_per_object = serializers.IntegerField(min_value=1, max_value=50, default=3)
    min_workers_per_object = serializers.IntegerField(min_value=1, max_value=50, required=False)
    max_workers_per_object = serializers.IntegerField(min_value=1, max_value=50, required=False)
    target_confidence = serializers.FloatField(required=False)
    task_time_limit_seconds = serializers.IntegerField(default=300)
    task_availability_lifetime_seconds = serializers.IntegerField(required=False)
    auto_approval_delay_seconds = serializers.IntegerField(required=False)
    priority = serializers.IntegerField(min_value=0, max_value=100, default=0)
    reward = serializers.CharField(
        required=False,
        help_text=(
            'USD decimal string, e.g. "0.036"; required, except on a vendor workteam, where it is the '
            "offering's price (left out, or equal to it)"
        ),
    )
    stopping_conditions = serializers.DictField(required=False)
    gold_manifest_uri = serializers.CharField(required=False)
    worker_visible_keys = serializers.ListField(child=serializers.CharField(), required=False)
    quality_rules = serializers.DictField(required=False, help_text="see docs/quality.md")
    auto_approval_policy = serializers.ChoiceField(choices=Batch.AutoApprovalPolicy.choices, required=False)
    qualification_requirements = QualificationRequirementSerializer(
        many=True, required=False, help_text="who may take the job's tasks (docs/qualifications.md)"
    )
