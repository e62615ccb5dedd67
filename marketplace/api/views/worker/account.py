"""``/api/v1/worker/signup``, ``/token/rotate``, ``/ws-ticket``, ``/me``: a worker's account and
credentials."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from ....inputs import validate
from ....inputs.workers import Signup
from ....models import LedgerAccount
from ....money import format_micros
from ....selectors import workers as selectors
from ....selectors.ledger import account_balance_micros
from ....selectors.reputation import worker_reputation
from ....selectors.workteams import worker_active_memberships
from ....services import payouts, workers
from ...base import AnonymousAPIView, WorkerAPIView
from ...serializers.assignments import WorkerTaskSerializer
from ...serializers.fields import SECRET_REPLAYED, MoneyField
from ...serializers.workers import ReputationSerializer, WorkerCredentialsSerializer


class SignupView(AnonymousAPIView):
    secret_response_fields = ("token",)

    @extend_schema(
        request=Signup,
        responses={201: WorkerCredentialsSerializer},
        auth=[],
    )
    def post(self, request):
        """Sign up as a worker.

        Creates a worker in the public workforce and answers its token, shown only here. No credentials
        needed; rate-limited per client address.
        """
        # a body that is not an object names username, as it always has
        body = validate(Signup, request.data if isinstance(request.data, dict) else {})
        worker, token = workers.worker_create(username=body.username, join_public=True, locale=body.locale)
        return Response({"worker_id": worker.pk, "token": token}, status=201)


class TokenRotateView(WorkerAPIView):
    secret_response_fields = ("token",)

    @extend_schema(request=None, responses=WorkerCredentialsSerializer)
    def post(self, request):
        """Rotate your worker token.

        A new token replaces the one you hold, which stops working at once (unspent websocket tickets are
        spent with it); shown only in this response.
        """
        token = workers.worker_token_rotate(worker=self.worker)
        return Response({"worker_id": self.worker.pk, "token": token})


class WebsocketTicketView(WorkerAPIView):
    secret_response_fields = ("ticket",)

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "WebsocketTicket",
            {
                "ticket": serializers.CharField(allow_null=True, help_text=SECRET_REPLAYED),
                "expires_in": serializers.IntegerField(help_text="seconds"),
            },
        ),
        description="A single-use, short-lived ticket for `/ws/worker/?ticket=…` (tokens never travel in URLs).",
    )
    def post(self, request):
        """Get a websocket ticket."""
        ticket, expires_in = workers.websocket_ticket_create(worker=self.worker)
        return Response({"ticket": ticket, "expires_in": expires_in})


class MeView(WorkerAPIView):
    @extend_schema(
        responses=inline_serializer(
            "WorkerMe",
            {
                "worker_id": serializers.IntegerField(),
                "username": serializers.CharField(),
                "locale": serializers.CharField(allow_null=True, help_text="ISO 3166-1 alpha-2, or null"),
                "earnings": MoneyField(help_text="approved earnings not yet paid out (available for a payout)"),
                "paid_out": MoneyField(help_text="paid out so far"),
                "pending": MoneyField(help_text="submitted work not yet approved (on public and private workteams)"),
                "pending_next_auto_approval_at": serializers.DateTimeField(
                    allow_null=True,
                    help_text="when the first pending answer is approved automatically (unless its "
                    "batch's policy rejects it first); null when nothing is pending",
                ),
                "pending_last_auto_approval_at": serializers.DateTimeField(
                    allow_null=True, help_text="when the last pending answer is approved automatically at the latest"
                ),
                "reputation": inline_serializer(
                    "WorkerMeReputation",
                    {
                        **ReputationSerializer().get_fields(),
                        "assignments": serializers.DictField(child=serializers.IntegerField(), help_text="by status"),
                    },
                ),
                "workteams": serializers.ListField(),
                "live_assignments": WorkerTaskSerializer(many=True),
            },
        )
    )
    def get(self, request):
        """Read your account.

        Who you are; your money (`earnings` available for a payout, `pending` until approved, `paid_out`);
        your reputation, workteams and live assignments.
        """
        worker = self.worker
        pending = selectors.worker_pending_earnings(worker)
        memberships = worker_active_memberships(worker)
        return Response(
            {
                "worker_id": worker.pk,
                "username": worker.username,
                "locale": worker.locale or None,
                # Earnings not yet paid out (payouts in progress are neither), and what has been paid.
                "earnings": format_micros(account_balance_micros(LedgerAccount.Kind.WORKER_EARNINGS, worker=worker)),
                "paid_out": format_micros(payouts.paid_out_micros(worker=worker)),
                "pending": format_micros(pending.amount_micros),
                "pending_next_auto_approval_at": _iso(pending.next_auto_approval_at),
                "pending_last_auto_approval_at": _iso(pending.last_auto_approval_at),
                "reputation": {
                    **ReputationSerializer(worker_reputation(worker)).data,
                    "assignments": selectors.worker_assignment_counts(worker),
                },
                "workteams": [
                    {"id": m.workteam_id, "name": m.workteam.name, "kind": m.workteam.kind} for m in memberships
                ],
                "live_assignments": WorkerTaskSerializer(selectors.worker_live_assignments(worker), many=True).data,
            }
        )


def _iso(moment) -> str | None:
    return None if moment is None else serializers.DateTimeField().to_representation(moment)
