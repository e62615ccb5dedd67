"""Requester REST for labeling jobs under /api/v1/labeling-jobs. Views parse, call one
service, render."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from marketplace.api.base import RequesterAPIView
from marketplace.api.pagination import paginated_response, query_choice
from marketplace.api.qualification_serializers import QualificationRequirementSerializer
from marketplace.api.serializers import MoneyField

from .access import access_labeling_job
from .inputs import JobCreate, job_spec
from .models import LabelingJob
from .services import jobs


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
        return {
            "total_labeled": job.human_labeled,
            "human_labeled": job.human_labeled,
            "machine_labeled": 0,
            "failed": job.failed_objects,
            "unlabeled": max(0, job.objects_total - job.human_labeled - job.failed_objects),
        }

    @staticmethod
    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_stopping_conditions(job: LabelingJob) -> dict:
        conditions = {
            "max_human_labeled_objects": job.max_human_labeled_objects,
            "max_percentage_labeled": job.max_percentage_labeled,
        }
        return {key: value for key, value in conditions.items() if value is not None}


class LabelingJobsView(RequesterAPIView):
    @extend_schema(request=JobCreate, responses={201: LabelingJobSerializer})
    def post(self, request):
        job = jobs.job_create(requester=self.requester, spec=job_spec(request.data))
        return Response(LabelingJobSerializer(job).data, status=201)

    @extend_schema(
        responses=LabelingJobSerializer(many=True),
        parameters=[
            OpenApiParameter("status", str, enum=LabelingJob.Status.values),
            OpenApiParameter("name_contains", str),
        ],
    )
    def get(self, request):
        queryset = LabelingJob.objects.filter(requester=self.requester)
        status = query_choice(request, "status", LabelingJob.Status.values)
        if status:
            queryset = queryset.filter(status=status)
        name_contains = request.query_params.get("name_contains")
        if name_contains:
            queryset = queryset.filter(name__icontains=name_contains)
        return paginated_response(request, queryset, lambda job: LabelingJobSerializer(job).data)


class LabelingJobDetailView(RequesterAPIView):
    @extend_schema(responses=LabelingJobSerializer)
    def get(self, request, job_id):
        return Response(LabelingJobSerializer(access_labeling_job(self.requester, job_id)).data)


class LabelingJobStopView(RequesterAPIView):
    @extend_schema(request=None, responses=LabelingJobSerializer)
    def post(self, request, job_id):
        job = jobs.job_stop(job=access_labeling_job(self.requester, job_id))
        return Response(LabelingJobSerializer(job).data)
