"""``/api/v1/worker/qualification-tests``: the qualification tests a worker may take."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from .... import access
from ....inputs import validate
from ....inputs.workers import QualificationTestAnswers
from ....models import QualificationType
from ....selectors.qualifications import available_tests
from ....services import qualification_tests
from ...base import WorkerAPIView
from ...pagination import paginated_response
from ...serializers.qualification_tests import (
    QualificationTestResultSerializer,
    WorkerQualificationTestDetailSerializer,
    WorkerQualificationTestSerializer,
)


def _render_test(qualification_type: QualificationType, *, with_questions: bool) -> dict:
    data = {
        "id": qualification_type.pk,
        "name": qualification_type.name,
        "description": qualification_type.description,
        "question_count": len(qualification_type.test_questions),
        "passing_score": qualification_type.test_passing_score,
        "retry_delay_seconds": qualification_type.test_retry_delay_seconds,
        # annotations of available_tests' query
        "held_value": qualification_type.held_value,  # type: ignore[attr-defined]
        "retry_at": qualification_tests.retry_at(
            qualification_type,
            qualification_type.last_attempt_at,  # type: ignore[attr-defined]
        ),
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
        """List the qualification tests you may take."""
        return paginated_response(
            request, available_tests(self.worker), lambda t: _render_test(t, with_questions=False)
        )


class WorkerQualificationTestView(WorkerAPIView):
    @extend_schema(
        responses=WorkerQualificationTestDetailSerializer,
        description="The test's questions (inputs only: the answer key never leaves the server).",
    )
    def get(self, request, qualification_type_id):
        """Read a qualification test."""
        qualification_type = access.access_qualification_test(self.worker, qualification_type_id)
        return Response(_render_test(qualification_type, with_questions=True))


class WorkerQualificationTestAnswersView(WorkerAPIView):
    @extend_schema(
        request=QualificationTestAnswers,
        responses=QualificationTestResultSerializer,
        description="Submit answers: scored against the key; a passing score grants the qualification with the "
        "score as its value. 409 `qualification_retry_too_soon` within the retry delay.",
    )
    def post(self, request, qualification_type_id):
        """Answer a qualification test."""
        qualification_type = access.access_qualification_test(self.worker, qualification_type_id)
        body = validate(QualificationTestAnswers, request.data)
        attempt, retry_at = qualification_tests.qualification_test_submit(
            worker=self.worker, qualification_type=qualification_type, answers=body.answers
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
