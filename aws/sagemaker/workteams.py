"""Ground Truth's workteam operations over Groundwork's workteams (``aws.sagemaker.arns`` says
how they are named). Private teams are the requester's own; subscribed workteams are the vendor
teams it subscribes to; the public workforce is listed too, as the team a job may target.

Members join a Groundwork team by invitation (REST, the portal), not through Cognito or OIDC
groups: ``MemberDefinitions`` is accepted and answered as an empty list.
"""

from __future__ import annotations

from marketplace.access import access_workteam
from marketplace.models import Workteam
from marketplace.selectors.workteams import subscribed_workteams, targetable_workteams
from marketplace.services.workteams import workteam_create, workteam_deactivate, workteam_update

from ..calls import AwsCall
from ..errors import ResourceInUse, ResourceNotFound
from ..protocol import paginate
from ..registry import operation
from .arns import (
    own_workteam_by_name,
    targetable_workteam_by_arn,
    targetable_workteam_by_name,
    workforce_arn,
    workteam_arn,
    workteam_name,
)

SAGEMAKER = "sagemaker"


def workteam_dict(call: AwsCall, workteam: Workteam) -> dict:
    offering = getattr(workteam, "offering", None) if workteam.kind == Workteam.Kind.VENDOR else None
    return {
        "WorkteamName": workteam_name(workteam),
        "MemberDefinitions": [],
        "WorkteamArn": workteam_arn(call, workteam),
        "WorkforceArn": workforce_arn(call, workteam),
        "ProductListingIds": [f"offering-{offering.pk}"] if offering else None,
        "Description": workteam.description or workteam.name,
        "CreateDate": workteam.created_at,
        "LastUpdatedDate": workteam.updated_at,
    }


@operation(SAGEMAKER, "CreateWorkteam")
def create_workteam(call: AwsCall) -> dict:
    """A private workteam. Ground Truth names are identifiers, so a name one of the requester's
    active teams already has is ``ResourceInUse``."""
    name = call.params["WorkteamName"]
    if Workteam.objects.filter(owner=call.organization, is_active=True, name=name).exists():
        raise ResourceInUse(f"Workteam {name} already exists")
    workteam = workteam_create(owner=call.organization, name=name, description=call.params["Description"])
    return {"WorkteamArn": workteam_arn(call, workteam)}


@operation(SAGEMAKER, "DescribeWorkteam")
def describe_workteam(call: AwsCall) -> dict:
    return {"Workteam": workteam_dict(call, targetable_workteam_by_name(call, call.params["WorkteamName"]))}


@operation(SAGEMAKER, "UpdateWorkteam")
def update_workteam(call: AwsCall) -> dict:
    """Only the description changes (members join by invitation)."""
    workteam = access_workteam(call.organization, own_workteam_by_name(call, call.params["WorkteamName"]).pk)
    if "Description" in call.params:
        workteam = workteam_update(workteam=workteam, description=call.params["Description"])
    return {"Workteam": workteam_dict(call, workteam)}


@operation(SAGEMAKER, "DeleteWorkteam")
def delete_workteam(call: AwsCall) -> dict:
    workteam = access_workteam(call.organization, own_workteam_by_name(call, call.params["WorkteamName"]).pk)
    workteam_deactivate(workteam=workteam)
    return {"Success": True}


_SORT_FIELDS = {"Name": "name", "CreateDate": "created_at"}


def _ordered(call: AwsCall, queryset, *, default: str):
    field = _SORT_FIELDS.get(call.params.get("SortBy", default), "created_at")
    descending = call.params.get("SortOrder", "Ascending") == "Descending"
    return queryset.order_by(f"-{field}" if descending else field, "-pk" if descending else "pk")


@operation(SAGEMAKER, "ListWorkteams")
def list_workteams(call: AwsCall) -> dict:
    """Every workteam the requester may post work to: the public workforce, its own private
    teams and the vendor teams it subscribes to (as ``GET /api/v1/workteams``)."""
    queryset = targetable_workteams(call.organization).select_related("owner", "offering")
    if "NameContains" in call.params:
        queryset = queryset.filter(name__icontains=call.params["NameContains"])
    page, next_token = paginate(call, _ordered(call, queryset, default="CreateDate"))
    return {"Workteams": [workteam_dict(call, team) for team in page], "NextToken": next_token}


def _subscribed_dict(call: AwsCall, workteam: Workteam) -> dict:
    offering = workteam.offering
    return {
        "WorkteamArn": workteam_arn(call, workteam),
        "MarketplaceTitle": offering.name[:200],
        "SellerName": offering.vendor.name,
        "MarketplaceDescription": offering.description[:200] or None,
        "ListingId": f"offering-{offering.pk}",
    }


@operation(SAGEMAKER, "ListSubscribedWorkteams")
def list_subscribed_workteams(call: AwsCall) -> dict:
    """The vendor workteams the requester actively subscribes to (``services.vendors``)."""
    queryset = (
        Workteam.objects.filter(subscribed_workteams(call.organization), is_active=True)
        .select_related("owner", "offering__vendor")
        .distinct()
        .order_by("pk")
    )
    if "NameContains" in call.params:
        queryset = queryset.filter(name__icontains=call.params["NameContains"])
    page, next_token = paginate(call, queryset)
    return {"SubscribedWorkteams": [_subscribed_dict(call, team) for team in page], "NextToken": next_token}


@operation(SAGEMAKER, "DescribeSubscribedWorkteam")
def describe_subscribed_workteam(call: AwsCall) -> dict:
    workteam = targetable_workteam_by_arn(call, call.params["WorkteamArn"], field="WorkteamArn")
    if workteam.kind != Workteam.Kind.VENDOR:
        raise ResourceNotFound(f"{call.params['WorkteamArn']} is not a subscribed vendor workteam")
    return {"SubscribedWorkteam": _subscribed_dict(call, workteam)}
