"""Mechanical Turk's HIT operations over Groundwork's tasks (``HITId`` = task id).

A HIT is one task of its own batch on the public workforce, of task type ``mturk_question``
(its ``Question`` XML: ``marketplace.questions``); ``QualificationRequirements`` become the
batch's qualification requirements. Posting goes through the tasks service exactly as
``POST /api/v1/tasks`` does (escrow, fees, limits, 402 when the balance cannot cover it).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from marketplace.errors import InvalidInput
from marketplace.inputs import validate
from marketplace.inputs.tasks import TaskAddSlots, task_spec
from marketplace.models import Assignment, Batch, Task
from marketplace.questions import QUESTION_TASK_TYPE
from marketplace.services.requirements import requirements_resolve
from marketplace.services.task_review import task_dispose, task_expiry_set, task_review_mark
from marketplace.services.tasks import task_add_slots, tasks_post

from ..calls import AwsCall
from ..errors import RequestError
from ..protocol import paginate
from ..registry import operation
from .shapes import (
    TAKING_WORK,
    hit_type_id,
    hit_type_properties,
    hits_out,
    qualification_type_of,
    requirement_types,
    requirements_in,
    requirements_out,
    task_of,
    task_type_properties,
)
from .tokens import once

# MTurk's default when AutoApprovalDelayInSeconds is left out (30 days; Groundwork's REST default is 3).
MTURK_AUTO_APPROVAL_DELAY_SECONDS = 30 * 86400
# Groundwork's field → MTurk's parameter, to name the parameter a refusal is about.
PARAMETER_NAMES = {
    "title": "Title",
    "description": "Description",
    "reward": "Reward",
    "slots": "MaxAssignments",
    "lifetime_seconds": "LifetimeInSeconds",
    "assignment_duration_seconds": "AssignmentDurationInSeconds",
    "auto_approval_delay_seconds": "AutoApprovalDelayInSeconds",
    "input": "Question",
    "qualification_requirements": "QualificationRequirements",
    "add": "NumberOfAdditionalAssignments",
    "expires_at": "ExpireAt",
}
UNSUPPORTED = ("HITLayoutId", "HITLayoutParameters", "AssignmentReviewPolicy", "HITReviewPolicy")


def renamed(error: InvalidInput) -> RequestError:
    """A tasks-service refusal, with MTurk's parameter names."""
    problems = []
    for path, messages in error.fields.items():
        head, _, rest = path.partition(".")
        name = PARAMETER_NAMES.get(head, head)
        if head == "qualification_requirements" and rest:
            index, _, member = rest.partition(".")
            name = f"QualificationRequirements[{index}]" + (f".{member}" if member else "")
        problems.append(f"{name}: {messages[0]}")
    return RequestError("; ".join(problems) or error.message)


def _type_properties(call: AwsCall, params: dict[str, Any]) -> dict[str, Any]:
    """The HIT type properties of ``params`` (CreateHITType's), checked as CreateHIT checks
    them and normalized as a HIT shows them."""
    requirements = requirements_in(call.organization, params.get("QualificationRequirements"))
    spec = _spec(params, requirements, lifetime=3600, question=None)
    resolved = requirements_resolve(requester=call.organization, requirements=spec.qualification_requirements or [])
    shown = requirements_out(resolved, requirement_types([resolved]))
    probe = Task(
        title=spec.title,
        description=spec.description,
        reward_micros=spec.reward_micros or 0,
        assignment_duration_seconds=spec.assignment_duration_seconds,
        batch=Batch(auto_approval_delay_seconds=spec.auto_approval_delay_seconds or 0),
    )
    return task_type_properties(probe, shown)


def _spec(params: dict[str, Any], requirements: list[dict] | None, *, lifetime: int, question: str | None):
    data: dict[str, Any] = {
        "title": params["Title"],
        "description": params["Description"],
        "reward": params["Reward"],
        "slots": params.get("MaxAssignments", 1),
        "lifetime_seconds": lifetime,
        "assignment_duration_seconds": params["AssignmentDurationInSeconds"],
        "auto_approval_delay_seconds": params.get("AutoApprovalDelayInSeconds", MTURK_AUTO_APPROVAL_DELAY_SECONDS),
    }
    if question is not None:
        data |= {"task_type": QUESTION_TASK_TYPE, "input": {"question": question}}
    if requirements:
        data["qualification_requirements"] = requirements
    try:
        return task_spec(data)
    except InvalidInput as error:
        raise renamed(error) from None


def _create_hit(call: AwsCall, type_params: dict[str, Any]) -> dict[str, Any]:
    params = call.params
    for name in UNSUPPORTED:
        if name in params:
            raise RequestError(f"{name} is not supported by Groundwork: give the HIT a Question")
    if "Question" not in params:
        raise RequestError("Question is required (Groundwork has no HIT layouts)")

    def post() -> dict[str, Any]:
        requirements = requirements_in(call.organization, type_params.get("QualificationRequirements"))
        spec = _spec(
            {**type_params, "MaxAssignments": params.get("MaxAssignments", 1)},
            requirements,
            lifetime=params["LifetimeInSeconds"],
            question=params["Question"],
        )
        try:
            (task,) = tasks_post(requester=call.organization, specs=[spec])
        except InvalidInput as error:
            raise renamed(error) from None
        return {"HITId": str(task.pk)}

    made = once(call, post)
    task = task_of(call.organization, made["HITId"])
    return {"HIT": hits_out(call.organization, [task])[0]}


