"""Groundwork's rows as Mechanical Turk's shapes, and MTurk's identifiers and requirements as
Groundwork's: the translation every MTurk operation module shares (no business rule here).

- ``HITId`` is the task id, ``AssignmentId`` the assignment id, ``WorkerId`` the worker id and
  ``QualificationTypeId`` the qualification type id, each as a decimal string; the system types
  for approval rate, approved count and locale answer to MTurk's own ids as well
  (``SYSTEM_TYPE_IDS``).
- A HIT's status comes from its task's (``hit_status``); an assignment's from its own
  (only submitted, approved and rejected ones exist for MTurk).
- ``HITTypeId`` is a signed digest of the properties MTurk groups HITs by (title, description,
  reward, durations, requirements): the same properties give the same id, with nothing stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.core import signing
from django.db.models import Count

from marketplace.access import access_qualification_type, access_task
from marketplace.models import Assignment, Organization, QualificationType, Task
from marketplace.money import format_micros
from marketplace.questions import QUESTION_TASK_TYPE, question_form_answers_xml
from marketplace.services.qualifications import system_qualification_types

from ..errors import RequestError

# MTurk's system qualification type ids → Groundwork's system types (by key).
SYSTEM_TYPE_IDS = {
    "000000000000000000L0": "approval_rate",  # Worker_PercentAssignmentsApproved
    "00000000000000000040": "approved_count",  # Worker_NumberHITsApproved
    "00000000000000000071": "locale",  # Worker_Locale
}
SYSTEM_KEY_IDS = {key: type_id for type_id, key in SYSTEM_TYPE_IDS.items()}

# MTurk comparator → (Groundwork comparator, shift of the integer value); "LessThan 90" is "<= 89".
COMPARATORS_IN = {
    "LessThan": ("<=", -1),
    "LessThanOrEqualTo": ("<=", 0),
    "GreaterThan": (">=", 1),
    "GreaterThanOrEqualTo": (">=", 0),
    "EqualTo": ("==", 0),
    "NotEqualTo": ("!=", 0),
    "Exists": ("exists", 0),
    "In": ("in", 0),
}
COMPARATORS_OUT = {
    ">=": "GreaterThanOrEqualTo",
    "<=": "LessThanOrEqualTo",
    "==": "EqualTo",
    "!=": "NotEqualTo",
    "exists": "Exists",
    "in": "In",
}
ASSIGNMENT_STATUSES: dict[str, str] = {
    Assignment.Status.SUBMITTED: "Submitted",
    Assignment.Status.APPROVED: "Approved",
    Assignment.Status.REJECTED: "Rejected",
}
LIVE = (Task.Status.OPEN, Task.Status.FULL)
# Tasks that take work now or later: a held task (posted, not offered yet) is not reviewable.
TAKING_WORK = (*LIVE, Task.Status.HELD)
HIT_TYPE_SALT = "groundwork.aws.mturk.hit-type"


# --- identifiers ---------------------------------------------------------------------------------


def int_id(value: object, name: str) -> int:
    """A decimal-string id parameter (``HITId``, ``WorkerId``…) as an int; else ``RequestError``
    naming the parameter (an id Groundwork never gives out cannot name anything)."""
    text = str(value)
    if not text.isdigit() or len(text) > 18:
        raise RequestError(
            f"{name} {value!r} does not exist (Groundwork ids are decimal numbers)",
            turk_error_code="AWS.MechanicalTurk.ResourceNotFound" if name != "WorkerId" else "AWS.BadParameters",
        )
    return int(text)


def qualification_type_id_out(qualification_type: QualificationType) -> str:
    return SYSTEM_KEY_IDS.get(qualification_type.system_key or "", str(qualification_type.pk))


def qualification_type_of(organization: Organization, value: str) -> QualificationType:
    """The type a ``QualificationTypeId`` names: one of the caller's, a Groundwork system type,
    or one of MTurk's system ids that map to one."""
    key = SYSTEM_TYPE_IDS.get(value)
    if key is not None:
        return system_qualification_types()[key]
    return access_qualification_type(organization, int_id(value, "QualificationTypeId"))


