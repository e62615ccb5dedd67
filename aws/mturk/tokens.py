"""``UniqueRequestToken``: CreateHIT, CreateHITWithHITType, CreateAdditionalAssignmentsForHIT
(and, through the bonus service's own idempotency key, SendBonus) have their effect once.

Groundwork's choice (docs/aws.md "Idempotency"): a repeat with the same token and the same
parameters answers the original result (the HIT created the first time, as it is now), so a
retried call is safe; the same token with other parameters is MTurk's error naming what the
token made. Records live in REST's idempotency table (``IdempotencyRecord``), scoped to the
organization, the operation and the token, for the same retention (MTurk keeps tokens 24 hours;
Groundwork longer).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from marketplace.models import IdempotencyRecord

from ..calls import AwsCall
from ..errors import RequestError


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def once(call: AwsCall, act: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``act()`` (returning a small JSON record of what it made, e.g. ``{"HITId": "7"}``), once
    per ``UniqueRequestToken``; without a token, every call acts. Runs in one transaction with
    the token's record: a concurrent repeat waits for the first and then answers its record."""
    token = call.params.get("UniqueRequestToken")
    if token is None:
        return act()
    scope = _digest(f"aws:{call.organization.pk}\n{call.operation}\n{token}")
    params = {key: value for key, value in call.params.items() if key != "UniqueRequestToken"}
    body_hash = _digest(json.dumps(params, sort_keys=True, default=str))
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(scope=scope, body_hash=body_hash, status_code=0)
        except IntegrityError:
            record = IdempotencyRecord.objects.get(scope=scope)
            if record.body_hash != body_hash:
                made = ", ".join(f"{key} {value}" for key, value in (record.response_body or {}).items())
                raise RequestError(
                    f"UniqueRequestToken {token!r} was already used with other parameters"
                    + (f" (it made {made})" if made else ""),
                    turk_error_code="AWS.MechanicalTurk.DuplicateRequest",
                ) from None
            return record.response_body or {}
        result = act()
        record.status_code = 200
        record.response_body = result
        record.save(update_fields=["status_code", "response_body"])
    return result
