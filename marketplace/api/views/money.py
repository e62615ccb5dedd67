"""``/api/v1/balance``, ``/statement``, ``/bonuses``: a requester's money.

No endpoint here credits a requester: only operators deposit (``manage.py deposit``, admin)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from ...inputs import validate
from ...inputs.bonuses import BonusPay
from ...money import format_micros
from ...selectors import ledger as statements
from ...services import bonuses
from ..base import RequesterAPIView
from ..serializers.money import MoneyString
from ..statement_responses import STATEMENT_PARAMETERS, STATEMENT_RESPONSES, statement_response


class BalanceView(RequesterAPIView):
    @extend_schema(
        responses=inline_serializer("Balance", {"available": MoneyString(), "on_hold": MoneyString()}),
        description="`available` can be spent; `on_hold` is reserved in the escrow of posted work.",
    )
    def get(self, request):
        """Read your balance."""
        balance = statements.requester_balance(self.requester)
        return Response(
            {"available": format_micros(balance.available_micros), "on_hold": format_micros(balance.on_hold_micros)}
        )


class StatementView(RequesterAPIView):
    @extend_schema(
        parameters=[
            *STATEMENT_PARAMETERS,
            OpenApiParameter("account", str, enum=["available", "escrow"], description="one account kind only"),
        ],
        responses=STATEMENT_RESPONSES,
    )
    def get(self, request):
        """Read your statement.

        The entries of your accounts (deposits, reserves, payments, fees, releases, bonuses), oldest first.
        `from` and `to` bound the UTC days, `account` keeps one account; `format=csv` streams every entry as
        CSV instead of a page.
        """
        entries = statements.requester_statement(
            self.requester,
            account=request.query_params.get("account"),
            since=request.query_params.get("from"),
            until=request.query_params.get("to"),
        )
        return statement_response(request, entries, statements.REQUESTER_COLUMNS, "statement")


class BonusesView(RequesterAPIView):
    @extend_schema(
        request=BonusPay,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Required here: a bonus is paid once per key (docs/api.md).",
            )
        ],
        responses={
            201: inline_serializer(
                "Bonus",
                {
                    "id": serializers.IntegerField(),
                    "worker_id": serializers.IntegerField(),
                    "amount": MoneyString(),
                    "fee": MoneyString(),
                    "reason": serializers.CharField(),
                    "assignment_id": serializers.IntegerField(allow_null=True),
                    "created_at": serializers.DateTimeField(),
                },
            )
        },
        description="Pay a worker who did work for you a bonus from the available balance, plus the platform "
        "fee (402 when the balance cannot cover both). The Idempotency-Key header is required.",
    )
    def post(self, request):
        """Pay a worker a bonus."""
        data = request.data  # a body JSON cannot carry is refused first, as by every endpoint
        idempotency_key = request.headers.get("Idempotency-Key")
        bonuses.bonus_idempotency_key_check(idempotency_key)
        body = validate(BonusPay, data)
        bonus, _ = bonuses.bonus_pay(
            requester=self.requester,
            worker_id=body.worker_id,
            amount_micros=body.amount,
            reason=body.reason,
            assignment_id=body.assignment_id,
            idempotency_key=idempotency_key,
        )
        return Response(
            {
                "id": bonus.transaction_id,
                "worker_id": bonus.worker_id,
                "amount": format_micros(bonus.amount_micros),
                "fee": format_micros(bonus.fee_micros),
                "reason": bonus.reason,
                "assignment_id": bonus.assignment_id,
                "created_at": bonus.created_at.isoformat(),
            },
            status=201,
        )
