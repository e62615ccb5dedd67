"""Requester REST under /api/v1/ (Authorization: Bearer <api key>). Views parse, call one
service, render."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from .. import access
from ..errors import InvalidInput, NotFound
from ..models import ApiKey, Batch, Invitation, Task, WorkteamMembership
from ..selectors.batches import batch_progress
from ..selectors.workteams import targetable_workteams, workteams_with_member_counts
from ..services import assignments, organizations, tasks, workteams
from .base import RequesterAPIView
from .pagination import paginated_response, query_choice, query_int
from .serializers import (
    ApiKeyCreatedSerializer,
    ApiKeySerializer,
    AssignmentSerializer,
    BatchSerializer,
    InvitationSerializer,
    MemberSerializer,
    TaskCreateSerializer,
    TaskDetailSerializer,
    TaskSerializer,
    WorkteamSerializer,
)


def _body(request) -> dict:
    data = request.data
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", fields={"non_field_errors": ["must be an object"]})
    return data


def _one_or_many(name: str, serializer) -> PolymorphicProxySerializer:
    """One object, or a JSON list of them (as ``POST /tasks`` takes and answers)."""
    return PolymorphicProxySerializer(
        component_name=name, serializers=[serializer, serializer(many=True)], resource_type_field_name=None, many=False
    )


class TasksView(RequesterAPIView):
    @extend_schema(
        request=_one_or_many("TaskCreateOneOrMany", TaskCreateSerializer),
        responses={201: _one_or_many("TaskOneOrMany", TaskSerializer)},
        description="Create one task (a JSON object, answered with the task) or up to 1,000 "
        "(a JSON list, all or nothing, in order, answered with a list).",
    )
    def post(self, request):
        specs, batch_id = tasks.parse_task_specs(request.data)
        created = tasks.tasks_post(requester=self.requester, specs=specs, batch_id=batch_id)
        rows = Task.objects.select_related("batch").filter(pk__in=[t.pk for t in created]).order_by("id")
        data = TaskSerializer(rows, many=True).data
        return Response(data if isinstance(request.data, list) else data[0], status=201)

    @extend_schema(
        responses=TaskSerializer(many=True),
        parameters=[
            OpenApiParameter("batch_id", int, description="only this batch's tasks"),
            OpenApiParameter("status", str, enum=Task.Status.values, description="only tasks in this status"),
        ],
    )
    def get(self, request):
        queryset = Task.objects.select_related("batch").filter(requester=self.requester)
        batch_id = query_int(request, "batch_id")
        if batch_id is not None:
            queryset = queryset.filter(batch_id=batch_id)
        status = query_choice(request, "status", Task.Status.values)
        if status:
            queryset = queryset.filter(status=status)
        return paginated_response(request, queryset, lambda task: TaskSerializer(task).data)


class TaskDetailView(RequesterAPIView):
    @extend_schema(responses=TaskDetailSerializer)
    def get(self, request, task_id):
        task = access.access_task(self.requester, task_id)
        task.ordered_assignments = task.assignments.order_by("id")
        return Response(TaskDetailSerializer(task).data)


class TaskStopView(RequesterAPIView):
    @extend_schema(request=None, responses=TaskSerializer)
    def post(self, request, task_id):
        task = tasks.task_stop(task=access.access_task(self.requester, task_id))
        return Response(TaskSerializer(task).data)


class TaskCloseView(RequesterAPIView):
    @extend_schema(
        request=None,
        responses=TaskSerializer,
        description="Close a task early as complete; live assignments may still be submitted.",
    )
    def post(self, request, task_id):
        task = tasks.task_close(task=access.access_task(self.requester, task_id))
        return Response(TaskSerializer(task).data)


class TaskSlotsView(RequesterAPIView):
    @extend_schema(
        request=inline_serializer("AddSlots", {"add": serializers.IntegerField(min_value=1)}), responses=TaskSerializer
    )
    def post(self, request, task_id):
        task = access.access_task(self.requester, task_id)
        task = tasks.task_add_slots(task=task, add=_body(request).get("add"))
        return Response(TaskSerializer(task).data)


def _progress(batch: Batch) -> dict:
    progress = batch_progress(batch)
    return {"tasks": progress.tasks, "assignments": progress.assignments, "on_hold_micros": progress.on_hold_micros}


def _render_batch(batch: Batch) -> dict:
    return BatchSerializer(
        {
            **{
                f: getattr(batch, f)
                for f in (
                    "id",
                    "workteam_id",
                    "auto_approval_delay_seconds",
                    "auto_approval_policy",
                    "quality_rules",
                    "qualification_requirements",
                    "created_at",
                    "fee_minimum_micros",
                )
            },
            "fee_rate": str(Decimal(batch.fee_rate_ppm) / 1_000_000),
            **_progress(batch),
        }
    ).data


class BatchesView(RequesterAPIView):
    @extend_schema(responses=BatchSerializer(many=True))
    def get(self, request):
        batches = Batch.objects.filter(requester=self.requester, is_active=True)
        return paginated_response(request, batches, _render_batch)


class BatchDetailView(RequesterAPIView):
    @extend_schema(responses=BatchSerializer)
    def get(self, request, batch_id):
        return Response(_render_batch(access.access_batch(self.requester, batch_id)))


_feedback_body = inline_serializer("Feedback", {"feedback": serializers.CharField(required=False)})


_approve_body = inline_serializer(
    "ApproveBody",
    {
        "feedback": serializers.CharField(required=False),
        "override_rejection": serializers.BooleanField(
            required=False,
            help_text="approve a rejected assignment (within 30 days of the rejection), paid from the "
            "available balance",
        ),
    },
)


class AssignmentApproveView(RequesterAPIView):
    @extend_schema(request=_approve_body, responses=AssignmentSerializer)
    def post(self, request, assignment_id):
        body = _body(request) if request.data else {}
        assignment = assignments.assignment_approve(
            requester=self.requester,
            assignment_id=assignment_id,
            feedback=body.get("feedback", ""),
            override_rejection=body.get("override_rejection", False),
        )
        return Response(AssignmentSerializer(assignment).data)


class AssignmentRejectView(RequesterAPIView):
    @extend_schema(request=_feedback_body, responses=AssignmentSerializer)
    def post(self, request, assignment_id):
        feedback = _body(request).get("feedback", "") if request.data else ""
        assignment = assignments.assignment_reject(
            requester=self.requester, assignment_id=assignment_id, feedback=feedback
        )
        return Response(AssignmentSerializer(assignment).data)


class WorkteamsView(RequesterAPIView):
    @extend_schema(
        responses=WorkteamSerializer(many=True),
        description="The public workforce, the requester's own workteams and the vendor "
        "workteams it is actively subscribed to: every workteam it may target.",
    )
    def get(self, request):
        queryset = workteams_with_member_counts(targetable_workteams(self.requester))
        return paginated_response(request, queryset, lambda w: WorkteamSerializer(w).data)

    @extend_schema(
        request=inline_serializer("WorkteamCreate", {"name": serializers.CharField()}),
        responses={201: WorkteamSerializer},
    )
    def post(self, request):
        workteam = workteams.workteam_create(owner=self.requester, name=_body(request).get("name"))
        workteam.member_count = 0
        return Response(WorkteamSerializer(workteam).data, status=201)


class WorkteamDetailView(RequesterAPIView):
    @extend_schema(responses=WorkteamSerializer)
    def get(self, request, workteam_id):
        workteam = access.access_targetable_workteam(self.requester, workteam_id)
        workteam.member_count = workteam.memberships.count()
        return Response(WorkteamSerializer(workteam).data)


class WorkteamMembersView(RequesterAPIView):
    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request, workteam_id):
        workteam = access.access_workteam(self.requester, workteam_id)
        queryset = WorkteamMembership.objects.select_related("worker").filter(workteam=workteam)
        return paginated_response(request, queryset, lambda m: MemberSerializer(m).data)


class WorkteamMemberView(RequesterAPIView):
    @extend_schema(responses={204: None})
    def delete(self, request, workteam_id, worker_id):
        workteam = access.access_workteam(self.requester, workteam_id)
        if not workteams.workteam_remove_member(workteam=workteam, worker_id=worker_id):
            raise NotFound(f"worker {worker_id} is not a member")
        return Response(status=204)


class WorkteamInvitationsView(RequesterAPIView):
    @extend_schema(responses=InvitationSerializer(many=True))
    def get(self, request, workteam_id):
        workteam = access.access_workteam(self.requester, workteam_id)
        queryset = Invitation.objects.select_related("workteam").filter(workteam=workteam)
        return paginated_response(request, queryset, lambda i: InvitationSerializer(i).data)

    @extend_schema(
        request=inline_serializer("InvitationCreate", {"worker_id": serializers.IntegerField()}),
        responses={201: InvitationSerializer},
    )
    def post(self, request, workteam_id):
        workteam = access.access_workteam(self.requester, workteam_id)
        worker_id = _body(request).get("worker_id")
        if isinstance(worker_id, bool) or not isinstance(worker_id, int):
            raise InvalidInput.for_field("worker_id", "must be an integer")
        try:
            worker = access.access_worker(worker_id)
        except NotFound:
            raise InvalidInput.for_field("worker_id", "no such worker") from None
        invitation = workteams.invitation_create(workteam=workteam, worker=worker)
        return Response(InvitationSerializer(invitation).data, status=201)


class InvitationRevokeView(RequesterAPIView):
    @extend_schema(request=None, responses=InvitationSerializer)
    def post(self, request, workteam_id, invitation_id):
        invitation = access.access_invitation_as_requester(self.requester, invitation_id)
        if invitation.workteam_id != int(workteam_id):
            raise NotFound(f"invitation {invitation_id} not found")
        return Response(InvitationSerializer(workteams.invitation_revoke(invitation=invitation)).data)


class ApiKeysView(RequesterAPIView):
    secret_response_fields = ("key",)

    @extend_schema(responses=ApiKeySerializer(many=True))
    def get(self, request):
        return paginated_response(
            request, ApiKey.objects.filter(organization=self.requester), lambda k: ApiKeySerializer(k).data
        )

    @extend_schema(
        request=inline_serializer("ApiKeyCreate", {"name": serializers.CharField(required=False)}),
        responses={201: ApiKeyCreatedSerializer},
    )
    def post(self, request):
        name = _body(request).get("name", "") if request.data else ""
        if not isinstance(name, str):
            raise InvalidInput.for_field("name", "must be a string")
        api_key, secret = organizations.api_key_create(organization=self.requester, name=name)
        return Response({**ApiKeySerializer(api_key).data, "key": secret}, status=201)


class ApiKeyRevokeView(RequesterAPIView):
    @extend_schema(request=None, responses=ApiKeySerializer)
    def post(self, request, api_key_id):
        api_key = organizations.api_key_revoke(api_key=access.access_api_key(self.requester, api_key_id))
        return Response(ApiKeySerializer(api_key).data)
