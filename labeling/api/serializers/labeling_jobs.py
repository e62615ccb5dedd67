"""Labeling jobs (``/api/v1/labeling-jobs``): the job, and the documented create body."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.api.serializers.fields import MoneyField
from marketplace.api.serializers.qualification_types import QualificationRequirementSerializer

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
            "input_mode",
            "input_manifest_uri",
            "max_concurrent_task_count",
            "streaming_idle_seconds",
            "input_watch_uri",
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


class ObjectOutcomeSerializer(serializers.Serializer):
    object_index = serializers.IntegerField(
        help_text="the object's 0-based index (Ground Truth's datasetObjectId); for a repeat, the first one's"
    )
    dataset_object_id = serializers.CharField(allow_null=True, help_text="the id the object was given, if any")
    added = serializers.BooleanField(help_text="false for a repeat of a dataset_object_id the job already has")


class ObjectsAddedSerializer(serializers.Serializer):
    job_id = serializers.IntegerField()
    added = serializers.IntegerField(help_text="objects added by this call")
    repeated = serializers.IntegerField(help_text="objects that repeated a dataset_object_id and added nothing")
    objects = ObjectOutcomeSerializer(many=True, help_text="one per object given, in order")
