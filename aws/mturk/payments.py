"""Money operations of Mechanical Turk's requester API: the balance and bonuses."""

from __future__ import annotations

import uuid
from typing import Any

from marketplace.inputs import validate
from marketplace.inputs.bonuses import BonusPay
from marketplace.money import format_micros
from marketplace.selectors.ledger import requester_balance
from marketplace.services.bonuses import bonus_pay, bonuses_paid

from ..calls import AwsCall
from ..errors import RequestError
from ..protocol import paginate
from ..registry import operation
from .shapes import int_id, task_of


@operation("mturk", "GetAccountBalance")
def get_account_balance(call: AwsCall) -> dict:
    """The requester's available balance, and what is on hold in the escrow of its work (as
    ``GET /api/v1/balance`` reports them)."""
    balance = requester_balance(call.organization)
    return {
        "AvailableBalance": format_micros(balance.available_micros),
        "OnHoldBalance": format_micros(balance.on_hold_micros),
    }


@operation("mturk", "SendBonus")
def send_bonus(call: AwsCall) -> dict[str, Any]:
    """``bonus_pay`` (the amount plus the platform fee from the available balance; only to a
    worker who worked for the caller, on one of its assignments). ``UniqueRequestToken`` is the
    bonus's idempotency key, so a repeat never pays twice; without one, every call pays, as on
    MTurk."""
    params = call.params
    token = params.get("UniqueRequestToken")
    body = validate(
        BonusPay,
        {
            "worker_id": int_id(params["WorkerId"], "WorkerId"),
            "amount": params["BonusAmount"],
            "reason": params["Reason"],
            "assignment_id": int_id(params["AssignmentId"], "AssignmentId"),
        },
    )
    bonus_pay(
        requester=call.organization,
        worker_id=body.worker_id,
        amount_micros=body.amount,
        reason=body.reason,
        assignment_id=body.assignment_id,
        idempotency_key=f"mturk:{token}" if token is not None else f"mturk-once:{uuid.uuid4().hex}",
    )
    return {}


@operation("mturk", "ListBonusPayments")
def list_bonus_payments(call: AwsCall) -> dict[str, Any]:
    """The caller's bonuses on one HIT or one assignment (one of the two is required, as on MTurk)."""
    params = call.params
    if ("HITId" in params) == ("AssignmentId" in params):
        raise RequestError("ListBonusPayments takes exactly one of HITId and AssignmentId")
    if "HITId" in params:
        bonuses = bonuses_paid(requester=call.organization, task_id=task_of(call.organization, params["HITId"]).pk)
    else:
        bonuses = bonuses_paid(
            requester=call.organization, assignment_id=int_id(params["AssignmentId"], "AssignmentId")
        )
    rows, next_token = paginate(call, bonuses)
    return {
        "BonusPayments": [
            {
                "WorkerId": str(bonus.worker_id),
                "BonusAmount": format_micros(bonus.amount_micros),
                "AssignmentId": str(bonus.assignment_id) if bonus.assignment_id else None,
                "Reason": bonus.reason,
                "GrantTime": bonus.created_at,
            }
            for bonus in rows
        ],
        "NumResults": len(rows),
        "NextToken": next_token,
    }
