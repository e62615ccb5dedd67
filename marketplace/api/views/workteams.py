"""``/api/v1/workteams``: the workteams a requester may target, its own workteams' members and
invitations."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from ... import access
from ...errors import NotFound
from ...inputs import validate
from ...inputs.workteams import InvitationCreate, WorkteamCreate
from ...selectors.workteams import (
    targetable_workteams,
    workteam_invitations,
    workteam_member_count,
    workteam_members,
    workteams_with_member_counts,
)
from ...services import workteams
from ..base import RequesterAPIView
from ..pagination import paginated_response
from ..request_body import body_object, named_worker
from ..serializers.workteams import InvitationSerializer, MemberSerializer, WorkteamSerializer


class WorkteamsView(RequesterAPIView):
    @extend_schema(
        responses=WorkteamSerializer(many=True),
        description="The public workforce, the requester's own workteams and the vendor "
        "workteams it is actively subscribed to: every workteam it may target.",
    )
    def get(self, request):
        """List the workteams you may target."""
        queryset = workteams_with_member_counts(targetable_workteams(self.requester))
        return paginated_response(request, queryset, lambda w: WorkteamSerializer(w).data)

    @extend_schema(
        request=WorkteamCreate,
        responses={201: WorkteamSerializer},
    )
    def post(self, request):
        """Create a private workteam.

        A workteam of your own, empty until the workers you invite accept; target it with `workteam_id` in
        tasks, batches and labeling jobs.
        """
        spec = validate(WorkteamCreate, body_object(request))
        workteam = workteams.workteam_create(owner=self.requester, name=spec.name)
        workteam.member_count = 0  # type: ignore[attr-defined]  # for WorkteamSerializer
        return Response(WorkteamSerializer(workteam).data, status=201)


class WorkteamDetailView(RequesterAPIView):
    @extend_schema(responses=WorkteamSerializer)
    def get(self, request, workteam_id):
        """Read a workteam.

        Any workteam you may target (the public workforce, your own, a vendor's you are subscribed to), with
        its member count.
        """
        workteam = access.access_targetable_workteam(self.requester, workteam_id)
        workteam.member_count = workteam_member_count(workteam)  # type: ignore[attr-defined]  # for WorkteamSerializer
        return Response(WorkteamSerializer(workteam).data)


class WorkteamMembersView(RequesterAPIView):
    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request, workteam_id):
        """List a workteam's members.

        The members of one of your own workteams.
        """
        workteam = access.access_workteam(self.requester, workteam_id)
        queryset = workteam_members(workteam)
        return paginated_response(request, queryset, lambda m: MemberSerializer(m).data)


class WorkteamMemberView(RequesterAPIView):
    @extend_schema(responses={204: None})
    def delete(self, request, workteam_id, worker_id):
        """Remove a member.

        The worker leaves your workteam (404 when it is not a member); its live assignments stay live until
        they are submitted or expire.
        """
        workteam = access.access_workteam(self.requester, workteam_id)
        if not workteams.workteam_remove_member(workteam=workteam, worker_id=worker_id):
            raise NotFound(f"worker {worker_id} is not a member")
        return Response(status=204)


class WorkteamInvitationsView(RequesterAPIView):
    @extend_schema(responses=InvitationSerializer(many=True))
    def get(self, request, workteam_id):
        """List a workteam's invitations.

        The invitations of one of your own workteams, in every status.
        """
        workteam = access.access_workteam(self.requester, workteam_id)
        queryset = workteam_invitations(workteam)
        return paginated_response(request, queryset, lambda i: InvitationSerializer(i).data)

    @extend_schema(
        request=InvitationCreate,
        responses={201: InvitationSerializer},
    )
    def post(self, request, workteam_id):
        """Invite a worker.

        Invite a worker, by id, to one of your own workteams; it joins when it accepts. A 400 names
        `worker_id` when there is no such worker; a member already is a 409 `already_member`.
        """
        workteam = access.access_workteam(self.requester, workteam_id)
        worker = named_worker(validate(InvitationCreate, body_object(request)).worker_id)
        invitation = workteams.invitation_create(workteam=workteam, worker=worker)
        return Response(InvitationSerializer(invitation).data, status=201)


class InvitationRevokeView(RequesterAPIView):
    @extend_schema(request=None, responses=InvitationSerializer)
    def post(self, request, workteam_id, invitation_id):
        """Revoke an invitation.

        A pending invitation can no longer be accepted; revoking a revoked one changes nothing. An accepted
        one is a 409 `invitation_not_pending` (remove the member instead).
        """
        invitation = access.access_invitation_as_requester(self.requester, invitation_id)
        if invitation.workteam_id != int(workteam_id):
            raise NotFound(f"invitation {invitation_id} not found")
        return Response(InvitationSerializer(workteams.invitation_revoke(invitation=invitation)).data)
