"""The input of ``POST /api/v1/worker-messages`` (and MTurk's NotifyWorkers, which builds the
same body from its parameters): recipients, subject, message.

Whether each recipient worked for the requester is the service's to check
(``services.worker_messages.worker_messages_send``).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from ..jsonbody import is_json_int
from ..services.worker_messages import MAX_MESSAGE_LENGTH, MAX_RECIPIENTS, MAX_SUBJECT_LENGTH
from .base import Input
from .fields import INT64_MAX, Checked, Text, refuse, refuse_fields


def _worker_ids(value: Any) -> list[int]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_RECIPIENTS:
        raise refuse(f"must be a list of 1 to {MAX_RECIPIENTS} worker ids")
    bad = {
        str(index): ["must be a worker id (a positive integer)"]
        for index, worker_id in enumerate(value)
        if not is_json_int(worker_id) or not 0 < worker_id <= INT64_MAX
    }
    if bad:
        raise refuse_fields(bad)
    return value


class WorkerMessageSend(Input):
    """One message to up to 100 workers who have worked for you."""

    missing_messages: ClassVar[dict[str, str]] = {"worker_ids": f"must be a list of 1 to {MAX_RECIPIENTS} worker ids"}

    worker_ids: Annotated[
        list[int],
        Checked(
            _worker_ids,
            {
                "type": "array",
                "items": {"type": "integer", "minimum": 1},
                "minItems": 1,
                "maxItems": MAX_RECIPIENTS,
            },
        ),
    ]
    subject: Annotated[str, Text(MAX_SUBJECT_LENGTH, required=True)]
    message: Annotated[str, Text(MAX_MESSAGE_LENGTH, required=True)]