# --- qualification requirements ------------------------------------------------------------------


def requirements_in(organization: Organization, given: list[dict] | None) -> list[dict] | None:
    """MTurk ``QualificationRequirements`` as Groundwork's ``qualification_requirements``
    (checked further by the tasks service). Comparators without a Groundwork equivalent
    (``DoesNotExist``, ``NotIn``) and locale subdivisions are refused, naming the member."""
    if given is None:
        return None
    converted = []
    for index, requirement in enumerate(given):
        where = f"QualificationRequirements[{index}]"
        comparator = requirement["Comparator"]
        if comparator not in COMPARATORS_IN:
            raise RequestError(f"{where}.Comparator {comparator} is not supported by Groundwork")
        ours, shift = COMPARATORS_IN[comparator]
        if any("Subdivision" in locale for locale in requirement.get("LocaleValues", [])):
            raise RequestError(f"{where}.LocaleValues: Groundwork compares countries only, not subdivisions")
        values: list[Any] = [value + shift for value in requirement.get("IntegerValues", [])]
        values += [locale["Country"] for locale in requirement.get("LocaleValues", [])]
        qualification_type = qualification_type_of(organization, requirement["QualificationTypeId"])
        converted.append({"qualification_type_id": qualification_type.pk, "comparator": ours, "values": values})
    return converted


def requirements_out(stored: list[dict], types: dict[int, QualificationType]) -> list[dict]:
    """Groundwork's stored requirements as MTurk's (``types``: the types they name, by id)."""
    shown = []
    for requirement in stored:
        qualification_type = types.get(requirement["qualification_type_id"])
        if qualification_type is None:
            continue
        item: dict[str, Any] = {
            "QualificationTypeId": qualification_type_id_out(qualification_type),
            "Comparator": COMPARATORS_OUT[requirement["comparator"]],
            "ActionsGuarded": "DiscoverPreviewAndAccept",  # Groundwork never offers work a worker may not take
        }
        if qualification_type.value_kind == QualificationType.ValueKind.LOCALE:
            item["LocaleValues"] = [{"Country": code} for code in requirement["values"]]
        elif requirement["values"]:
            item["IntegerValues"] = list(requirement["values"])
        shown.append(item)
    return shown


def requirement_types(requirement_lists: Iterable[list[dict]]) -> dict[int, QualificationType]:
    ids = {r["qualification_type_id"] for requirements in requirement_lists for r in requirements}
    return {t.pk: t for t in QualificationType.objects.filter(pk__in=ids)} if ids else {}


# --- HIT types -----------------------------------------------------------------------------------


def hit_type_id(organization: Organization, properties: dict[str, Any]) -> str:
    return signing.Signer(salt=f"{HIT_TYPE_SALT}:{organization.pk}").sign_object(properties, compress=True)


def hit_type_properties(organization: Organization, value: str) -> dict[str, Any]:
    try:
        return signing.Signer(salt=f"{HIT_TYPE_SALT}:{organization.pk}").unsign_object(value)
    except (signing.BadSignature, ValueError):
        raise RequestError(
            f"HITTypeId {value!r} does not exist", turk_error_code="AWS.MechanicalTurk.HITTypeDoesNotExist"
        ) from None


def task_type_properties(task: Task, requirements: list[dict]) -> dict[str, Any]:
    """The properties a HIT type groups by, as a task has them (``requirements``: MTurk's)."""
    return {
        "Title": task.title,
        "Description": task.description,
        "Reward": format_micros(task.reward_micros),
        "AssignmentDurationInSeconds": task.assignment_duration_seconds,
        "AutoApprovalDelayInSeconds": task.batch.auto_approval_delay_seconds,
        "QualificationRequirements": requirements,
    }


