"""The input of ``POST /api/v1/bonuses`` (MTurk's SendBonus): who, how much, why.

Whether the worker did work for the requester, and the assignment is theirs, is the
service's to check (``services.bonuses.bonus_pay``).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from django.conf import settings
from pydantic import ConfigDict

from ..money import format_micros, parse_amount_micros
from .base import Input
from .fields import Checked, Id, Money, StrictInt, Text, refuse


def _bonus_amount(value: Any) -> int:
    """Money, more than 0 and at most ``BONUS_MAXIMUM_MICROS`` (read when the body is validated)."""
    try:
        micros = parse_amount_micros(value)
    except ValueError as exc:
        raise refuse(str(exc)) from None
    maximum = settings.GROUNDWORK["BONUS_MAXIMUM_MICROS"]
    if not 0 < micros <= maximum:
        raise refuse(f"must be more than 0 and at most {format_micros(maximum)}")
    return micros


class BonusPay(Input):
    """A bonus to a worker who did work for you, optionally for one of their assignments."""

    model_config = ConfigDict(title="BonusCreate")  # its name in the OpenAPI document

    missing_messages: ClassVar[dict[str, str]] = {"worker_id": "must be an integer"}

    worker_id: Id
    amount: Annotated[int, Checked(_bonus_amount, Money().schema())]
    reason: Annotated[str, Text(1000, required=True)]
    assignment_id: Annotated[int | None, StrictInt(null_is_absent=True)] = None
