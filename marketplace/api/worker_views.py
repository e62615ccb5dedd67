"""Worker REST under /api/v1/worker/ (Authorization: Bearer <worker token>)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from .. import access
from ..errors import InvalidInput
from ..models import Assignment, Invitation, LedgerAccount
from ..money import format_micros
from ..selectors import workers as selectors
from ..selectors.ledger import account_balance_micros
from ..selectors.reputation import worker_reputation
from ..services import assignments, dispatch, payouts, workers, workteams
from .base import AnonymousAPIView, WorkerActionAPIView, WorkerAPIView
from .pagination import paginated_response, query_choice, query_limit
from .serializers import (
    SECRET_REPLAYED,
    InvitationSerializer,
    MoneyField,
    ReputationSerializer,
    WorkerAssignmentSerializer,
    WorkerCredentialsSerializer,
    WorkerTaskSerializer,
)


class SignupView(AnonymousAPIView):
    secret_response_fields = ("token",)

    @extend_schema(
        request=inline_serializer(
            "Signup",
            {
                "username": serializers.CharField(),
                "locale": serializers.CharField(required=False, help_text='ISO 3166-1 alpha-2 country code, e.g. "US"'),
            },
        ),
        responses={201: WorkerCredentialsSerializer},
        auth=[],
    )
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        worker, token = workers.worker_create(
            username=data.get("username"), join_public=True, locale=data.get("locale")
        )
        return Response({"worker_id": worker.pk, "token": token}, status=201)


class TokenRotateView(WorkerAPIView):
    secret_response_fields = ("token",)

    @extend_schema(request=None, responses=WorkerCredentialsSerializer)
    def post(self, request):
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
        ticket, expires_in = workers.websocket_ticket_create(worker=self.worker)
        return Response({"ticket": ticket, "expires_in": expires_in})


class NextTaskView(WorkerActionAPIView):
    @extend_schema(request=None, responses={200: WorkerTaskSerializer, 204: None})
    def post(self, request):
        assignment = dispatch.assignment_claim(worker=self.worker)
        if assignment is None:
            return Response(status=204)
        return Response(WorkerTaskSerializer(assignment).data)


class SubmitView(WorkerActionAPIView):
    @extend_schema(
        request=inline_serializer("Submit", {"answer": serializers.JSONField()}), responses=WorkerAssignmentSerializer
    )
    def post(self, request, assignment_id):
        data = request.data
        if not isinstance(data, dict) or "answer" not in data:
            raise InvalidInput.for_field("answer", "is required")
        assignment = assignments.assignment_submit(
            worker=self.worker, assignment_id=assignment_id, answer=data["answer"]
        )
        return Response(WorkerAssignmentSerializer(assignment).data)


class ReturnView(WorkerActionAPIView):
    @extend_schema(request=None, responses=WorkerAssignmentSerializer)
    def post(self, request, assignment_id):
        assignment = assignments.assignment_return(worker=self.worker, assignment_id=assignment_id)
        return Response(WorkerAssignmentSerializer(assignment).data)


class WorkerAssignmentsView(WorkerAPIView):
    @extend_schema(
        responses=WorkerAssignmentSerializer(many=True),
        parameters=[OpenApiParameter("status", str, enum=Assignment.Status.values)],
    )
    def get(self, request):
        queryset = Assignment.objects.select_related("task").filter(worker=self.worker)
        status = query_choice(request, "status", Assignment.Status.values)
        if status:
            queryset = queryset.filter(status=status)
        return paginated_response(request, queryset, lambda a: WorkerAssignmentSerializer(a).data)


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
        worker = self.worker
        pending = selectors.worker_pending_earnings(worker)
        memberships = worker.memberships.select_related("workteam").filter(workteam__is_active=True)
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


class AvailableWorkSerializer(serializers.Serializer):
    workteam_id = serializers.IntegerField()
    workteam_name = serializers.CharField()
    workteam_kind = serializers.ChoiceField(choices=["public", "private", "vendor"])
    requester_id = serializers.IntegerField()
    requester_name = serializers.CharField()
    open_tasks = serializers.IntegerField(help_text="open tasks of this workteam and requester you may take now")
    title = serializers.CharField(help_text="the title of the task you would be offered first")
    task_type = serializers.CharField(help_text="that task's type")
    reward = MoneyField(source="reward_micros", help_text="that task's reward")
    assignment_duration_seconds = serializers.IntegerField(help_text="time allowed for that task")


class AvailableWorkView(WorkerAPIView):
    @extend_schema(
        parameters=[OpenApiParameter("limit", int, description="at most this many groups (default 100, up to 1,000)")],
        responses=inline_serializer(
            "AvailableWorkList",
            {
                "results": AvailableWorkSerializer(many=True),
                "next": serializers.CharField(allow_null=True, help_text="always null: the groups fit one page"),
            },
        ),
        description="Work available to you now, per workteam and requester (the groups with the most open tasks "
        "first), by the same rules as the claim: your workteams, blocks, qualification requirements "
        "and quality stops; tasks you held before are not counted.",
    )
    def get(self, request):
        limit = query_limit(request, default=100)
        now = timezone.now()
        eligibility = dispatch.worker_eligibility(self.worker, now=now)
        groups = selectors.worker_available_work(self.worker, eligibility=eligibility, now=now, limit=limit)
        return Response({"results": AvailableWorkSerializer(groups, many=True).data, "next": None})


class WorkerInvitationsView(WorkerAPIView):
    @extend_schema(responses=InvitationSerializer(many=True))
    def get(self, request):
        queryset = Invitation.objects.select_related("workteam").filter(worker=self.worker)
        return paginated_response(request, queryset, lambda i: InvitationSerializer(i).data)


class InvitationAcceptView(WorkerAPIView):
    @extend_schema(request=None, responses=InvitationSerializer)
    def post(self, request, invitation_id):
        invitation = access.access_invitation_as_worker(self.worker, invitation_id)
        return Response(InvitationSerializer(workteams.invitation_accept(invitation=invitation)).data)
