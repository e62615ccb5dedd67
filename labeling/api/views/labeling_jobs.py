"""``/api/v1/labeling-jobs``: create, list, read and stop a requester's labeling jobs."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from marketplace.api.base import RequesterAPIView
from marketplace.api.pagination import paginated_response, query_choice

from ...access import access_labeling_job
from ...models import LabelingJob
from ...services import jobs
from ..serializers.labeling_jobs import LabelingJobCreateSerializer, LabelingJobSerializer


class LabelingJobsView(RequesterAPIView):
    @extend_schema(request=LabelingJobCreateSerializer, responses={201: LabelingJobSerializer})
    def post(self, request):
        job = jobs.job_create(requester=self.requester, spec=jobs.parse_job_spec(request.data))
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
