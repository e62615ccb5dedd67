"""Inputs of a requester's approve and reject (``POST /api/v1/assignments/{id}/approve`` and
``/reject``): feedback for the worker and, on approve, ``override_rejection``.

Whether the assignment may be settled (or its rejection overridden) is the service's to say.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict

from .base import Input
from .fields import Checked, Flag, refuse

MAX_FEEDBACK_LENGTH = 10_000
FEEDBACK_MESSAGE = f"must be a string of at most {MAX_FEEDBACK_LENGTH} characters"


def _feedback(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_FEEDBACK_LENGTH:
        raise refuse(FEEDBACK_MESSAGE)
    return value


Feedback = Annotated[
    str,
    Checked(_feedback, {"type": "string", "maxLength": MAX_FEEDBACK_LENGTH, "description": "shown to the worker"}),
]


class AssignmentReject(Input):
    """Reject an answer, with feedback for the worker."""

    model_config = ConfigDict(title="Feedback")  # its name in the OpenAPI document

    feedback: Feedback = ""


class AssignmentApprove(Input):
    """Approve an answer (a rejected one too, with ``override_rejection``)."""

    model_config = ConfigDict(title="ApproveBody")

    feedback: Feedback = ""
    override_rejection: Annotated[bool, Flag()] = False
