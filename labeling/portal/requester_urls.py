from django.urls import path

import marketplace.api.urls  # noqa: F401  registers the <id:> converter

from . import requester_views as v
from . import requester_work_views as w

urlpatterns = [
    path("", v.dashboard, name="requester_dashboard"),
    path("jobs/new", w.job_new, name="requester_job_new"),
    path("jobs/<id:job_id>/output.manifest", w.job_output, name="requester_job_output"),
    path("balance", w.balance, name="requester_balance"),
    path("teams", v.teams, name="requester_teams"),
    path("teams/<int:workteam_id>", v.team, name="requester_team"),
    path("teams/<int:workteam_id>/invite", v.team_invite, name="requester_team_invite"),
    path(
        "teams/<int:workteam_id>/invitations/<int:invitation_id>/revoke",
        v.team_invitation_revoke,
        name="requester_invitation_revoke",
    ),
    path(
        "teams/<int:workteam_id>/members/<int:worker_id>/remove", v.team_member_remove, name="requester_member_remove"
    ),
]
