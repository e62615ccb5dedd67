"""Money operations of Mechanical Turk's requester API."""

from __future__ import annotations

from marketplace.money import format_micros
from marketplace.services.ledger import requester_balance

from ..calls import AwsCall
from ..registry import operation


@operation("mturk", "GetAccountBalance")
def get_account_balance(call: AwsCall) -> dict:
    """The requester's available balance, and what is on hold in the escrow of its work (as
    ``GET /api/v1/balance`` reports them)."""
    balance = requester_balance(call.organization)
    return {
        "AvailableBalance": format_micros(balance.available_micros),
        "OnHoldBalance": format_micros(balance.on_hold_micros),
    }
