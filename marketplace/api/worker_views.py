"""Worker REST under /api/v1/worker/ (Authorization: Bearer <worker token>)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from .. import access, selectors
from ..errors import InvalidInput
from ..models import Assignment, Invitation
from ..money import format_micros
from ..services import assignments, dispatch, ledger, payouts, reputation, workers, workteams
from .base import AnonymousAPIView, WorkerActionAPIView, WorkerAPIView
from .pagination import paginated_response, query_choice
from .serializers import (
    SECRET_REPLAYED,
    InvitationSerializer,
    ReputationSerializer,
    WorkerAssignmentSerializer,
    WorkerCredentialsSerializer,
    WorkerTaskSerializer,
)


class SignupView(AnonymousAPIView):
    secret_response_fields = ("token",)

    @extend_schema(request=inline_serializer("Signup", {
        "username": serializers.CharField(),
        "locale": serializers.CharField(required=False, help_text='ISO 3166-1 alpha-2 country code, e.g. "US"'),
    }), responses={201: WorkerCredentialsSerializer}, auth=[])
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        worker, token = workers.worker_create(username=data.get("username"), join_public=True,
                                              locale=data.get("locale"))
        return Response({"worker_id": worker.pk, "token": token}, status=201)


class TokenRotateView(WorkerAPIView):
    secret_response_fields = ("token",)

    @extend_schema(request=None, responses=WorkerCredentialsSerializer)
    def post(self, request):
        token = workers.worker_token_rotate(worker=self.worker)
        return Response({"worker_id": self.worker.pk, "token": token})


class WebsocketTicketView(WorkerAPIView):
    secret_response_fields = ("ticket",)

    @extend_schema(request=None, responses=inline_serializer("WebsocketTicket", {
        "ticket": serializers.CharField(allow_null=True, help_text=SECRET_REPLAYED),
        "expires_in": serializers.IntegerField(help_text="seconds"),
    }), description="A single-use, short-lived ticket for `/ws/worker/?ticket=…` (tokens never travel in URLs).")
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
    @extend_schema(request=inline_serializer("Submit", {"answer": serializers.JSONField()}),
                   responses=WorkerAssignmentSerializer)
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
    @extend_schema(responses=WorkerAssignmentSerializer(many=True), parameters=[
        OpenApiParameter("status", str, enum=Assignment.Status.values)])
    def get(self, request):
        queryset = Assignment.objects.filter(worker=self.worker)
        status = query_choice(request, "status", Assignment.Status.values)
        if status:
            queryset = queryset.filter(status=status)
        return paginated_response(request, queryset, lambda a: WorkerAssignmentSerializer(a).data)


class MeView(WorkerAPIView):
    @extend_schema(responses=inline_serializer("WorkerMe", {
        "worker_id": serializers.IntegerField(), "username": serializers.CharField(),
        "locale": serializers.CharField(allow_null=True, help_text="ISO 3166-1 alpha-2, or null"),
        "earnings": serializers.CharField(), "paid_out": serializers.CharField(),
        "reputation": inline_serializer("WorkerMeReputation", {
            **ReputationSerializer().get_fields(),
            "assignments": serializers.DictField(child=serializers.IntegerField(), help_text="by status"),
        }), "workteams": serializers.ListField(),
        "live_assignments": WorkerTaskSerializer(many=True),
    }))
    def get(self, request):
        worker = self.worker
        memberships = worker.memberships.select_related("workteam").filter(workteam__is_active=True)
        return Response({
            "worker_id": worker.pk,
            "username": worker.username,
            "locale": worker.locale or None,
            # Earnings not yet paid out (payouts in progress are neither), and what has been paid.
            "earnings": format_micros(ledger.account_balance_micros(ledger.Kind.WORKER_EARNINGS, worker=worker)),
            "paid_out": format_micros(payouts.paid_out_micros(worker=worker)),
            "reputation": {**ReputationSerializer(reputation.worker_reputation(worker)).data,
                           "assignments": selectors.worker_assignment_counts(worker)},
            "workteams": [
                {"id": m.workteam_id, "name": m.workteam.name, "kind": m.workteam.kind} for m in memberships
            ],
            "live_assignments": WorkerTaskSerializer(selectors.worker_live_assignments(worker), many=True).data,
        })


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
