"""``/api/v1/worker/statement`` and ``/worker/payouts``: a worker's earnings and payouts."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from ....inputs import validate
from ....inputs.workers import PayoutCreate
from ....selectors import ledger as statements
from ....selectors.ledger import worker_payouts
from ....services import payouts
from ...base import WorkerAPIView
from ...pagination import paginated_response
from ...serializers.earnings import PayoutSerializer
from ...statement_responses import EARNINGS_STATEMENT_RESPONSES, STATEMENT_PARAMETERS, statement_response


class WorkerStatementView(WorkerAPIView):
    @extend_schema(
        parameters=STATEMENT_PARAMETERS,
        responses=EARNINGS_STATEMENT_RESPONSES,
        description="Entries on your earnings: payments, bonuses, payouts.",
    )
    def get(self, request):
        """Read your earnings statement."""
        entries = statements.payee_statement(
            worker=self.worker, since=request.query_params.get("from"), until=request.query_params.get("to")
        )
        return statement_response(request, entries, statements.PAYEE_COLUMNS, "earnings-statement")


class WorkerPayoutsView(WorkerAPIView):
    @extend_schema(responses=PayoutSerializer(many=True))
    def get(self, request):
        """List your payouts.

        Your payout requests, oldest first, with where each stands.
        """
        return paginated_response(request, worker_payouts(self.worker), payouts.payout_as_dict)

    @extend_schema(
        request=PayoutCreate,
        responses={201: PayoutSerializer()},
        description="Ask to be paid out part of your earnings (at least the configured minimum; 402 "
        "beyond your earnings). An operator approves and pays it.",
    )
    def post(self, request):
        """Request a payout."""
        # a body that is not an object names amount, as it always has
        body = validate(PayoutCreate, request.data if isinstance(request.data, dict) else {})
        payout = payouts.payout_request(worker=self.worker, amount=body.amount)
        return Response(payouts.payout_as_dict(payout), status=201)
