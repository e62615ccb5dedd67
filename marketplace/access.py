"""Every fetch made on a caller's behalf goes through an ``access_*`` function here.

Each enforces tenancy and answers "not yours" exactly like "not there" (``NotFound``), so
callers cannot probe for other tenants' ids. ``lock=True`` takes a row lock
(``SELECT … FOR UPDATE``) and must be called inside a transaction.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from functools import reduce
from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, models
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from .errors import NotFound
from .locking import locked_alone, locked_assignments
from .models import (
    ApiKey,
    Appeal,
    Assignment,
    Batch,
    EmailInvitation,
    Event,
    Invitation,
    Organization,
    QualificationType,
    Task,
    VendorOffering,
    VendorSubscription,
    WebhookEndpoint,
    Worker,
    WorkerBlock,
    Workteam,
    WorkteamMembership,
)
from .selectors.qualifications import available_tests
from .selectors.workteams import targetable_workteams
from .sql_templates import SqlTemplate, TemplateCache, from_db_row, placeholder

ModelT = TypeVar("ModelT", bound=models.Model)


def _as_id(value: object) -> int:
    """``int(value)`` for an id from a URL or a JSON body; ``ValueError`` or ``TypeError``
    when it is none."""
    if isinstance(value, (int, str, float)):
        return int(value)
    raise TypeError(f"not an id: {value!r}")


def get_or_not_found(queryset: QuerySet[ModelT], pk: object, noun: str, *, lock: bool) -> ModelT:
    """The row of ``queryset`` (already narrowed to what the caller may see) with this id, or
    ``NotFound`` for a missing, foreign or malformed id alike. Other apps' ``access_*`` use it."""
    if lock:
        queryset = locked_alone(queryset)
    try:
        return queryset.get(pk=_as_id(pk))
    except (ValueError, TypeError, ObjectDoesNotExist):
        raise NotFound(f"{noun} {pk} not found") from None


def access_task(requester: Organization, task_id: object, *, lock: bool = False) -> Task:
    return get_or_not_found(Task.objects.filter(requester=requester), task_id, "task", lock=lock)


def access_batch(requester: Organization, batch_id: object, *, lock: bool = False) -> Batch:
    return get_or_not_found(Batch.objects.filter(requester=requester, is_active=True), batch_id, "batch", lock=lock)


def access_assignment_as_requester(requester: Organization, assignment_id: object, *, lock: bool = False) -> Assignment:
    queryset = Assignment.objects.select_related("task", "task__batch").filter(task__requester=requester)
    if lock:
        # Lock only the assignment row: the task row is updated afterwards, in the fixed order
        # assignment → task that every service follows (``locking``).
        queryset = locked_assignments(queryset)
    return get_or_not_found(queryset, assignment_id, "assignment", lock=False)


def access_assignment_as_worker(worker: Worker, assignment_id: object, *, lock: bool = False) -> Assignment:
    queryset = Assignment.objects.select_related("task", "task__batch").filter(worker=worker)
    if lock:
        queryset = locked_assignments(queryset)
    return get_or_not_found(queryset, assignment_id, "assignment", lock=False)


_ASSIGNMENT_IDS, _WORKER_IDS = placeholder(0), placeholder(1)
_templates = TemplateCache()


def _locked_template() -> SqlTemplate:
    pairs = RawSQL(
        "(marketplace_assignment.id, marketplace_assignment.worker_id)"
        " IN (SELECT * FROM unnest(%s::bigint[], %s::bigint[]))",
        (_ASSIGNMENT_IDS, _WORKER_IDS),
        output_field=BooleanField(),
    )
    queryset = Assignment.objects.select_related("task", "task__batch", "task__workteam").filter(pairs)
    return SqlTemplate.of(locked_assignments(queryset))


def _locked_assignments_of(pairs: Sequence[tuple[int, int]]) -> dict[int, Assignment]:
    """The assignments of these ``(worker id, assignment id)`` pairs that exist (``task``,
    ``task.batch`` and ``task.workteam`` loaded), by id, their rows locked in id order (one
    statement compiled once, on PostgreSQL)."""
    found: dict[int, Assignment] = {}
    rows = _templates.get("locked", _locked_template).run_all(
        {_ASSIGNMENT_IDS: [pk for _, pk in pairs], _WORKER_IDS: [worker_id for worker_id, _ in pairs]}
    )
    for row in rows:
        instances: list[models.Model] = []
        for model in (Assignment, Task, Batch, Workteam):
            fields = model._meta.concrete_fields
            instances.append(from_db_row(model, row[: len(fields)]))
            row = row[len(fields) :]
        assignment, task, batch, workteam = instances
        task.batch, task.workteam = batch, workteam  # type: ignore[attr-defined]
        assignment.task = task  # type: ignore[attr-defined]
        found[assignment.pk] = assignment  # type: ignore[assignment]
    return found


