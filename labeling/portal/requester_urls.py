from django.urls import path

from . import requester_views as v

urlpatterns = [
    path("", v.dashboard, name="requester_dashboard"),
    path("teams", v.teams, name="requester_teams"),
    path("teams/<int:workteam_id>", v.team, name="requester_team"),
    path("teams/<int:workteam_id>/invite", v.team_invite, name="requester_team_invite"),
    path("teams/<int:workteam_id>/invitations/<int:invitation_id>/revoke", v.team_invitation_revoke,
         name="requester_invitation_revoke"),
    path("teams/<int:workteam_id>/members/<int:worker_id>/remove", v.team_member_remove,
         name="requester_member_remove"),
]
