"""``/api/v1/labeling-jobs``: create, list, read and stop a requester's labeling jobs, and feed a
streaming one objects."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from marketplace.api.base import RequesterAPIView
from marketplace.api.pagination import paginated_response, query_choice
from marketplace.inputs import validate

from ...access import access_labeling_job
from ...inputs import AutomationSwitch, JobCreate, ObjectsAdd, job_spec, objects_to_add
from ...models import LabelingJob
from ...selectors.jobs import requester_job_list
from ...services import jobs, streaming
from ...services.automation_switch import automation_switch_off
from ..examples import LABELING_JOB_CREATE
from ..serializers.labeling_jobs import LabelingJobSerializer, ObjectsAddedSerializer


class LabelingJobsView(RequesterAPIView):
    @extend_schema(examples=LABELING_JOB_CREATE, request=JobCreate, responses={201: LabelingJobSerializer})
    def post(self, request):
        """Create a labeling job.

        The job starts `initializing`: its input manifest is read after the response, then it creates its
        batch and tasks and reserves their cost (a job the balance cannot cover ends `failed`). Every field:
        docs/labeling.md. URIs must lie in storage registered for you (403 `storage_not_allowed`); a name you
        used is a 409 `name_taken`.
        """
        job = jobs.job_create(requester=self.requester, spec=job_spec(request.data))
        # The hooks' signing secret is shown in this response only (docs/templates.md).
        return Response(LabelingJobSerializer(job, context={"show_hook_secret": True}).data, status=201)

    @extend_schema(
        responses=LabelingJobSerializer(many=True),
        parameters=[
            OpenApiParameter("status", str, enum=LabelingJob.Status.values, description="only jobs in this status"),
            OpenApiParameter("name_contains", str, description="only jobs whose name contains this (any case)"),
        ],
    )
    def get(self, request):
        """List your labeling jobs.

        Your labeling jobs, oldest first; `status` keeps one status, `name_contains` the names containing it.
        """
        status = query_choice(request, "status", LabelingJob.Status.values)
        queryset = requester_job_list(
            self.requester, status=status, name_contains=request.query_params.get("name_contains")
        )
        return paginated_response(request, queryset, lambda job: LabelingJobSerializer(job).data)


class LabelingJobDetailView(RequesterAPIView):
    @extend_schema(responses=LabelingJobSerializer)
    def get(self, request, job_id):
        """Read a labeling job.

        The job's status, label counters and settings, and its output manifest's URI once written.
        """
        return Response(LabelingJobSerializer(access_labeling_job(self.requester, job_id)).data)


class LabelingJobStopView(RequesterAPIView):
    @extend_schema(request=None, responses=LabelingJobSerializer)
    def post(self, request, job_id):
        """Stop a labeling job.

        Its tasks take no new assignments; live ones may still be submitted until their deadlines, then the
        job writes its output and ends `stopped`. Stopping again is a 200 that changes nothing; a job that
        ended is a 409 `job_ended`.
        """
        job = jobs.job_stop(job=access_labeling_job(self.requester, job_id))
        return Response(LabelingJobSerializer(job).data)


class LabelingJobObjectsView(RequesterAPIView):
    @extend_schema(request=ObjectsAdd, responses={201: ObjectsAddedSerializer})
    def post(self, request, job_id):
        """Add objects to a streaming labeling job.

        Up to 1,000 manifest lines (JSON objects) per call, checked as input manifest lines are (a bad one is a
        400 naming `objects.<i>.<attribute>`, and nothing is added). An object whose `dataset_object_id` the job
        already has adds nothing and is reported (`added: false`). The added objects' worst case is reserved at
        once (402 `insufficient_balance`, nothing added); they go out to workers as `max_concurrent_task_count`
        leaves room. A job not created streaming is a 409 `not_streaming`, one still initializing a 409
        `job_not_started`, one stopped, idle or ended a 409 `job_ended`.
        """
        job = access_labeling_job(self.requester, job_id)
        added = streaming.job_objects_add(job=job, objects=objects_to_add(request.data))
        return Response(ObjectsAddedSerializer(added).data, status=201)


class LabelingJobAutomationView(RequesterAPIView):
    @extend_schema(request=AutomationSwitch, responses=LabelingJobSerializer)
    def post(self, request, job_id):
        """Switch a job's automated labeling off.

        Body `{"enabled": false}`. No more rounds run; the objects automation still held go to human
        workers in the job's next background pass, and what was machine-labeled stays. Switching off again is
        a 200 that changes nothing; a job that did not ask for automated labeling is a 409
        `automation_not_requested`, one that ended a 409 `job_ended`.
        """
        job = access_labeling_job(self.requester, job_id)
        validate(AutomationSwitch, request.data)
        automation_switch_off(job=job)
        return Response(LabelingJobSerializer(access_labeling_job(self.requester, job_id)).data)