def access_assignments_as_worker(
    requests: Sequence[tuple[Worker, object]], *, lock: bool = False
) -> list[Assignment | NotFound]:
    """``access_assignment_as_worker`` for several ``(worker, assignment id)`` at once, in one
    query: for each, in order, the assignment or the ``NotFound`` it would raise. ``lock``
    takes the assignment rows (only them) in id order."""
    wanted: list[int | None] = []
    for _, assignment_id in requests:
        try:
            pk = _as_id(assignment_id)
        except (ValueError, TypeError):
            pk = None
        wanted.append(pk if pk is not None and 0 < pk < 2**63 else None)  # a bigint, or no row has it
    asked = [(worker.pk, pk) for (worker, _), pk in zip(requests, wanted, strict=True) if pk is not None]
    found: dict[int, Assignment] = {}
    if asked and lock and connection.vendor == "postgresql":  # the submit's path
        found = _locked_assignments_of(asked)
    elif asked:
        mine = [Q(pk=pk, worker_id=worker_id) for worker_id, pk in asked]
        queryset = Assignment.objects.select_related("task", "task__batch", "task__workteam").filter(
            reduce(operator.or_, mine)
        )
        if lock:
            queryset = locked_assignments(queryset)
        found = {assignment.pk: assignment for assignment in queryset}
    results: list[Assignment | NotFound] = []
    for (worker, assignment_id), pk in zip(requests, wanted, strict=True):
        assignment = found.get(pk) if pk is not None else None
        if assignment is not None and assignment.worker_id == worker.pk:  # two may ask for one id
            results.append(assignment)
        else:
            results.append(NotFound(f"assignment {assignment_id} not found"))
    return results


def access_workteam(requester: Organization, workteam_id: object, *, lock: bool = False) -> Workteam:
    """A workteam the requester owns (to manage members and invitations)."""
    queryset = Workteam.objects.filter(owner=requester, is_active=True)
    return get_or_not_found(queryset, workteam_id, "workteam", lock=lock)


def access_targetable_workteam(requester: Organization, workteam_id: object) -> Workteam:
    """A workteam the requester may post work to: the public workforce, one it owns, or a vendor
    workteam whose offering it is actively subscribed to (``selectors.workteams``)."""
    queryset = targetable_workteams(requester).select_related("offering")
    return get_or_not_found(queryset, workteam_id, "workteam", lock=False)


def access_invitation_as_requester(requester: Organization, invitation_id: object, *, lock: bool = False) -> Invitation:
    queryset = Invitation.objects.select_related("workteam").filter(workteam__owner=requester)
    return get_or_not_found(queryset, invitation_id, "invitation", lock=lock)


def access_email_invitation(
    requester: Organization, workteam: Workteam, invitation_id: object, *, lock: bool = False
) -> EmailInvitation:
    """An emailed invitation to ``workteam`` (already fetched through ``access_workteam``): one of
    another team, or another requester's, is ``NotFound`` like a missing one."""
    queryset = EmailInvitation.objects.select_related("workteam").filter(workteam=workteam, workteam__owner=requester)
    return get_or_not_found(queryset, invitation_id, "invitation", lock=lock)


def access_workteam_member(workteam: Workteam, worker_id: object) -> Worker:
    """A current member of ``workteam`` (already fetched through ``access_workteam``); any other
    worker id is ``NotFound``."""
    return get_or_not_found(Worker.objects.filter(memberships__workteam=workteam), worker_id, "member", lock=False)


def access_invitation_as_worker(worker: Worker, invitation_id: object, *, lock: bool = False) -> Invitation:
    queryset = Invitation.objects.select_related("workteam").filter(worker=worker)
    return get_or_not_found(queryset, invitation_id, "invitation", lock=lock)


def access_offering(offering_id: object) -> VendorOffering:
    """A listed (active) offering, as any requester may see it."""
    queryset = VendorOffering.objects.select_related("vendor").filter(is_active=True, vendor__is_active=True)
    return get_or_not_found(queryset, offering_id, "vendor offering", lock=False)


def access_offering_as_vendor(vendor: Organization, offering_id: object, *, lock: bool = False) -> VendorOffering:
    """One of the vendor's own offerings, withdrawn ones included."""
    return get_or_not_found(VendorOffering.objects.filter(vendor=vendor), offering_id, "vendor offering", lock=lock)


def access_subscription_as_requester(
    requester: Organization, subscription_id: object, *, lock: bool = False
) -> VendorSubscription:
    queryset = VendorSubscription.objects.select_related("offering", "offering__vendor").filter(requester=requester)
    return get_or_not_found(queryset, subscription_id, "vendor subscription", lock=lock)


