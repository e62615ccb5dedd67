"""Ground Truth's labeling-job operations over Groundwork's labeling jobs: the request is
translated into the body ``POST /api/v1/labeling-jobs`` takes and goes through the same
``labeling.inputs.job_spec``/``job_create``/``job_stop`` and access checks; answers are the job as Ground
Truth describes one. Errors name the Ground Truth parameters (``REST_TO_AWS``).

What a job created here keeps beyond Groundwork's own fields (``LabelingJob.ground_truth_request``:
RoleArn, Lambda ARNs, Tags, …) is answered back as given; a job created over REST is described
from its fields (its RoleArn is a placeholder: storage is the organization's registered storage,
whatever role a request names).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from django.db.models import QuerySet

from labeling.access import access_labeling_job_by_name
from labeling.inputs import job_spec
from labeling.models import LabelingJob
from labeling.services import jobs
from marketplace.errors import DomainError
from marketplace.models import Workteam
from marketplace.money import format_micros

from ..calls import AwsCall
from ..errors import ValidationException
from ..protocol import paginate
from ..registry import operation
from .arns import labeling_job_arn, targetable_workteam_by_arn, workteam_arn
from .task_types import GROUND_TRUTH_NAMES, task_type_of, template_instructions

SAGEMAKER = "sagemaker"
STATUSES: dict[str, str] = {
    LabelingJob.Status.INITIALIZING: "Initializing",
    LabelingJob.Status.IN_PROGRESS: "InProgress",
    LabelingJob.Status.COMPLETED: "Completed",
    LabelingJob.Status.STOPPING: "Stopping",
    LabelingJob.Status.STOPPED: "Stopped",
    LabelingJob.Status.FAILED: "Failed",
}
STATUS_FILTERS = {name: status for status, name in STATUSES.items()}
# Ground Truth's own Lambda account for the built-in task types, in the ARNs a REST job reports.
BUILT_IN_LAMBDA_ACCOUNT = "432418664414"

# The REST job body's fields as the Ground Truth parameters they come from, for error messages.
REST_TO_AWS = {
    "name": "LabelingJobName",
    "label_attribute_name": "LabelAttributeName",
    "task_type": "HumanTaskConfig.PreHumanTaskLambdaArn",
    "input_manifest_uri": "InputConfig.DataSource.S3DataSource.ManifestS3Uri",
    "output_uri": "OutputConfig.S3OutputPath",
    "label_categories": "LabelCategoryConfigS3Uri",
    "label_category_config_uri": "LabelCategoryConfigS3Uri",
    "title": "HumanTaskConfig.TaskTitle",
    "description": "HumanTaskConfig.TaskDescription",
    "instructions": "UiConfig.UiTemplateS3Uri",
    "workteam_id": "HumanTaskConfig.WorkteamArn",
    "workers_per_object": "HumanTaskConfig.NumberOfHumanWorkersPerDataObject",
    "task_time_limit_seconds": "HumanTaskConfig.TaskTimeLimitInSeconds",
    "task_availability_lifetime_seconds": "HumanTaskConfig.TaskAvailabilityLifetimeInSeconds",
    "reward": "HumanTaskConfig.PublicWorkforceTaskPrice",
    "stopping_conditions.max_human_labeled_objects": "StoppingConditions.MaxHumanLabeledObjectCount",
    "stopping_conditions.max_percentage_labeled": "StoppingConditions.MaxPercentageOfInputDatasetLabeled",
}
_REST_NAMES = re.compile(
    "|".join(re.escape(name) for name in sorted(REST_TO_AWS, key=len, reverse=True) if "_" in name)
)


def _aws_names(text: str) -> str:
    return _REST_NAMES.sub(lambda found: REST_TO_AWS[found.group(0)], text)


@contextlib.contextmanager
def _ground_truth_names() -> Iterator[None]:
    """Re-raise a domain error with the Ground Truth parameter names in place of REST's."""
    try:
        yield
    except DomainError as error:
        if error.fields:
            error.message = "; ".join(
                f"{REST_TO_AWS.get(field, field)}: {_aws_names(message)}"
                for field, messages in error.fields.items()
                for message in messages
            )
        else:
            error.message = _aws_names(error.message)
        raise


