"""Inputs of a requester's workteams (``POST /api/v1/workteams`` and its invitations), API keys
(``POST /api/v1/api-keys``) and vendor subscriptions (``POST /api/v1/vendor-subscriptions``).

Whether the worker or the offering exists is the view's to check (a 400 naming the field).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from .base import Input
from .fields import Checked, Id, refuse

WORKTEAM_NAME_MESSAGE = "must be 1 to 200 characters"


def _workteam_name(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= 200:
        raise refuse(WORKTEAM_NAME_MESSAGE)
    return value.strip()


def _key_name(value: Any) -> str:
    if not isinstance(value, str):
        raise refuse("must be a string")
    return value


class WorkteamCreate(Input):
    """A private workteam of your own (empty until invited workers accept)."""

    missing_messages: ClassVar[dict[str, str]] = {"name": WORKTEAM_NAME_MESSAGE}

    name: Annotated[str, Checked(_workteam_name, {"type": "string", "minLength": 1, "maxLength": 200})]


class InvitationCreate(Input):
    """Invite a worker, by id, to one of your workteams."""

    missing_messages: ClassVar[dict[str, str]] = {"worker_id": "must be an integer"}

    worker_id: Id


class ApiKeyCreate(Input):
    """A new API key (and its AWS-style key pair), optionally named."""

    name: Annotated[str, Checked(_key_name, {"type": "string"})] = ""


class VendorSubscriptionCreate(Input):
    """Ask to subscribe to a vendor offering."""

    missing_messages: ClassVar[dict[str, str]] = {"offering_id": "must be an integer"}

    offering_id: Id
