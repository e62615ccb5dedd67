from django.urls import path

import marketplace.api.urls  # noqa: F401  registers the <id:> converter

from . import requester_appeal_views as a
from . import requester_views as v
from . import requester_webhook_views as h
from . import requester_work_views as w

urlpatterns = [
    path("", v.dashboard, name="requester_dashboard"),
    path("jobs/new", w.job_new, name="requester_job_new"),
    path("jobs/<id:job_id>/output.manifest", w.job_output, name="requester_job_output"),
    path("balance", w.balance, name="requester_balance"),
    path("webhooks", h.webhooks, name="requester_webhooks"),
    path("webhooks/<id:endpoint_id>", h.webhook, name="requester_webhook"),
    path("webhooks/<id:endpoint_id>/active", h.webhook_active, name="requester_webhook_active"),
    path("webhooks/<id:endpoint_id>/delete", h.webhook_delete, name="requester_webhook_delete"),
    path("webhooks/<id:endpoint_id>/rotate-secret", h.webhook_rotate, name="requester_webhook_rotate"),
    path("webhooks/<id:endpoint_id>/redeliver", h.webhook_redeliver_since, name="requester_webhook_redeliver"),
    path(
        "webhooks/<id:endpoint_id>/events/<str:event_id>/redeliver",
        h.webhook_redeliver_event,
        name="requester_webhook_redeliver_event",
    ),
    path("appeals", a.appeals, name="requester_appeals"),
    path("appeals/<id:appeal_id>/accept", a.appeal_decide, {"decision": "accept"}, name="requester_appeal_accept"),
    path("appeals/<id:appeal_id>/decline", a.appeal_decide, {"decision": "decline"}, name="requester_appeal_decline"),
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
