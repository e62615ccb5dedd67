"""``/api/v1/appeals``: workers' appeals of your rejections, and your decision on each."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from ...access import access_appeal_as_requester
from ...inputs import validate
from ...inputs.appeals import AppealAccept, AppealDecline
from ...models import Appeal
from ...selectors.appeals import requester_appeals
from ...services import appeals
from .. import examples
from ..base import RequesterAPIView
from ..pagination import paginated_response, query_choice
from ..request_body import body_object
from ..serializers.appeals import AppealSerializer


class AppealsView(RequesterAPIView):
    @extend_schema(
        responses=AppealSerializer(many=True),
        parameters=[
            OpenApiParameter("status", str, enum=Appeal.Status.values, description="only appeals in this status"),
        ],
    )
    def get(self, request):
        """List appeals of your rejections.

        Oldest first (`status=open` keeps those waiting for your decision), each with the worker's message,
        the answer you rejected and your feedback at the time.
        """
        status = query_choice(request, "status", Appeal.Status.values)
        queryset = requester_appeals(self.requester, status=status)
        return paginated_response(request, queryset, lambda appeal: AppealSerializer(appeal).data)


class AppealDetailView(RequesterAPIView):
    @extend_schema(responses=AppealSerializer)
    def get(self, request, appeal_id):
        """Read one appeal.

        The appeal as the list shows it: the worker's message, the answer, your feedback and your decision.
        """
        return Response(AppealSerializer(access_appeal_as_requester(self.requester, appeal_id)).data)


class AppealAcceptView(RequesterAPIView):
    @extend_schema(examples=examples.APPEAL_ACCEPT, request=AppealAccept, responses=AppealSerializer)
    def post(self, request, appeal_id):
        """Accept an appeal.

        The rejected assignment is approved and paid (price plus fee from your available balance, as
        `override_rejection` pays), the appeal is `accepted` and the worker is told, with your `reply` if you
        give one, in one transaction. A decided appeal is a 409 `appeal_already_decided`; a balance that cannot
        pay is a 402 and a rejection more than 30 days old a 409 `rejection_override_expired`: the appeal then
        stays open.
        """
        body = validate(AppealAccept, body_object(request) if request.data else {})
        appeal = appeals.appeal_accept(requester=self.requester, appeal_id=appeal_id, reply=body.reply)
        return Response(AppealSerializer(appeal).data)


class AppealDeclineView(RequesterAPIView):
    @extend_schema(examples=examples.APPEAL_DECLINE, request=AppealDecline, responses=AppealSerializer)
    def post(self, request, appeal_id):
        """Decline an appeal.

        The rejection stands; the appeal is `declined` and the worker is sent your `reply` (required). A decided
        appeal is a 409 `appeal_already_decided`.
        """
        body = validate(AppealDecline, body_object(request) if request.data else {})
        appeal = appeals.appeal_decline(requester=self.requester, appeal_id=appeal_id, reply=body.reply)
        return Response(AppealSerializer(appeal).data)
