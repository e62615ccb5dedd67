"""The shape of the socket's ``error`` messages (docs/realtime.md), in one place.

An ``error`` carries the ``DomainError``'s ``code`` and ``message`` (and ``fields`` when it
names them), the ``ref`` of the message it answers and, when relevant, its ``assignment_id``:
the same codes REST answers with (a rate limit is ``rate_limited``, a bug ``server_error``).
"""

from __future__ import annotations

import json

from ..errors import DomainError
from ..inputs.fields import is_strict_int


def error_payload(error: DomainError, ref: object = None, assignment_id: object = None) -> dict:
    payload: dict = {"type": "error", "code": error.code, "message": error.message, "ref": ref}
    if error.fields:
        payload["fields"] = error.fields
    if assignment_id is not None:
        payload["assignment_id"] = assignment_id
    return payload


def too_large() -> DomainError:
    return DomainError("the message is too large", code="too_large", status=413)


def server_error() -> DomainError:
    """A bug: said so, and logged by the caller; the socket stays open (its state is the database's)."""
    return DomainError("internal error; it has been logged", code="server_error", status=500)


def ref_and_assignment_id(text_data: str) -> tuple[object, object]:
    """The ``ref`` and ``assignment_id`` of a message refused as a whole, when they are
    themselves clean (an integer, or a short string of valid text), to echo in its ``error``."""
    try:
        message = json.loads(text_data)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(message, dict):
        return None, None
    ref, assignment_id = (_clean_scalar(message.get(name)) for name in ("ref", "assignment_id"))
    return ref, assignment_id


def _clean_scalar(value: object) -> object:
    if is_strict_int(value) and abs(value) < 2**63:
        return value
    if isinstance(value, str) and len(value) <= 200 and "\x00" not in value:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            return None
        return value
    return None