def _reward(price: dict | None, workteam: Workteam) -> str | None:
    """``PublicWorkforceTaskPrice`` as the REST reward. A vendor team's price is its offering's
    (left out); a private team without a price pays nothing, as Ground Truth's private
    workforces are not paid through it."""
    if price is None:
        return "0" if workteam.kind == Workteam.Kind.PRIVATE else None
    usd = price.get("AmountInUsd", {})
    micros = (
        usd.get("Dollars", 0) * 1_000_000 + usd.get("Cents", 0) * 10_000 + usd.get("TenthFractionsOfACent", 0) * 1_000
    )
    return format_micros(micros)


def _price(reward_micros: int) -> dict:
    dollars, rest = divmod(reward_micros, 1_000_000)
    cents, rest = divmod(rest, 10_000)
    return {"AmountInUsd": {"Dollars": dollars, "Cents": cents, "TenthFractionsOfACent": rest // 1_000}}


def _refuse_unsupported(params: dict) -> None:
    if "LabelingJobAlgorithmsConfig" in params:
        raise ValidationException("LabelingJobAlgorithmsConfig: Groundwork does not offer automated data labeling")
    if "S3DataSource" not in params["InputConfig"]["DataSource"]:
        raise ValidationException("InputConfig.DataSource: Groundwork reads an S3 manifest (S3DataSource), not streams")


@operation(SAGEMAKER, "CreateLabelingJob")
def create_labeling_job(call: AwsCall) -> dict:
    params = call.params
    _refuse_unsupported(params)
    human = params["HumanTaskConfig"]
    ui = human["UiConfig"]
    workteam = targetable_workteam_by_arn(call, human["WorkteamArn"], field="HumanTaskConfig.WorkteamArn")
    with _ground_truth_names():
        template = (
            jobs.job_ui_template_read(
                requester=call.organization, uri=ui["UiTemplateS3Uri"], field="UiConfig.UiTemplateS3Uri"
            )
            if "UiTemplateS3Uri" in ui
            else ""
        )
        task_type = task_type_of(
            pre_lambda_arn=human.get("PreHumanTaskLambdaArn"),
            acs_lambda_arn=human.get("AnnotationConsolidationConfig", {}).get("AnnotationConsolidationLambdaArn"),
            human_task_ui_arn=ui.get("HumanTaskUiArn"),
            template=template,
        )
        body: dict = {
            "name": params["LabelingJobName"],
            "label_attribute_name": params["LabelAttributeName"],
            "task_type": task_type,
            "input_manifest_uri": params["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"],
            "output_uri": params["OutputConfig"]["S3OutputPath"],
            "title": human["TaskTitle"],
            "description": human["TaskDescription"],
            "instructions": template_instructions(template),
            "workteam_id": workteam.pk,
            "workers_per_object": human["NumberOfHumanWorkersPerDataObject"],
            "task_time_limit_seconds": human["TaskTimeLimitInSeconds"],
        }
        if "LabelCategoryConfigS3Uri" in params:
            body["label_category_config_uri"] = params["LabelCategoryConfigS3Uri"]
        if "TaskAvailabilityLifetimeInSeconds" in human:
            body["task_availability_lifetime_seconds"] = human["TaskAvailabilityLifetimeInSeconds"]
        reward = _reward(human.get("PublicWorkforceTaskPrice"), workteam)
        if reward is not None:
            body["reward"] = reward
        conditions = params.get("StoppingConditions", {})
        stopping = {
            "max_human_labeled_objects": conditions.get("MaxHumanLabeledObjectCount"),
            "max_percentage_labeled": conditions.get("MaxPercentageOfInputDatasetLabeled"),
        }
        if any(value is not None for value in stopping.values()):
            body["stopping_conditions"] = {key: value for key, value in stopping.items() if value is not None}
        job = jobs.job_create(
            requester=call.organization,
            spec=job_spec(body),
            ui_template=template,
            ground_truth_request=params,
        )
    return {"LabelingJobArn": labeling_job_arn(call, job.name)}


def _counters(job: LabelingJob) -> dict:
    counters = job.label_counters
    return {
        "TotalLabeled": counters["total_labeled"],
        "HumanLabeled": counters["human_labeled"],
        "MachineLabeled": counters["machine_labeled"],
        "FailedNonRetryableError": counters["failed"],
        "Unlabeled": counters["unlabeled"],
    }


def _built_in_arn(call: AwsCall, prefix: str, job: LabelingJob) -> str:
    name = GROUND_TRUTH_NAMES.get(job.task_type, job.task_type)
    return f"arn:aws:lambda:{call.region}:{BUILT_IN_LAMBDA_ACCOUNT}:function:{prefix}-{name}"


def _request(call: AwsCall, job: LabelingJob) -> dict:
    """The job's CreateLabelingJob parameters: as given, or for a REST job from its fields."""
    if job.ground_truth_request:
        return job.ground_truth_request
    human = {
        "WorkteamArn": workteam_arn(call, job.workteam),
        "UiConfig": {},
        "PreHumanTaskLambdaArn": _built_in_arn(call, "PRE", job),
        "TaskTitle": job.title,
        "TaskDescription": job.description or job.title,
        "NumberOfHumanWorkersPerDataObject": job.workers_per_object,
        "TaskTimeLimitInSeconds": job.task_time_limit_seconds,
        "TaskAvailabilityLifetimeInSeconds": job.task_availability_lifetime_seconds,
        "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": _built_in_arn(call, "ACS", job)},
    }
    if job.workteam.kind == Workteam.Kind.PUBLIC:
        human["PublicWorkforceTaskPrice"] = _price(job.reward_micros)
    return {
        "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": job.input_manifest_uri}}},
        "OutputConfig": {"S3OutputPath": job.output_uri},
        "RoleArn": f"arn:aws:iam::{call.account_id}:role/groundwork-registered-storage",
        "HumanTaskConfig": human,
    }


