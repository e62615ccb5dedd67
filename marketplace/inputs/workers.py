"""Inputs of a worker's own operations: sign-up (``POST /api/v1/worker/signup``), a payout
request (``POST /api/v1/worker/payouts``) and a qualification test's answers.

What the username and locale may be, the minimum payout and the number of answers are the
services' to check: they are shared with the operator's command and the vendor portal's forms.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from ..money import parse_amount_micros
from .base import Input
from .fields import AnyJson, Checked, Json, Money, refuse


def _amount(value: Any) -> str:
    try:
        parse_amount_micros(value)
    except ValueError as exc:
        raise refuse(str(exc)) from None
    return value


class Signup(Input):
    """A new worker in the public workforce."""

    username: Annotated[Any, Json(description="3 to 150 characters: letters, digits and _ . @ + -")] = None
    locale: Annotated[Any, Json(description='ISO 3166-1 alpha-2 country code, e.g. "US"')] = None


class PayoutCreate(Input):
    """Ask to be paid out part of your earnings (a decimal string, as the service takes it)."""

    amount: Annotated[str, Checked(_amount, Money().schema())]


class QualificationTestAnswers(Input):
    """One answer per question, in order."""

    missing_messages: ClassVar[dict[str, str]] = {"answers": "is required"}

    answers: AnyJson