@operation("mturk", "CreateHIT")
def create_hit(call: AwsCall) -> dict[str, Any]:
    """A task of type ``mturk_question`` in a batch of its own, on the public workforce."""
    return _create_hit(call, call.params)


@operation("mturk", "CreateHITType")
def create_hit_type(call: AwsCall) -> dict[str, Any]:
    """The id of a HIT type: its properties, checked as CreateHIT checks them, signed."""
    properties = _type_properties(call, call.params)
    return {"HITTypeId": hit_type_id(call.organization, properties)}


@operation("mturk", "CreateHITWithHITType")
def create_hit_with_hit_type(call: AwsCall) -> dict[str, Any]:
    properties = hit_type_properties(call.organization, call.params["HITTypeId"])
    return _create_hit(call, properties)


@operation("mturk", "GetHIT")
def get_hit(call: AwsCall) -> dict[str, Any]:
    task = task_of(call.organization, call.params["HITId"])
    return {"HIT": hits_out(call.organization, [task])[0]}


def _page(call: AwsCall, tasks) -> dict[str, Any]:
    rows, next_token = paginate(call, tasks)
    hits = hits_out(call.organization, rows)
    return {"HITs": hits, "NumResults": len(hits), "NextToken": next_token}


def _tasks(call: AwsCall):
    return Task.objects.select_related("batch").filter(requester=call.organization, disposed_at__isnull=True)


@operation("mturk", "ListHITs")
def list_hits(call: AwsCall) -> dict[str, Any]:
    """Every task of the caller not disposed of (REST's and labeling jobs' too), oldest first."""
    return _page(call, _tasks(call).order_by("id"))


@operation("mturk", "ListReviewableHITs")
def list_reviewable_hits(call: AwsCall) -> dict[str, Any]:
    """HITs that take no more work and have no assignment in progress: ``Reviewable`` (the
    default) or, with ``Status``, ``Reviewing`` ones; optionally of one HIT type."""
    under_review = call.params.get("Status", "Reviewable") == "Reviewing"
    candidates = (
        _tasks(call)
        .exclude(status__in=TAKING_WORK)
        .filter(is_under_review=under_review)
        .exclude(assignments__status=Assignment.Status.ACCEPTED)
        .order_by("id")
    )
    wanted = call.params.get("HITTypeId")
    if wanted is not None:
        hit_type_properties(call.organization, wanted)  # an id Groundwork never gave out is refused
        candidates = [
            task
            for task, hit in zip(candidates, hits_out(call.organization, list(candidates)), strict=True)
            if hit["HITTypeId"] == wanted
        ]
    return _page(call, candidates)


@operation("mturk", "ListHITsForQualificationType")
def list_hits_for_qualification_type(call: AwsCall) -> dict[str, Any]:
    qualification_type = qualification_type_of(call.organization, call.params["QualificationTypeId"])
    batch_ids = [
        batch.pk
        for batch in Batch.objects.filter(requester=call.organization, has_requirements=True).only(
            "pk", "qualification_requirements"
        )
        if any(r["qualification_type_id"] == qualification_type.pk for r in batch.qualification_requirements)
    ]
    return _page(call, _tasks(call).filter(batch_id__in=batch_ids).order_by("id"))


@operation("mturk", "DeleteHIT")
def delete_hit(call: AwsCall) -> dict[str, Any]:
    """Dispose of the HIT (``task_dispose``): allowed once no assignment is in progress or
    waiting for review; a HIT still open with no assignment is stopped first."""
    task_dispose(task=task_of(call.organization, call.params["HITId"]))
    return {}


@operation("mturk", "UpdateExpirationForHIT")
def update_expiration_for_hit(call: AwsCall) -> dict[str, Any]:
    """A past moment (MTurk's usual ``ExpireAt=0``) stops the HIT now; a later one moves its expiry."""
    try:
        task_expiry_set(task=task_of(call.organization, call.params["HITId"]), expires_at=call.params["ExpireAt"])
    except InvalidInput as error:
        raise renamed(error) from None
    return {}


@operation("mturk", "UpdateHITReviewStatus")
def update_hit_review_status(call: AwsCall) -> dict[str, Any]:
    """Reviewable → Reviewing, or back with ``Revert``."""
    task_review_mark(
        task=task_of(call.organization, call.params["HITId"]), under_review=not call.params.get("Revert", False)
    )
    return {}


@operation("mturk", "CreateAdditionalAssignmentsForHIT")
def create_additional_assignments_for_hit(call: AwsCall) -> dict[str, Any]:
    """More slots on the task (``task_add_slots``: reserved in escrow, or 402), once per token."""
    task = task_of(call.organization, call.params["HITId"])

    def add() -> dict[str, Any]:
        try:
            with transaction.atomic():
                added = validate(TaskAddSlots, {"add": call.params["NumberOfAdditionalAssignments"]})
                task_add_slots(task=task, add=added.add)
        except InvalidInput as error:
            raise renamed(error) from None
        return {"HITId": str(task.pk)}

    once(call, add)
    return {}
