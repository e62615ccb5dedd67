"""Inputs of a worker's assignment operations, over REST and over the worker socket alike.

``AssignmentSubmit`` is ``POST /api/v1/worker/assignments/{id}/submit``; the socket's messages
(docs/realtime.md) are the same declarations with the message's ``type``, ``ref`` and
``assignment_id``: one declaration per operation whichever way it arrives. What the answer must
be is the task's to say (``answer_validation``), checked by the submit service.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict

from .base import Input
from .fields import AnyJson, Choice, Id, Json

MESSAGE_TYPES = ("ready", "submit", "return", "ping")
Ref = Annotated[Any, Json(description="echoed in the reply, to match it to this message")]


class AssignmentSubmit(Input):
    """``POST /api/v1/worker/assignments/{id}/submit``: the answer, in the task's format."""

    model_config = ConfigDict(title="Submit")  # its name in the OpenAPI document

    answer: AnyJson


class _Message(Input):
    type: Annotated[str, Choice(MESSAGE_TYPES)]
    ref: Ref = None


class ReadyMessage(_Message):
    """``ready``: a standing request for one task."""


class PingMessage(_Message):
    """``ping``: answered by ``pong``."""


class SubmitMessage(_Message):
    """``submit``: the socket's ``AssignmentSubmit``."""

    missing_messages: ClassVar[dict[str, str]] = {"assignment_id": "must be an integer"}

    assignment_id: Id
    answer: AnyJson


class ReturnMessage(_Message):
    """``return``: give an assignment back."""

    missing_messages: ClassVar[dict[str, str]] = {"assignment_id": "must be an integer"}

    assignment_id: Id
