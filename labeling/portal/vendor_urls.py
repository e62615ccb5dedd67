from django.urls import path

import marketplace.api.urls  # noqa: F401  registers the <id:> converter

from . import vendor_offering_views as o
from . import vendor_views as v

urlpatterns = [
    path("", v.dashboard, name="vendor_dashboard"),
    path("team", v.team, name="vendor_team"),
    path("team/workers/<id:worker_id>/token", v.worker_token_issue, name="vendor_worker_token_issue"),
    path("team/workers/<id:worker_id>/token/revoke", v.worker_token_revoke_view, name="vendor_worker_token_revoke"),
    path("team/workers/<id:worker_id>/teams", v.worker_team_add, name="vendor_worker_team_add"),
    path(
        "team/workers/<id:worker_id>/teams/<id:workteam_id>/remove",
        v.worker_team_remove,
        name="vendor_worker_team_remove",
    ),
    path("offerings", o.offerings, name="vendor_offerings"),
    path("offerings/<id:offering_id>", o.offering_edit, name="vendor_offering_edit"),
    path("offerings/<id:offering_id>/withdraw", o.offering_withdraw, name="vendor_offering_withdraw"),
    path("subscriptions", o.subscriptions, name="vendor_subscriptions"),
    path("subscriptions/<id:subscription_id>/accept", o.subscription_accept, name="vendor_subscription_accept"),
    path("subscriptions/<id:subscription_id>/decline", o.subscription_decline, name="vendor_subscription_decline"),
    path("subscriptions/<id:subscription_id>/cancel", o.subscription_cancel, name="vendor_subscription_cancel"),
    path("earnings", v.earnings, name="vendor_earnings"),
    path("earnings/statement.csv", v.statement_csv, name="vendor_statement_csv"),
    path("earnings/payouts", v.payout_request, name="vendor_payout_request"),
]
