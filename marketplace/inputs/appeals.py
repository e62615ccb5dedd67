"""Inputs of appeals: the worker's appeal (``POST /api/v1/worker/assignments/{id}/appeal``) and
the requester's decision (``POST /api/v1/appeals/{id}/accept`` and ``/decline``).

Whether the assignment may be appealed, or the appeal decided, is the service's to say
(``services.appeals``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict

from ..services.appeals import MAX_APPEAL_MESSAGE_LENGTH, MAX_APPEAL_REPLY_LENGTH
from .base import Input
from .fields import Text


class AppealCreate(Input):
    """Appeal a rejection: why the answer deserves to be paid."""

    model_config = ConfigDict(title="AppealBody")

    message: Annotated[
        str,
        Text(
            MAX_APPEAL_MESSAGE_LENGTH, required=True, description="why the answer deserves approval (to the requester)"
        ),
    ]


class AppealAccept(Input):
    """Accept an appeal: the assignment is approved and paid; ``reply`` (optional) is told to the worker."""

    model_config = ConfigDict(title="AppealAcceptBody")

    reply: Annotated[
        str, Text(MAX_APPEAL_REPLY_LENGTH, description="told to the worker; becomes the assignment's feedback")
    ] = ""


class AppealDecline(Input):
    """Decline an appeal, telling the worker why (``reply`` is required)."""

    model_config = ConfigDict(title="AppealDeclineBody")

    reply: Annotated[str, Text(MAX_APPEAL_REPLY_LENGTH, required=True, description="why, told to the worker")]
