"""Money over the API: balance, statements, bonuses (requesters); statement and payouts (workers).

No endpoint here credits a requester: only operators deposit (``manage.py deposit``, admin).
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from ..errors import InvalidInput
from ..models import Payout
from ..money import format_micros
from ..selectors import ledger as statements
from ..services import bonuses, payouts
from .base import RequesterAPIView, WorkerAPIView
from .pagination import paginated_response

MoneyField = serializers.CharField  # decimal strings in USD (DESIGN.md "Money")

STATEMENT_PARAMETERS = [
    OpenApiParameter("format", str, enum=["json", "csv"], description="`csv` streams every entry as CSV."),
    OpenApiParameter("from", str, description="first UTC day included (YYYY-MM-DD)"),
    OpenApiParameter("to", str, description="first UTC day excluded (YYYY-MM-DD)"),
]


class StatementEntrySerializer(serializers.Serializer):
    """One entry of a requester's statement (``statements.REQUESTER_COLUMNS``)."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    kind = serializers.CharField()
    account = serializers.CharField(help_text="available or escrow")
    amount = MoneyField(help_text="signed: money in is positive")
    batch_id = serializers.IntegerField(allow_null=True)
    task_id = serializers.IntegerField(allow_null=True)
    assignment_id = serializers.IntegerField(allow_null=True)
    worker_id = serializers.IntegerField(allow_null=True)
    memo = serializers.CharField(allow_blank=True)


class EarningsEntrySerializer(serializers.Serializer):
    """One entry of a worker's earnings statement (``statements.PAYEE_COLUMNS``)."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    kind = serializers.CharField()
    amount = MoneyField(help_text="signed: money in is positive")
    task_id = serializers.IntegerField(allow_null=True)
    assignment_id = serializers.IntegerField(allow_null=True)
    payout_id = serializers.IntegerField(allow_null=True)
    memo = serializers.CharField(allow_blank=True)


class PayoutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = MoneyField()
    status = serializers.ChoiceField(choices=Payout.Status.choices)
    requested_at = serializers.DateTimeField()
    approved_at = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    external_reference = serializers.CharField()


# ``?format=json`` (the default) is a page of entries; ``?format=csv`` streams every entry as CSV.
STATEMENT_RESPONSES = {
    (200, "application/json"): StatementEntrySerializer(many=True),
    (200, "text/csv"): OpenApiTypes.STR,
}
EARNINGS_STATEMENT_RESPONSES = {
    (200, "application/json"): EarningsEntrySerializer(many=True),
    (200, "text/csv"): OpenApiTypes.STR,
}


def _statement_response(request, entries, columns: tuple[str, ...], filename: str):
    output = request.query_params.get("format", "json")
    if output == "csv":
        response = StreamingHttpResponse(statements.statement_csv(entries, columns), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    if output != "json":
        raise InvalidInput.for_field("format", "must be json or csv")
    return paginated_response(
        request, entries, lambda entry: {c: v for c, v in statements.statement_row(entry).items() if c in columns}
    )


class BalanceView(RequesterAPIView):
    @extend_schema(
        responses=inline_serializer("Balance", {"available": MoneyField(), "on_hold": MoneyField()}),
        description="`available` can be spent; `on_hold` is reserved in the escrow of posted work.",
    )
    def get(self, request):
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
        entries = statements.requester_statement(
            self.requester,
            account=request.query_params.get("account"),
            since=request.query_params.get("from"),
            until=request.query_params.get("to"),
        )
        return _statement_response(request, entries, statements.REQUESTER_COLUMNS, "statement")


class BonusesView(RequesterAPIView):
    @extend_schema(
        request=inline_serializer(
            "BonusCreate",
            {
                "worker_id": serializers.IntegerField(),
                "amount": MoneyField(),
                "reason": serializers.CharField(),
                "assignment_id": serializers.IntegerField(required=False),
            },
        ),
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True)],
        responses={
            201: inline_serializer(
                "Bonus",
                {
                    "id": serializers.IntegerField(),
                    "worker_id": serializers.IntegerField(),
                    "amount": MoneyField(),
                    "fee": MoneyField(),
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
        bonus, _ = bonuses.bonus_pay(
            requester=self.requester, data=request.data, idempotency_key=request.headers.get("Idempotency-Key")
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


class WorkerStatementView(WorkerAPIView):
    @extend_schema(
        parameters=STATEMENT_PARAMETERS,
        responses=EARNINGS_STATEMENT_RESPONSES,
        description="Entries on your earnings: payments, bonuses, payouts.",
    )
    def get(self, request):
        entries = statements.payee_statement(
            worker=self.worker, since=request.query_params.get("from"), until=request.query_params.get("to")
        )
        return _statement_response(request, entries, statements.PAYEE_COLUMNS, "earnings-statement")


class WorkerPayoutsView(WorkerAPIView):
    @extend_schema(responses=PayoutSerializer(many=True))
    def get(self, request):
        return paginated_response(request, Payout.objects.filter(worker=self.worker), payouts.payout_as_dict)

    @extend_schema(
        request=inline_serializer("PayoutCreate", {"amount": MoneyField()}),
        responses={201: PayoutSerializer()},
        description="Ask to be paid out part of your earnings (at least the configured minimum; 402 "
        "beyond your earnings). An operator approves and pays it.",
    )
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        if "amount" not in data:
            raise InvalidInput.for_field("amount", "is required")
        payout = payouts.payout_request(worker=self.worker, amount=data["amount"])
        return Response(payouts.payout_as_dict(payout), status=201)
