"""Reading a JSON object body in the views that take one (the ``400`` when it is not an object)."""

from __future__ import annotations

from .. import access
from ..errors import InvalidInput, NotFound
from ..models import Worker


def body_object(request) -> dict:
    """The JSON object body, or a 400 ``invalid`` (``non_field_errors``: "must be an object")."""
    data = request.data
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", fields={"non_field_errors": ["must be an object"]})
    return data


def named_worker(worker_id: int) -> Worker:
    """The active worker a body names in ``worker_id`` (validated as an integer by its
    declaration): a 400 naming the field when there is none."""
    try:
        return access.access_worker(worker_id)
    except NotFound:
        raise InvalidInput.for_field("worker_id", "no such worker") from None