def _reference_code(job: LabelingJob) -> str:
    return f"groundwork-job-{job.pk}"


def _output(job: LabelingJob) -> dict | None:
    return {"OutputDatasetS3Uri": job.output_manifest_uri} if job.output_manifest_uri else None


def _stopping_conditions(job: LabelingJob) -> dict | None:
    conditions = {
        "MaxHumanLabeledObjectCount": job.max_human_labeled_objects,
        "MaxPercentageOfInputDatasetLabeled": job.max_percentage_labeled,
    }
    return {key: value for key, value in conditions.items() if value is not None} or None


@operation(SAGEMAKER, "DescribeLabelingJob")
def describe_labeling_job(call: AwsCall) -> dict:
    job = access_labeling_job_by_name(call.organization, call.params["LabelingJobName"])
    request = _request(call, job)
    return {
        "LabelingJobStatus": STATUSES[job.status],
        "LabelCounters": _counters(job),
        "FailureReason": job.failure_reason or None,
        "CreationTime": job.created_at,
        "LastModifiedTime": job.updated_at,
        "JobReferenceCode": _reference_code(job),
        "LabelingJobName": job.name,
        "LabelingJobArn": labeling_job_arn(call, job.name),
        "LabelAttributeName": job.label_attribute_name,
        "InputConfig": request["InputConfig"],
        "OutputConfig": request["OutputConfig"],
        "RoleArn": request["RoleArn"],
        "LabelCategoryConfigS3Uri": job.label_category_config_uri or None,
        "StoppingConditions": _stopping_conditions(job),
        "HumanTaskConfig": request["HumanTaskConfig"],
        "Tags": request.get("Tags"),
        "LabelingJobOutput": _output(job),
    }