# --- HITs ----------------------------------------------------------------------------------------


def assignment_counts(task_ids: Iterable[int]) -> dict[int, Counter]:
    counts: dict[int, Counter] = {}
    rows = Assignment.objects.filter(task_id__in=list(task_ids)).values("task_id", "status").annotate(n=Count("id"))
    for row in rows:
        counts.setdefault(row["task_id"], Counter())[row["status"]] = row["n"]
    return counts


def hit_status(task: Task, counts: Counter) -> str:
    if task.disposed_at is not None:
        return "Disposed"
    if task.status == Task.Status.OPEN:
        return "Assignable"
    # Held (posted, not offered to workers yet) reads as MTurk's Unassignable: live, not takable now.
    if task.status in (Task.Status.FULL, Task.Status.HELD) or counts[Assignment.Status.ACCEPTED]:
        return "Unassignable"
    return "Reviewing" if task.is_under_review else "Reviewable"


def hits_out(organization: Organization, tasks: list[Task]) -> list[dict[str, Any]]:
    """MTurk's ``HIT`` for each task (with its batch loaded), in order."""
    counts = assignment_counts(task.pk for task in tasks)
    types = requirement_types(task.batch.qualification_requirements for task in tasks)
    return [hit_out(organization, task, counts.get(task.pk, Counter()), types) for task in tasks]


def hit_out(
    organization: Organization, task: Task, counts: Counter, types: dict[int, QualificationType]
) -> dict[str, Any]:
    requirements = requirements_out(task.batch.qualification_requirements, types)
    type_id = hit_type_id(organization, task_type_properties(task, requirements))
    question = task.input.get("question") if task.task_type == QUESTION_TASK_TYPE else None
    stopped_early = task.status == Task.Status.STOPPED and task.closed_at is not None
    return {
        "HITId": str(task.pk),
        "HITTypeId": type_id,
        "HITGroupId": type_id,
        "CreationTime": task.created_at,
        "Title": task.title,
        "Description": task.description,
        "Question": question,
        "HITStatus": hit_status(task, counts),
        "MaxAssignments": task.slots,
        "Reward": format_micros(task.reward_micros),
        "AutoApprovalDelayInSeconds": task.batch.auto_approval_delay_seconds,
        "Expiration": task.closed_at if stopped_early else task.expires_at,
        "AssignmentDurationInSeconds": task.assignment_duration_seconds,
        "QualificationRequirements": requirements,
        "HITReviewStatus": "NotReviewed",
        "NumberOfAssignmentsPending": counts[Assignment.Status.ACCEPTED],
        "NumberOfAssignmentsAvailable": max(0, task.slots - task.slots_used) if task.status in LIVE else 0,
        "NumberOfAssignmentsCompleted": counts[Assignment.Status.APPROVED] + counts[Assignment.Status.REJECTED],
    }


def task_of(organization: Organization, hit_id: str) -> Task:
    """The caller's task a ``HITId`` names (``access_task``: ``NotFound`` for any other)."""
    return access_task(organization, int_id(hit_id, "HITId"))


# --- assignments ---------------------------------------------------------------------------------


def assignment_out(assignment: Assignment) -> dict[str, Any]:
    return {
        "AssignmentId": str(assignment.pk),
        "WorkerId": str(assignment.worker_id),
        "HITId": str(assignment.task_id),
        "AssignmentStatus": ASSIGNMENT_STATUSES[assignment.status],
        "AutoApprovalTime": assignment.auto_approve_at,
        "AcceptTime": assignment.accepted_at,
        "SubmitTime": assignment.submitted_at,
        "ApprovalTime": assignment.approved_at if assignment.status == Assignment.Status.APPROVED else None,
        "RejectionTime": assignment.rejected_at if assignment.status == Assignment.Status.REJECTED else None,
        "Deadline": assignment.deadline,
        "Answer": question_form_answers_xml(assignment.answer),
        "RequesterFeedback": assignment.feedback or None,
    }
