"""The AWS JSON 1.1 protocol's data rules, read from botocore's installed service models.

- Requests are checked against the operation's input shape with botocore's own validator
  (required members, types, minimums), and their timestamps (epoch seconds) become aware
  datetimes.
- Answers are shaped by the output shape: members the model does not have, a missing required
  member or a wrong type is a bug here (``OutputShapeError``, a 5xx), so a response botocore
  parses is a response the model describes. Datetimes become epoch seconds; ``None`` members
  are left out, as AWS leaves out what it does not have.
- ``NextToken`` is opaque and signed (tampering is a ``ValidationException``/``RequestError``),
  bound to the operation and the organization; ``MaxResults`` is bounded.

The models are never copied into the repository: ``botocore.session`` loads the installed ones.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.utils import parse_timestamp
from botocore.validate import ParamValidator
from django.core import signing
from django.db.models import QuerySet

from .calls import AwsCall
from .errors import MTURK, invalid_parameter

T = TypeVar("T")


class OutputShapeError(ValueError):
    """An answer that does not fit botocore's model of the operation (a bug in an operation)."""


@functools.cache
def service_model(service: str) -> ServiceModel:
    """botocore's model of ``"mturk"`` (2017-01-17) or ``"sagemaker"`` (2017-07-24)."""
    return botocore.session.get_session().get_service_model(service)


def operation_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)


# Requests --------------------------------------------------------------------------------------


def parse_input(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` checked against the operation's input shape, timestamps as aware datetimes;
    a refusal names the member (``invalid_parameter``)."""
    shape = operation_model(service, operation).input_shape
    if shape is None:
        if params:
            raise invalid_parameter(f"{operation} takes no parameters", service=service)
        return {}
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        raise invalid_parameter(report.generate_report(), service=service)
    return _timestamps_in(shape, params)


def _timestamps_in(shape: Shape, value: Any) -> Any:
    if shape.type_name == "structure":
        return {key: _timestamps_in(shape.members[key], item) for key, item in value.items()}
    if shape.type_name == "list":
        return [_timestamps_in(shape.member, item) for item in value]
    if shape.type_name == "map":
        return {key: _timestamps_in(shape.value, item) for key, item in value.items()}
    if shape.type_name == "timestamp":
        parsed = value if isinstance(value, datetime) else parse_timestamp(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


# Answers ---------------------------------------------------------------------------------------


def shape_output(service: str, operation: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as the JSON the operation's output shape describes (see the module docstring)."""
    shape = operation_model(service, operation).output_shape
    if shape is None:
        if data:
            raise OutputShapeError(f"{operation} has no output, got {sorted(data)}")
        return {}
    return _shaped(shape, data, operation)


_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "double": (int, float),
    "float": (int, float),
}


def _shaped(shape: Shape, value: Any, path: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise OutputShapeError(f"{path}: expected a structure {shape.name}, got {type(value).__name__}")
        unknown = set(value) - set(shape.members)
        if unknown:
            raise OutputShapeError(f"{path}: {shape.name} has no members {sorted(unknown)}")
        out = {
            key: _shaped(shape.members[key], item, f"{path}.{key}") for key, item in value.items() if item is not None
        }
        missing = [name for name in shape.required_members if name not in out]
        if missing:
            raise OutputShapeError(f"{path}: {shape.name} lacks required members {missing}")
        return out
    if kind == "list":
        if not isinstance(value, list | tuple):
            raise OutputShapeError(f"{path}: expected a list, got {type(value).__name__}")
        return [_shaped(shape.member, item, f"{path}[{index}]") for index, item in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            raise OutputShapeError(f"{path}: expected a map, got {type(value).__name__}")
        return {str(key): _shaped(shape.value, item, f"{path}.{key}") for key, item in value.items()}
    if kind == "timestamp":
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise OutputShapeError(f"{path}: expected an aware datetime, got {value!r}")
        return epoch_seconds(value)
    expected = _SCALARS.get(kind)
    if expected is None:
        raise OutputShapeError(f"{path}: {kind} members are not supported")
    if not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool)):
        raise OutputShapeError(f"{path}: expected {kind}, got {value!r}")
    if kind == "string" and shape.enum and value not in shape.enum:
        raise OutputShapeError(f"{path}: {value!r} is not one of {shape.enum}")
    return value


def epoch_seconds(moment: datetime) -> float:
    """A timestamp as the protocol sends it: seconds since the epoch (milliseconds kept)."""
    return round(moment.timestamp(), 3)


# Pagination ------------------------------------------------------------------------------------


def _token_salt(call: AwsCall) -> str:
    return f"groundwork.aws.next-token:{call.service}:{call.operation}:{call.organization.pk}"


def encode_next_token(call: AwsCall, state: dict[str, Any]) -> str:
    """An opaque, signed ``NextToken`` carrying ``state``, valid only for the same operation and
    organization (the salt binds them)."""
    return signing.dumps(state, salt=_token_salt(call), compress=True)


def decode_next_token(call: AwsCall, token: str | None) -> dict[str, Any] | None:
    """The state of a ``NextToken`` made by :func:`encode_next_token`, ``None`` for no token;
    a token that was altered or made for another operation is refused."""
    if token is None:
        return None
    try:
        state = signing.loads(token, salt=_token_salt(call))
    except signing.BadSignature:
        raise invalid_parameter(
            "NextToken is not valid: pass the NextToken of the previous page", service=call.service
        ) from None
    if not isinstance(state, dict):
        raise invalid_parameter("NextToken is not valid", service=call.service)
    return state


def max_results(call: AwsCall, *, default: int, maximum: int = 100, name: str = "MaxResults") -> int:
    """The page size asked for (``default`` when absent); above ``maximum`` is refused, as AWS
    refuses it (the model's minimum is checked by :func:`parse_input`)."""
    value = call.params.get(name, default)
    if value > maximum:
        raise invalid_parameter(
            f"{name} must be at most {maximum}" if call.service != MTURK else f"{name} must be <= {maximum}",
            service=call.service,
        )
    return value


def paginate(
    call: AwsCall,
    rows: QuerySet[Any, T] | Sequence[T],
    *,
    default: int = 10,
    maximum: int = 100,
) -> tuple[list[T], str | None]:
    """One page of ``rows`` (an ordered queryset, or a list) for ``NextToken``/``MaxResults``,
    and the ``NextToken`` of the next page (``None`` on the last), as botocore's paginators
    expect. Offsets: a row added while a client pages may shift a later page by one, as AWS's
    own lists allow."""
    size = max_results(call, default=default, maximum=maximum)
    state = decode_next_token(call, call.params.get("NextToken")) or {}
    offset = state.get("offset", 0)
    if not isinstance(offset, int) or offset < 0:
        raise invalid_parameter("NextToken is not valid", service=call.service)
    window = list(rows[offset : offset + size + 1])
    next_token = encode_next_token(call, {"offset": offset + size}) if len(window) > size else None
    return window[:size], next_token
