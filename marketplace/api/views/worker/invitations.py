"""``/api/v1/worker/invitations``: a worker's invitations to private workteams."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from .... import access
from ....selectors.workteams import worker_invitations
from ....services import workteams
from ...base import WorkerAPIView
from ...pagination import paginated_response
from ...serializers.workteams import InvitationSerializer


class WorkerInvitationsView(WorkerAPIView):
    @extend_schema(responses=InvitationSerializer(many=True))
    def get(self, request):
        """List your invitations.

        Your invitations to private workteams, in every status.
        """
        queryset = worker_invitations(self.worker)
        return paginated_response(request, queryset, lambda i: InvitationSerializer(i).data)


class InvitationAcceptView(WorkerAPIView):
    @extend_schema(request=None, responses=InvitationSerializer)
    def post(self, request, invitation_id):
        """Accept an invitation.

        Join the workteam: its tasks are offered to you from now on. A revoked invitation is a 409
        `invitation_not_pending`.
        """
        invitation = access.access_invitation_as_worker(self.worker, invitation_id)
        return Response(InvitationSerializer(workteams.invitation_accept(invitation=invitation)).data)