def _summary(call: AwsCall, job: LabelingJob) -> dict:
    request = _request(call, job)
    human = request["HumanTaskConfig"]
    return {
        "LabelingJobName": job.name,
        "LabelingJobArn": labeling_job_arn(call, job.name),
        "CreationTime": job.created_at,
        "LastModifiedTime": job.updated_at,
        "LabelingJobStatus": STATUSES[job.status],
        "LabelCounters": _counters(job),
        "WorkteamArn": human["WorkteamArn"],
        "PreHumanTaskLambdaArn": human.get("PreHumanTaskLambdaArn"),
        "AnnotationConsolidationLambdaArn": human.get("AnnotationConsolidationConfig", {}).get(
            "AnnotationConsolidationLambdaArn"
        ),
        "FailureReason": job.failure_reason or None,
        "LabelingJobOutput": _output(job),
        "InputConfig": request["InputConfig"],
    }


_SORT_FIELDS = {"Name": "name", "CreationTime": "created_at", "Status": "status"}


def _filtered(call: AwsCall, queryset: QuerySet[LabelingJob]) -> QuerySet[LabelingJob]:
    params = call.params
    for param, lookup in (
        ("CreationTimeAfter", "created_at__gt"),
        ("CreationTimeBefore", "created_at__lt"),
        ("LastModifiedTimeAfter", "updated_at__gt"),
        ("LastModifiedTimeBefore", "updated_at__lt"),
    ):
        if param in params:
            queryset = queryset.filter(**{lookup: params[param]})
    field = _SORT_FIELDS.get(params.get("SortBy", "CreationTime"), "created_at")
    descending = params.get("SortOrder", "Ascending") == "Descending"
    return queryset.order_by(f"-{field}" if descending else field, "-pk" if descending else "pk")


@operation(SAGEMAKER, "ListLabelingJobs")
def list_labeling_jobs(call: AwsCall) -> dict:
    """The requester's jobs (as ``GET /api/v1/labeling-jobs``), filtered and sorted as Ground
    Truth's list is."""
    queryset = LabelingJob.objects.filter(requester=call.organization).select_related("workteam__owner")
    if "StatusEquals" in call.params:
        status = STATUS_FILTERS.get(call.params["StatusEquals"])
        if status is None:
            raise ValidationException(f"StatusEquals must be one of {', '.join(STATUS_FILTERS)}")
        queryset = queryset.filter(status=status)
    if "NameContains" in call.params:
        queryset = queryset.filter(name__icontains=call.params["NameContains"])
    page, next_token = paginate(call, _filtered(call, queryset))
    return {"LabelingJobSummaryList": [_summary(call, job) for job in page], "NextToken": next_token}


@operation(SAGEMAKER, "StopLabelingJob")
def stop_labeling_job(call: AwsCall) -> dict:
    """As ``POST /api/v1/labeling-jobs/{id}/stop``: idempotent; an ended job is a conflict."""
    jobs.job_stop(job=access_labeling_job_by_name(call.organization, call.params["LabelingJobName"]))
    return {}


@operation(SAGEMAKER, "ListLabelingJobsForWorkteam")
def list_labeling_jobs_for_workteam(call: AwsCall) -> dict:
    """The requester's jobs on a workteam it may post work to (Ground Truth lists a vendor's
    jobs from every requester; here the caller is always the requester)."""
    workteam = targetable_workteam_by_arn(call, call.params["WorkteamArn"], field="WorkteamArn")
    jobs_on_team = _filtered(call, LabelingJob.objects.filter(requester=call.organization, workteam=workteam))
    code = call.params.get("JobReferenceCodeContains")
    rows = [job for job in jobs_on_team if code in _reference_code(job)] if code else jobs_on_team
    page, next_token = paginate(call, rows)
    return {
        "LabelingJobSummaryList": [
            {
                "LabelingJobName": job.name,
                "JobReferenceCode": _reference_code(job),
                "WorkRequesterAccountId": call.account_id,
                "CreationTime": job.created_at,
                "LabelCounters": {
                    "HumanLabeled": job.human_labeled,
                    "PendingHuman": job.label_counters["unlabeled"],
                    "Total": job.objects_total,
                },
                "NumberOfHumanWorkersPerDataObject": job.workers_per_object,
            }
            for job in page
        ],
        "NextToken": next_token,
    }
