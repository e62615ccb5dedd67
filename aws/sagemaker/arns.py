"""ARNs of Groundwork's workteams and labeling jobs, and workteams found by ARN or name.

- A labeling job: ``arn:aws:sagemaker:<region>:<account>:labeling-job/<name, lower case>``.
- The public workforce: ``arn:aws:sagemaker:<region>:394669845002:workteam/public-crowd/default``,
  Ground Truth's own; any workteam ARN containing ``public`` names it, so scripts written for
  Ground Truth's public workforce run unchanged.
- A private workteam: ``…:workteam/private-crowd/<name>``; a vendor's: ``…:workteam/vendor-crowd/<name>``.
  The name is the Groundwork workteam's name, with every run of characters a Ground Truth name
  cannot hold made a hyphen. Groundwork does not require names to be unique: a name two of the
  requester's workteams share finds the newest.

``<account>`` is the owning organization's id as 12 digits; any account and region are accepted
when an ARN is read.
"""

from __future__ import annotations

import re

from marketplace.models import Organization, Workteam
from marketplace.selectors.workteams import targetable_workteams
from marketplace.services.workteams import public_workforce

from ..calls import AwsCall
from ..errors import ResourceNotFound, ValidationException

PUBLIC_ACCOUNT = "394669845002"  # Ground Truth's public workforce account, as in its ARN
_WORKTEAM_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[^:]*:[^:]*:workteam/([^/]+)/([^/]+)$")
_SEGMENTS: dict[str, str] = {
    Workteam.Kind.PUBLIC: "public-crowd",
    Workteam.Kind.PRIVATE: "private-crowd",
    Workteam.Kind.VENDOR: "vendor-crowd",
}


def account_id(organization: Organization | None) -> str:
    return PUBLIC_ACCOUNT if organization is None else f"{organization.pk:012d}"


def workteam_name(workteam: Workteam) -> str:
    """The workteam's name as Ground Truth spells names (letters, digits, hyphens; 63 at most)."""
    if workteam.kind == Workteam.Kind.PUBLIC:
        return "default"
    return re.sub(r"[^A-Za-z0-9]+", "-", workteam.name).strip("-")[:63].strip("-") or f"workteam-{workteam.pk}"


def workteam_arn(call: AwsCall, workteam: Workteam) -> str:
    account = PUBLIC_ACCOUNT if workteam.kind == Workteam.Kind.PUBLIC else account_id(workteam.owner)
    return f"arn:aws:sagemaker:{call.region}:{account}:workteam/{_SEGMENTS[workteam.kind]}/{workteam_name(workteam)}"


def workforce_arn(call: AwsCall, workteam: Workteam) -> str:
    account = PUBLIC_ACCOUNT if workteam.kind == Workteam.Kind.PUBLIC else account_id(workteam.owner)
    return f"arn:aws:sagemaker:{call.region}:{account}:workforce/{workteam.kind}"


def labeling_job_arn(call: AwsCall, name: str) -> str:
    return f"arn:aws:sagemaker:{call.region}:{call.account_id}:labeling-job/{name.lower()}"


def _named(workteams, name: str) -> Workteam | None:
    return next((team for team in workteams.order_by("-pk") if workteam_name(team) == name), None)


def targetable_workteam_by_arn(call: AwsCall, arn: str, *, field: str) -> Workteam:
    """The workteam an ARN names among those the requester may post work to (the public
    workforce, its own, the vendor teams it subscribes to); ``ResourceNotFound`` otherwise."""
    found = _WORKTEAM_ARN.match(arn)
    if found is None:
        raise ValidationException(f"{field}: {arn!r} is not a workteam ARN (arn:aws:sagemaker:…:workteam/…/<name>)")
    if "public" in arn:
        return public_workforce()
    kind = {"private-crowd": Workteam.Kind.PRIVATE, "vendor-crowd": Workteam.Kind.VENDOR}.get(found.group(1))
    team = _named(targetable_workteams(call.organization).filter(kind=kind), found.group(2)) if kind else None
    if team is None:
        raise ResourceNotFound(f"{field}: no workteam {arn} that you may post work to")
    return team


def targetable_workteam_by_name(call: AwsCall, name: str) -> Workteam:
    """A workteam the requester may post work to, by its Ground Truth name."""
    if name == "default":
        return public_workforce()
    team = _named(targetable_workteams(call.organization), name)
    if team is None:
        raise ResourceNotFound(f"Workteam {name} does not exist")
    return team


def own_workteam_by_name(call: AwsCall, name: str) -> Workteam:
    """One of the requester's own active workteams, by its Ground Truth name (what it may
    update or delete)."""
    team = _named(Workteam.objects.filter(owner=call.organization, is_active=True), name)
    if team is None:
        raise ResourceNotFound(f"Workteam {name} does not exist")
    return team