def access_subscription_as_vendor(
    vendor: Organization, subscription_id: object, *, lock: bool = False
) -> VendorSubscription:
    queryset = VendorSubscription.objects.select_related("offering", "requester").filter(offering__vendor=vendor)
    return get_or_not_found(queryset, subscription_id, "vendor subscription", lock=lock)


def access_api_key(requester: Organization, api_key_id: object, *, lock: bool = False) -> ApiKey:
    return get_or_not_found(ApiKey.objects.filter(organization=requester), api_key_id, "API key", lock=lock)


def access_worker(worker_id: object) -> Worker:
    """An active worker by id, as a requester may name one (to invite it)."""
    return get_or_not_found(Worker.objects.filter(is_active=True), worker_id, "worker", lock=False)


def access_worker_of_requester(requester: Organization, worker_id: object) -> Worker:
    """A worker who holds or held an assignment on one of the requester's tasks (whose record
    the requester may read); any other worker is ``NotFound``."""
    did_work = Assignment.objects.filter(worker=OuterRef("pk"), task__requester=requester)
    return get_or_not_found(Worker.objects.filter(Exists(did_work)), worker_id, "worker", lock=False)


def access_qualification_type(requester: Organization, qualification_type_id: object) -> QualificationType:
    """One of the requester's own types (deactivated ones too) or a system type."""
    queryset = QualificationType.objects.filter(Q(owner=requester) | Q(owner__isnull=True))
    return get_or_not_found(queryset, qualification_type_id, "qualification type", lock=False)


def access_qualification_test(worker: Worker, qualification_type_id: object) -> QualificationType:
    """An active test type the worker may take (its requester is active and does not block it)."""
    return get_or_not_found(available_tests(worker), qualification_type_id, "qualification test", lock=False)


def access_worker_block(requester: Organization, worker_id: object) -> WorkerBlock:
    """The requester's block on this worker (looked up by worker id)."""
    try:
        return WorkerBlock.objects.get(requester=requester, worker_id=_as_id(worker_id))
    except (ValueError, TypeError, WorkerBlock.DoesNotExist):
        raise NotFound(f"no block on worker {worker_id}") from None


def access_worker_of_vendor(vendor: Organization, worker_id: object, *, lock: bool = False) -> Worker:
    """A worker the vendor manages (created on its team page), in a team or not; any other
    worker is ``NotFound``."""
    return get_or_not_found(Worker.objects.filter(vendor=vendor), worker_id, "worker", lock=lock)


def access_workteam_of_vendor(vendor: Organization, workteam_id: object, *, lock: bool = False) -> Workteam:
    """One of the vendor's active workteams (its offerings' teams)."""
    queryset = Workteam.objects.filter(owner=vendor, kind=Workteam.Kind.VENDOR, is_active=True)
    return get_or_not_found(queryset, workteam_id, "workteam", lock=lock)


def access_webhook_endpoint(requester: Organization, endpoint_id: object, *, lock: bool = False) -> WebhookEndpoint:
    """One of the requester's webhook endpoints, active or disabled."""
    queryset = WebhookEndpoint.objects.filter(organization=requester)
    return get_or_not_found(queryset, endpoint_id, "webhook endpoint", lock=lock)


def access_event(requester: Organization, public_id: str) -> Event:
    """One of the requester's events, by the ``id`` its body carries (``evt_…``)."""
    try:
        return Event.objects.get(organization=requester, public_id=public_id)
    except Event.DoesNotExist:
        raise NotFound(f"event {public_id} not found") from None


def access_appeal_as_requester(requester: Organization, appeal_id: object) -> Appeal:
    """An appeal of one of the requester's rejections (with its assignment and task). Not
    locked: an appeal changes only under its assignment's row lock (``services.appeals``)."""
    queryset = Appeal.objects.select_related("assignment", "assignment__task").filter(requester=requester)
    return get_or_not_found(queryset, appeal_id, "appeal", lock=False)


def access_requester_as_worker(worker: Worker, requester_id: object) -> Organization:
    """A requester whose public profile ``worker`` may read: one that posted work to a workteam
    the worker belongs to, or one the worker has worked for. Others (and vendors) are 404, so a
    worker cannot list every organization by id."""
    member_of = WorkteamMembership.objects.filter(worker=worker).values("workteam_id")
    posted_to_me = Task.objects.filter(requester=OuterRef("pk"), workteam_id__in=member_of)
    worked_for = Assignment.objects.filter(worker=worker, task__requester=OuterRef("pk"))
    queryset = Organization.objects.filter(kind=Organization.Kind.REQUESTER, is_active=True).filter(
        Exists(posted_to_me) | Exists(worked_for)
    )
    return get_or_not_found(queryset, requester_id, "requester", lock=False)
