"""Labeling jobs (``/api/v1/labeling-jobs``): the job, and the documented create body."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.api.serializers.fields import MoneyField
from marketplace.api.serializers.qualification_types import QualificationRequirementSerializer
from marketplace.money import format_micros

from ...models import JobAutomation, LabelingJob
from ...selectors.automation import audit_figures, job_automation
from ...services.hooks import job_hook_secret


class LabelCountersSerializer(serializers.Serializer):
    total_labeled = serializers.IntegerField()
    human_labeled = serializers.IntegerField()
    machine_labeled = serializers.IntegerField()
    failed = serializers.IntegerField()
    unlabeled = serializers.IntegerField()


class AutomationAuditSerializer(serializers.Serializer):
    audited = serializers.IntegerField(help_text="machine-label candidates humans labeled")
    agreed = serializers.IntegerField(help_text="of those, how many humans labeled as the model did")
    pending = serializers.IntegerField(help_text="picked for the audit, not labeled by humans yet")
    agreement = serializers.FloatField(allow_null=True)
    passed = serializers.BooleanField(allow_null=True, help_text="the audit's verdict; null before any answer")


class AutomatedLabelingSerializer(serializers.Serializer):
    """A job's automated labeling (docs/automation.md)."""

    status = serializers.ChoiceField(choices=JobAutomation.Status.choices)
    reason = serializers.CharField()
    target_accuracy = serializers.FloatField()
    embedding_key = serializers.CharField(allow_null=True)
    prediction_key = serializers.CharField(allow_null=True)
    rounds = serializers.IntegerField()
    threshold = serializers.FloatField(allow_null=True, help_text="the last round's confidence threshold")
    validated_accuracy = serializers.FloatField(allow_null=True)
    accuracy_lower_bound = serializers.FloatField(allow_null=True, help_text="95% Clopper-Pearson lower bound")
    validation_size = serializers.IntegerField()
    audit = AutomationAuditSerializer()
    machine_labeled = serializers.IntegerField()
    starting_model_uri = serializers.CharField(
        allow_null=True, help_text="a chained job's copy of the chained job's model, its first round's scorer"
    )
    money_saved = serializers.CharField(help_text="USD: what the machine-labeled objects would have cost humans")


def automated_labeling(job: LabelingJob) -> dict | None:
    """The ``automated_labeling`` object of a job, or ``None`` when it did not ask for it."""
    automation = job_automation(job)
    if automation is None:
        return None
    audit = audit_figures(job, automation)
    return {
        "status": automation.status,
        "reason": automation.reason,
        "target_accuracy": automation.target_accuracy,
        "embedding_key": automation.embedding_key or None,
        "prediction_key": automation.prediction_key or None,
        "rounds": automation.rounds,
        "threshold": automation.threshold,
        "validated_accuracy": automation.validated_accuracy,
        "accuracy_lower_bound": automation.accuracy_lower_bound,
        "validation_size": automation.validation_size,
        "audit": {
            "audited": audit.audited,
            "agreed": audit.agreed,
            "pending": audit.pending,
            "agreement": audit.agreement,
            "passed": audit.passed,
        },
        "machine_labeled": job.machine_labeled,
        "starting_model_uri": automation.starting_model_uri or None,
        "money_saved": format_micros(automation.saved_micros),
    }


class LabelingJobSerializer(serializers.ModelSerializer):
    workteam_id = serializers.IntegerField()
    batch_id = serializers.IntegerField(allow_null=True)
    chain_from_job_id = serializers.IntegerField(
        source="chained_from_id", allow_null=True, help_text="the job this one chains from (docs/labeling.md)"
    )
    chain_select = serializers.DictField(help_text="which of its objects the chain took; {} for all")
    reward = MoneyField(source="reward_micros")
    label_counters = serializers.SerializerMethodField()
    stopping_conditions = serializers.SerializerMethodField()
    qualification_requirements = QualificationRequirementSerializer(many=True)
    automated_labeling = serializers.SerializerMethodField()
    hook_secret = serializers.SerializerMethodField()

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
            "source_label_attribute_name",
            "task_type",
            "input_mode",
            "input_manifest_uri",
            "chain_from_job_id",
            "chain_select",
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
            "automated_labeling",
            "template",
            "answer_schema",
            "pre_task_hook_url",
            "consolidation_hook_url",
            "hook_secret",
            "created_at",
            "ended_at",
        ]

    @staticmethod
    @extend_schema_field(LabelCountersSerializer)
    def get_label_counters(job: LabelingJob) -> dict:
        return job.label_counters

    @staticmethod
    @extend_schema_field(AutomatedLabelingSerializer(allow_null=True))
    def get_automated_labeling(job: LabelingJob) -> dict | None:
        return automated_labeling(job)

    @extend_schema_field(
        serializers.CharField(
            allow_null=True,
            help_text="with a hook: the secret its calls are signed with (`whsec_…`), in the creation's "
            "response only (docs/templates.md); null otherwise",
        )
    )
    def get_hook_secret(self, job: LabelingJob) -> str | None:
        shown = self.context.get("show_hook_secret") and job.hook_secret_encrypted
        return job_hook_secret(job) if shown else None

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
