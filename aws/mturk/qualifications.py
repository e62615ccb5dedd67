"""Mechanical Turk's qualification operations over Groundwork's qualification types and grants
(``QualificationTypeId`` = type id; MTurk's system ids for approval rate, approved count and
locale name Groundwork's system types: ``shapes.SYSTEM_TYPE_IDS``).

Groundwork grants a type by hand (here: AssociateQualificationWithWorker), by a test of its own
(REST: docs/qualifications.md) or automatically from reputation: MTurk's QuestionForm tests,
answer keys and ``AutoGranted`` on request are not offered (a ``RequestError`` names them).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from marketplace.access import access_worker
from marketplace.inputs import validate
from marketplace.inputs.qualifications import (
    QualificationGrantCreate,
    QualificationTypeCreate,
    QualificationTypeDescribe,
)
from marketplace.models import QualificationGrant, QualificationType
from marketplace.services.qualifications import (
    qualification_grant,
    qualification_revoke,
    qualification_type_create,
    qualification_type_deactivate,
    qualification_type_describe,
    system_qualification_types,
    worker_qualification_values,
)

from ..calls import AwsCall
from ..errors import RequestError
from ..protocol import paginate
from ..registry import operation
from .shapes import int_id, qualification_type_id_out, qualification_type_of

UNSUPPORTED = ("Test", "AnswerKey", "TestDurationInSeconds", "RetryDelayInSeconds")


def _refuse_unsupported(params: dict[str, Any]) -> None:
    for name in UNSUPPORTED:
        if name in params:
            raise RequestError(f"{name} is not supported by Groundwork: its qualification tests are set over REST")
    if params.get("AutoGranted"):
        raise RequestError("AutoGranted is not supported by Groundwork: grant with AssociateQualificationWithWorker")


def type_out(qualification_type: QualificationType) -> dict[str, Any]:
    is_test = qualification_type.grant_method == QualificationType.GrantMethod.TEST
    return {
        "QualificationTypeId": qualification_type_id_out(qualification_type),
        "CreationTime": qualification_type.created_at,
        "Name": qualification_type.name,
        "Description": qualification_type.description,
        "QualificationTypeStatus": "Active" if qualification_type.is_active else "Inactive",
        "RetryDelayInSeconds": qualification_type.test_retry_delay_seconds if is_test else None,
        "IsRequestable": is_test,
        "AutoGranted": False,
    }


def _grant_out(qualification_type: QualificationType, grant: QualificationGrant) -> dict[str, Any]:
    return {
        "QualificationTypeId": qualification_type_id_out(qualification_type),
        "WorkerId": str(grant.worker_id),
        "GrantTime": grant.granted_at,
        "IntegerValue": grant.value,
        "Status": "Granted",
    }


def _owned_type(call: AwsCall) -> QualificationType:
    return qualification_type_of(call.organization, call.params["QualificationTypeId"])


@operation("mturk", "CreateQualificationType")
def create_qualification_type(call: AwsCall) -> dict[str, Any]:
    params = call.params
    _refuse_unsupported(params)
    spec = validate(QualificationTypeCreate, {"name": params["Name"], "description": params["Description"]})
    qualification_type = qualification_type_create(
        requester=call.organization, name=spec.name, description=spec.description, grant_fields=spec.grant_fields()
    )
    if params["QualificationTypeStatus"] == "Inactive":
        qualification_type = qualification_type_deactivate(
            requester=call.organization, qualification_type=qualification_type
        )
    return {"QualificationType": type_out(qualification_type)}


@operation("mturk", "GetQualificationType")
def get_qualification_type(call: AwsCall) -> dict[str, Any]:
    return {"QualificationType": type_out(_owned_type(call))}


@operation("mturk", "ListQualificationTypes")
def list_qualification_types(call: AwsCall) -> dict[str, Any]:
    """The caller's types and, unless ``MustBeOwnedByCaller``, the system types; ``Query``
    matches names; ``MustBeRequestable`` keeps the types a worker can earn by a test."""
    params = call.params
    owners = Q(owner=call.organization)
    if not params.get("MustBeOwnedByCaller", False):
        system_qualification_types()  # made on first use
        owners |= Q(owner__isnull=True)
    types = QualificationType.objects.filter(owners)
    if params.get("Query"):
        types = types.filter(name__icontains=params["Query"])
    if params["MustBeRequestable"]:
        types = types.filter(grant_method=QualificationType.GrantMethod.TEST, is_active=True)
    rows, next_token = paginate(call, types.order_by("id"))
    return {"QualificationTypes": [type_out(t) for t in rows], "NumResults": len(rows), "NextToken": next_token}


@operation("mturk", "UpdateQualificationType")
def update_qualification_type(call: AwsCall) -> dict[str, Any]:
    """``Description`` replaces the description; ``QualificationTypeStatus`` ``Inactive``
    deactivates the type (Groundwork does not reactivate one)."""
    params = call.params
    _refuse_unsupported(params)
    qualification_type = _owned_type(call)
    if params.get("QualificationTypeStatus") == "Active" and not qualification_type.is_active:
        raise RequestError("a deactivated qualification type cannot be made Active again in Groundwork")
    if "Description" in params:
        described = validate(QualificationTypeDescribe, {"description": params["Description"]})
        qualification_type = qualification_type_describe(
            requester=call.organization, qualification_type=qualification_type, description=described.description
        )
    if params.get("QualificationTypeStatus") == "Inactive":
        qualification_type = qualification_type_deactivate(
            requester=call.organization, qualification_type=qualification_type
        )
    return {"QualificationType": type_out(qualification_type)}


@operation("mturk", "DeleteQualificationType")
def delete_qualification_type(call: AwsCall) -> dict[str, Any]:
    """Deactivates the type (kept: requirements already posted keep being enforced)."""
    qualification_type_deactivate(requester=call.organization, qualification_type=_owned_type(call))
    return {}


@operation("mturk", "AssociateQualificationWithWorker")
def associate_qualification_with_worker(call: AwsCall) -> dict[str, Any]:
    qualification_type = _owned_type(call)
    worker = access_worker(int_id(call.params["WorkerId"], "WorkerId"))
    grant = validate(QualificationGrantCreate, {"worker_id": worker.pk, "value": call.params.get("IntegerValue", 1)})
    qualification_grant(
        requester=call.organization, qualification_type=qualification_type, worker=worker, value=grant.value
    )
    return {}


@operation("mturk", "DisassociateQualificationFromWorker")
def disassociate_qualification_from_worker(call: AwsCall) -> dict[str, Any]:
    worker_id = int_id(call.params["WorkerId"], "WorkerId")
    if not qualification_revoke(requester=call.organization, qualification_type=_owned_type(call), worker_id=worker_id):
        raise RequestError(
            f"Worker {worker_id} does not hold this qualification",
            turk_error_code="AWS.MechanicalTurk.QualificationDoesNotExist",
        )
    return {}


@operation("mturk", "ListWorkersWithQualificationType")
def list_workers_with_qualification_type(call: AwsCall) -> dict[str, Any]:
    """Workers granted the type (``Status`` ``Revoked``: none are kept). System types have no
    grants: their values are computed live (GetQualificationScore)."""
    qualification_type = _owned_type(call)
    grants = QualificationGrant.objects.filter(qualification_type=qualification_type).order_by("id")
    if call.params.get("Status", "Granted") == "Revoked":
        grants = grants.none()
    rows, next_token = paginate(call, grants)
    return {
        "Qualifications": [_grant_out(qualification_type, grant) for grant in rows],
        "NumResults": len(rows),
        "NextToken": next_token,
    }


@operation("mturk", "GetQualificationScore")
def get_qualification_score(call: AwsCall) -> dict[str, Any]:
    """The worker's value of the type: its grant, or a system type's live value."""
    qualification_type = _owned_type(call)
    worker = access_worker(int_id(call.params["WorkerId"], "WorkerId"))
    value = worker_qualification_values(worker=worker, type_ids=[qualification_type.pk]).get(qualification_type.pk)
    if value is None:
        raise RequestError(
            f"Worker {worker.pk} does not hold this qualification",
            turk_error_code="AWS.MechanicalTurk.QualificationDoesNotExist",
        )
    grant = QualificationGrant.objects.filter(qualification_type=qualification_type, worker=worker).first()
    shown: dict[str, Any] = {
        "QualificationTypeId": qualification_type_id_out(qualification_type),
        "WorkerId": str(worker.pk),
        "GrantTime": grant.granted_at if grant else None,
        "Status": "Granted",
    }
    if isinstance(value, str):
        shown["LocaleValue"] = {"Country": value}
    else:
        shown["IntegerValue"] = value
    return {"Qualification": shown}
