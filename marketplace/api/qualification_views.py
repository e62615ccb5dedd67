"""Qualification types, grants and worker blocks (requester REST), and qualification tests
(worker REST). Views parse, call one service, render."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from .. import access
from ..errors import InvalidInput, NotFound
from ..models import QualificationGrant, QualificationType, Worker, WorkerBlock
from ..selectors.qualifications import available_tests
from ..services import blocks, qualification_tests, qualifications
from .base import RequesterAPIView, WorkerAPIView
from .pagination import paginated_response
from .qualification_serializers import (
    QualificationGrantSerializer,
    QualificationTestResultSerializer,
    QualificationTypeCreateSerializer,
    QualificationTypeSerializer,
    WorkerBlockSerializer,
    WorkerQualificationTestDetailSerializer,
    WorkerQualificationTestSerializer,
)


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise InvalidInput.for_field("non_field_errors", "the body must be a JSON object")
    return request.data


def _named_worker(data: dict) -> Worker:
    """The active worker a body names in ``worker_id`` (a 400 naming the field otherwise)."""
    worker_id = data.get("worker_id")
    if isinstance(worker_id, bool) or not isinstance(worker_id, int):
        raise InvalidInput.for_field("worker_id", "must be an integer")
    try:
        return access.access_worker(worker_id)
    except NotFound:
        raise InvalidInput.for_field("worker_id", "no such worker") from None


# --- requester: types and grants ------------------------------------------------------------


class QualificationTypesView(RequesterAPIView):
    @extend_schema(
        responses=QualificationTypeSerializer(many=True),
        description="The system types and the requester's own active types.",
    )
    def get(self, request):
        qualifications.system_qualification_types()
        queryset = QualificationType.objects.filter(Q(owner__isnull=True) | Q(owner=self.requester, is_active=True))
        return paginated_response(request, queryset, lambda t: QualificationTypeSerializer(t).data)

    @extend_schema(request=QualificationTypeCreateSerializer, responses={201: QualificationTypeSerializer})
    def post(self, request):
        created = qualifications.qualification_type_create(requester=self.requester, data=request.data)
        return Response(QualificationTypeSerializer(created).data, status=201)


class QualificationTypeDetailView(RequesterAPIView):
    @extend_schema(responses=QualificationTypeSerializer)
    def get(self, request, qualification_type_id):
        qualification_type = access.access_qualification_type(self.requester, qualification_type_id)
        return Response(QualificationTypeSerializer(qualification_type).data)


class QualificationTypeDeactivateView(RequesterAPIView):
    @extend_schema(
        request=None,
        responses=QualificationTypeSerializer,
        description="Deactivate (types are never deleted): no more grants, tests or new requirements; "
        "requirements already posted stay enforced. Idempotent.",
    )
    def post(self, request, qualification_type_id):
        qualification_type = qualifications.qualification_type_deactivate(
            requester=self.requester,
            qualification_type=access.access_qualification_type(self.requester, qualification_type_id),
        )
        return Response(QualificationTypeSerializer(qualification_type).data)


class QualificationTypeWorkersView(RequesterAPIView):
    @extend_schema(
        responses=QualificationGrantSerializer(many=True),
        description="The type's grants. System types have none: their values are computed live.",
    )
    def get(self, request, qualification_type_id):
        qualification_type = access.access_qualification_type(self.requester, qualification_type_id)
        queryset = QualificationGrant.objects.filter(qualification_type=qualification_type)
        return paginated_response(request, queryset, lambda g: QualificationGrantSerializer(g).data)

    @extend_schema(
        request=inline_serializer(
            "QualificationGrantCreate",
            {
                "worker_id": serializers.IntegerField(),
                "value": serializers.IntegerField(required=False, default=1),
            },
        ),
        responses={201: QualificationGrantSerializer, 200: QualificationGrantSerializer},
        description="Grant the type to a worker (201), or update the value of its grant (200).",
    )
    def post(self, request, qualification_type_id):
        qualification_type = access.access_qualification_type(self.requester, qualification_type_id)
        data = _body(request)
        grant, created = qualifications.qualification_grant(
            requester=self.requester,
            qualification_type=qualification_type,
            worker=_named_worker(data),
            value=data.get("value", 1),
        )
        return Response(QualificationGrantSerializer(grant).data, status=201 if created else 200)


class QualificationTypeWorkerView(RequesterAPIView):
    @extend_schema(responses={204: None})
    def delete(self, request, qualification_type_id, worker_id):
        qualification_type = access.access_qualification_type(self.requester, qualification_type_id)
        if not qualifications.qualification_revoke(
            requester=self.requester, qualification_type=qualification_type, worker_id=worker_id
        ):
            raise NotFound(f"worker {worker_id} does not hold this qualification")
        return Response(status=204)


# --- requester: blocks ----------------------------------------------------------------------


class WorkerBlocksView(RequesterAPIView):
    @extend_schema(responses=WorkerBlockSerializer(many=True))
    def get(self, request):
        queryset = WorkerBlock.objects.filter(requester=self.requester)
        return paginated_response(request, queryset, lambda b: WorkerBlockSerializer(b).data)

    @extend_schema(
        request=inline_serializer(
            "WorkerBlockCreate",
            {
                "worker_id": serializers.IntegerField(),
                "reason": serializers.CharField(max_length=1000),
            },
        ),
        responses={201: WorkerBlockSerializer, 200: WorkerBlockSerializer},
        description="Block a worker from your tasks (201); blocking a blocked worker again replaces the reason "
        "(200). Its live assignments stay submittable.",
    )
    def post(self, request):
        data = _body(request)
        block, created = blocks.worker_block(
            requester=self.requester, worker=_named_worker(data), reason=data.get("reason", "")
        )
        return Response(WorkerBlockSerializer(block).data, status=201 if created else 200)


class WorkerBlockView(RequesterAPIView):
    @extend_schema(responses={204: None}, description="Unblock the worker (by worker id).")
    def delete(self, request, worker_id):
        blocks.worker_unblock(block=access.access_worker_block(self.requester, worker_id))
        return Response(status=204)


# --- worker: qualification tests ------------------------------------------------------------


def _render_test(qualification_type: QualificationType, *, with_questions: bool) -> dict:
    data = {
        "id": qualification_type.pk,
        "name": qualification_type.name,
        "description": qualification_type.description,
        "question_count": len(qualification_type.test_questions),
        "passing_score": qualification_type.test_passing_score,
        "retry_delay_seconds": qualification_type.test_retry_delay_seconds,
        "held_value": qualification_type.held_value,
        "retry_at": qualification_tests.retry_at(qualification_type, qualification_type.last_attempt_at),
    }
    if with_questions:
        data["questions"] = [{"input": q["input"]} for q in qualification_type.test_questions]
        return WorkerQualificationTestDetailSerializer(data).data
    return WorkerQualificationTestSerializer(data).data


class WorkerQualificationTestsView(WorkerAPIView):
    @extend_schema(
        responses=WorkerQualificationTestSerializer(many=True),
        description="Qualification tests you may take (requesters blocking you are left out).",
    )
    def get(self, request):
        return paginated_response(
            request, available_tests(self.worker), lambda t: _render_test(t, with_questions=False)
        )


class WorkerQualificationTestView(WorkerAPIView):
    @extend_schema(
        responses=WorkerQualificationTestDetailSerializer,
        description="The test's questions (inputs only: the answer key never leaves the server).",
    )
    def get(self, request, qualification_type_id):
        qualification_type = access.access_qualification_test(self.worker, qualification_type_id)
        return Response(_render_test(qualification_type, with_questions=True))


class WorkerQualificationTestAnswersView(WorkerAPIView):
    @extend_schema(
        request=inline_serializer(
            "QualificationTestAnswers",
            {
                "answers": serializers.ListField(child=serializers.JSONField(), help_text="one per question, in order"),
            },
        ),
        responses=QualificationTestResultSerializer,
        description="Submit answers: scored against the key; a passing score grants the qualification with the "
        "score as its value. 409 `qualification_retry_too_soon` within the retry delay.",
    )
    def post(self, request, qualification_type_id):
        qualification_type = access.access_qualification_test(self.worker, qualification_type_id)
        data = _body(request)
        if "answers" not in data:
            raise InvalidInput.for_field("answers", "is required")
        attempt, retry_at = qualification_tests.qualification_test_submit(
            worker=self.worker, qualification_type=qualification_type, answers=data["answers"]
        )
        return Response(
            QualificationTestResultSerializer(
                {
                    "score": attempt.score,
                    "passed": attempt.passed,
                    "value": attempt.score if attempt.passed else None,
                    "retry_at": retry_at,
                }
            ).data
        )
