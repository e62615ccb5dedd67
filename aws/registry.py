"""``X-Amz-Target`` → the function that serves it.

Operation modules register with ``@operation("mturk", "CreateHIT")``; the name must be an
operation of botocore's model of that service (checked at import). An operation Groundwork does
not offer is answered ``UnknownOperationException`` naming it, for both services (AWS's own
``__type`` for a target it does not know).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .calls import AwsCall
from .errors import MTURK, SAGEMAKER, UnknownOperation
from .protocol import service_model

Operation = Callable[[AwsCall], dict[str, Any]]

# The X-Amz-Target prefix of each service, and the service name its requests are signed for.
TARGET_PREFIXES = {"MTurkRequesterServiceV20170117": MTURK, "SageMaker": SAGEMAKER}
SIGNING_NAMES = {MTURK: "mturk-requester", SAGEMAKER: "sagemaker"}
SERVICE_TITLES = {MTURK: "Mechanical Turk", SAGEMAKER: "SageMaker"}

_operations: dict[tuple[str, str], Operation] = {}


def operation(service: str, name: str) -> Callable[[Operation], Operation]:
    """Register ``fn(call) -> dict`` as ``name`` of ``service`` (``"mturk"`` or ``"sagemaker"``)."""
    if name not in service_model(service).operation_names:
        raise ValueError(f"{name} is not an operation of botocore's {service} model")

    def register(fn: Operation) -> Operation:
        if (service, name) in _operations:
            raise ValueError(f"{service} {name} is registered twice")
        _operations[(service, name)] = fn
        return fn

    return register


def parse_target(target: str) -> tuple[str, str]:
    """``"SageMaker.CreateLabelingJob"`` → ``("sagemaker", "CreateLabelingJob")``."""
    prefix, _, name = target.partition(".")
    service = TARGET_PREFIXES.get(prefix)
    if service is None or not name:
        raise UnknownOperation(
            f"X-Amz-Target {target!r} names no operation Groundwork offers: it must be "
            "MTurkRequesterServiceV20170117.<Operation> or SageMaker.<Operation>"
        )
    return service, name


def lookup(service: str, name: str) -> Operation:
    fn = _operations.get((service, name))
    if fn is None:
        raise UnknownOperation(f"Groundwork does not offer the {SERVICE_TITLES[service]} operation {name}")
    return fn


def registered(service: str) -> list[str]:
    """The operations offered for ``service``, sorted (docs/aws.md lists them)."""
    return sorted(name for svc, name in _operations if svc == service)


def is_read_only(name: str) -> bool:
    """Reads are not rate-limited, as REST's GETs are not (DESIGN.md "Security")."""
    return name.startswith(("Get", "List", "Describe"))
