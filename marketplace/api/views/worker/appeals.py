"""``/api/v1/worker/assignments/{id}/appeal`` and ``/api/v1/worker/appeals``: appealing a
rejection, and following one's appeals; ``/api/v1/worker/requesters/{id}``: a requester's
public profile (its appeal figures), to judge requesters as they judge workers."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from ....access import access_requester_as_worker
from ....inputs import validate
from ....inputs.appeals import AppealCreate
from ....models import Appeal
from ....selectors.appeals import requester_profile, worker_appeals
from ....services import appeals
from ... import examples
from ...base import WorkerActionAPIView, WorkerAPIView
from ...pagination import paginated_response, query_choice
from ...request_body import body_object
from ...serializers.appeals import RequesterProfileSerializer, WorkerAppealSerializer


class AppealCreateView(WorkerActionAPIView):
    @extend_schema(examples=examples.APPEAL, request=AppealCreate, responses={201: WorkerAppealSerializer})
    def post(self, request, assignment_id):
        """Appeal a rejection.

        Ask the requester to reconsider a rejected answer, once, within 14 days of the rejection, with a
        `message` (1 to 2000 characters). 201 with the appeal; the requester accepts (the assignment is then
        approved and paid) or declines with a reply, and you get a message either way. Refused with a 409:
        `already_appealed`, `not_rejected`, `appeal_window_closed`; another worker's assignment is a 404.
        """
        body = validate(AppealCreate, body_object(request) if request.data else {})
        appeal = appeals.appeal_create(worker=self.worker, assignment_id=assignment_id, message=body.message)
        return Response(WorkerAppealSerializer(appeal).data, status=201)


class WorkerAppealsView(WorkerAPIView):
    @extend_schema(
        responses=WorkerAppealSerializer(many=True),
        parameters=[
            OpenApiParameter("status", str, enum=Appeal.Status.values, description="only appeals in this status"),
        ],
    )
    def get(self, request):
        """List your appeals.

        Oldest first, each with its outcome (`open`, `accepted`, `declined`), the requester's `reply` and when it
        was decided.
        """
        status = query_choice(request, "status", Appeal.Status.values)
        queryset = worker_appeals(self.worker, status=status)
        return paginated_response(request, queryset, lambda appeal: WorkerAppealSerializer(appeal).data)


class RequesterProfileView(WorkerAPIView):
    @extend_schema(responses=RequesterProfileSerializer)
    def get(self, request, requester_id):
        """Read a requester's profile.

        Its name and how it treats appeals (received, accepted, declined, open) and answers (approved,
        rejected, the approval rate). A requester you have worked for or that posts work to a team of yours;
        any other id is a 404.
        """
        requester = access_requester_as_worker(self.worker, requester_id)
        return Response(RequesterProfileSerializer(requester_profile(requester)).data)
