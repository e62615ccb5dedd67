"""The REST routes under ``/api/v1/``: each path served by the view module named after it
(``views/<resource>.py``; the worker's own ``/worker/...`` paths by ``views/worker/<resource>.py``)."""

from django.urls import path, register_converter

from .views import (
    api_keys,
    appeals,
    assignments,
    batches,
    events,
    money,
    qualification_types,
    tasks,
    vendor_offerings,
    vendor_subscriptions,
    webhook_endpoints,
    worker_blocks,
    worker_messages,
    workers,
    workteams,
)
from .views.worker import account as worker_account
from .views.worker import appeals as worker_appeals
from .views.worker import assignments as worker_assignments
from .views.worker import available_work as worker_available_work
from .views.worker import earnings as worker_earnings
from .views.worker import invitations as worker_invitations
from .views.worker import messages as worker_inbox
from .views.worker import qualification_tests as worker_qualification_tests


class IdConverter:
    """A positive id that fits a 64-bit column (longer digit strings are the JSON 404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

urlpatterns = [
    path("tasks", tasks.TasksView.as_view()),
    path("tasks/<id:task_id>", tasks.TaskDetailView.as_view()),
    path("tasks/<id:task_id>/stop", tasks.TaskStopView.as_view()),
    path("tasks/<id:task_id>/close", tasks.TaskCloseView.as_view()),
    path("tasks/<id:task_id>/slots", tasks.TaskSlotsView.as_view()),
    path("batches", batches.BatchesView.as_view()),
    path("batches/<id:batch_id>", batches.BatchDetailView.as_view()),
    path("assignments", assignments.AssignmentsView.as_view()),
    path("workers/<id:worker_id>/reputation", workers.WorkerReputationView.as_view()),
    path("assignments/<id:assignment_id>/approve", assignments.AssignmentApproveView.as_view()),
    path("assignments/<id:assignment_id>/reject", assignments.AssignmentRejectView.as_view()),
    path("appeals", appeals.AppealsView.as_view()),
    path("appeals/<id:appeal_id>", appeals.AppealDetailView.as_view()),
    path("appeals/<id:appeal_id>/accept", appeals.AppealAcceptView.as_view()),
    path("appeals/<id:appeal_id>/decline", appeals.AppealDeclineView.as_view()),
    path("workteams", workteams.WorkteamsView.as_view()),
    path("workteams/<id:workteam_id>", workteams.WorkteamDetailView.as_view()),
    path("workteams/<id:workteam_id>/members", workteams.WorkteamMembersView.as_view()),
    path("workteams/<id:workteam_id>/members/<id:worker_id>", workteams.WorkteamMemberView.as_view()),
    path("workteams/<id:workteam_id>/invitations", workteams.WorkteamInvitationsView.as_view()),
    path("workteams/<id:workteam_id>/invitations/<id:invitation_id>/revoke", workteams.InvitationRevokeView.as_view()),
    path("vendor-offerings", vendor_offerings.VendorOfferingsView.as_view()),
    path("vendor-offerings/<id:offering_id>", vendor_offerings.VendorOfferingDetailView.as_view()),
    path("vendor-subscriptions", vendor_subscriptions.VendorSubscriptionsView.as_view()),
    path("vendor-subscriptions/<id:subscription_id>", vendor_subscriptions.VendorSubscriptionDetailView.as_view()),
    path(
        "vendor-subscriptions/<id:subscription_id>/cancel", vendor_subscriptions.VendorSubscriptionCancelView.as_view()
    ),
    path("api-keys", api_keys.ApiKeysView.as_view()),
    path("api-keys/<id:api_key_id>/revoke", api_keys.ApiKeyRevokeView.as_view()),
    path("webhook-endpoints", webhook_endpoints.WebhookEndpointsView.as_view()),
    path("webhook-endpoints/<id:endpoint_id>", webhook_endpoints.WebhookEndpointDetailView.as_view()),
    path("webhook-endpoints/<id:endpoint_id>/rotate-secret", webhook_endpoints.WebhookEndpointSecretView.as_view()),
    path("webhook-endpoints/<id:endpoint_id>/deliveries", webhook_endpoints.WebhookEndpointDeliveriesView.as_view()),
    path("webhook-endpoints/<id:endpoint_id>/redeliver", webhook_endpoints.WebhookEndpointRedeliverView.as_view()),
    path("events", events.EventsView.as_view()),
    path("events/<str:event_id>", events.EventDetailView.as_view()),
    path("events/<str:event_id>/redeliver", events.EventRedeliverView.as_view()),
    path("balance", money.BalanceView.as_view()),
    path("statement", money.StatementView.as_view()),
    path("bonuses", money.BonusesView.as_view()),
    path("worker/statement", worker_earnings.WorkerStatementView.as_view()),
    path("worker/payouts", worker_earnings.WorkerPayoutsView.as_view()),
    path("qualification-types", qualification_types.QualificationTypesView.as_view()),
    path("qualification-types/<id:qualification_type_id>", qualification_types.QualificationTypeDetailView.as_view()),
    path(
        "qualification-types/<id:qualification_type_id>/deactivate",
        qualification_types.QualificationTypeDeactivateView.as_view(),
    ),
    path(
        "qualification-types/<id:qualification_type_id>/workers",
        qualification_types.QualificationTypeWorkersView.as_view(),
    ),
    path(
        "qualification-types/<id:qualification_type_id>/workers/<id:worker_id>",
        qualification_types.QualificationTypeWorkerView.as_view(),
    ),
    path("worker-blocks", worker_blocks.WorkerBlocksView.as_view()),
    path("worker-messages", worker_messages.WorkerMessagesView.as_view()),
    path("worker-blocks/<id:worker_id>", worker_blocks.WorkerBlockView.as_view()),
    path("worker/signup", worker_account.SignupView.as_view()),
    path("worker/token/rotate", worker_account.TokenRotateView.as_view()),
    path("worker/ws-ticket", worker_account.WebsocketTicketView.as_view()),
    path("worker/tasks/next", worker_assignments.NextTaskView.as_view()),
    path("worker/assignments", worker_assignments.WorkerAssignmentsView.as_view()),
    path("worker/assignments/<id:assignment_id>/submit", worker_assignments.SubmitView.as_view()),
    path("worker/assignments/<id:assignment_id>/return", worker_assignments.ReturnView.as_view()),
    path("worker/assignments/<id:assignment_id>/appeal", worker_appeals.AppealCreateView.as_view()),
    path("worker/appeals", worker_appeals.WorkerAppealsView.as_view()),
    path("worker/requesters/<id:requester_id>", worker_appeals.RequesterProfileView.as_view()),
    path("worker/me", worker_account.MeView.as_view()),
    path("worker/messages", worker_inbox.WorkerInboxView.as_view()),
    path("worker/available-work", worker_available_work.AvailableWorkView.as_view()),
    path("worker/invitations", worker_invitations.WorkerInvitationsView.as_view()),
    path("worker/invitations/<id:invitation_id>/accept", worker_invitations.InvitationAcceptView.as_view()),
    path("worker/qualification-tests", worker_qualification_tests.WorkerQualificationTestsView.as_view()),
    path(
        "worker/qualification-tests/<id:qualification_type_id>",
        worker_qualification_tests.WorkerQualificationTestView.as_view(),
    ),
    path(
        "worker/qualification-tests/<id:qualification_type_id>/answers",
        worker_qualification_tests.WorkerQualificationTestAnswersView.as_view(),
    ),
]
