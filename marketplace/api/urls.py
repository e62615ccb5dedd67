from django.urls import path, register_converter

from . import message_views as msg
from . import money_views as m
from . import qualification_views as q
from . import quality_views as qc
from . import requester_views as r
from . import vendor_views as v
from . import worker_views as w


class IdConverter:
    """A positive id that fits a 64-bit column (longer digit strings are the JSON 404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

urlpatterns = [
    path("tasks", r.TasksView.as_view()),
    path("tasks/<id:task_id>", r.TaskDetailView.as_view()),
    path("tasks/<id:task_id>/stop", r.TaskStopView.as_view()),
    path("tasks/<id:task_id>/close", r.TaskCloseView.as_view()),
    path("tasks/<id:task_id>/slots", r.TaskSlotsView.as_view()),
    path("batches", r.BatchesView.as_view()),
    path("batches/<id:batch_id>", r.BatchDetailView.as_view()),
    path("assignments", qc.AssignmentsView.as_view()),
    path("workers/<id:worker_id>/reputation", qc.WorkerReputationView.as_view()),
    path("assignments/<id:assignment_id>/approve", r.AssignmentApproveView.as_view()),
    path("assignments/<id:assignment_id>/reject", r.AssignmentRejectView.as_view()),
    path("workteams", r.WorkteamsView.as_view()),
    path("workteams/<id:workteam_id>", r.WorkteamDetailView.as_view()),
    path("workteams/<id:workteam_id>/members", r.WorkteamMembersView.as_view()),
    path("workteams/<id:workteam_id>/members/<id:worker_id>", r.WorkteamMemberView.as_view()),
    path("workteams/<id:workteam_id>/invitations", r.WorkteamInvitationsView.as_view()),
    path("workteams/<id:workteam_id>/invitations/<id:invitation_id>/revoke", r.InvitationRevokeView.as_view()),
    path("vendor-offerings", v.VendorOfferingsView.as_view()),
    path("vendor-offerings/<id:offering_id>", v.VendorOfferingDetailView.as_view()),
    path("vendor-subscriptions", v.VendorSubscriptionsView.as_view()),
    path("vendor-subscriptions/<id:subscription_id>", v.VendorSubscriptionDetailView.as_view()),
    path("vendor-subscriptions/<id:subscription_id>/cancel", v.VendorSubscriptionCancelView.as_view()),
    path("api-keys", r.ApiKeysView.as_view()),
    path("api-keys/<id:api_key_id>/revoke", r.ApiKeyRevokeView.as_view()),
    path("balance", m.BalanceView.as_view()),
    path("statement", m.StatementView.as_view()),
    path("bonuses", m.BonusesView.as_view()),
    path("worker/statement", m.WorkerStatementView.as_view()),
    path("worker/payouts", m.WorkerPayoutsView.as_view()),
    path("qualification-types", q.QualificationTypesView.as_view()),
    path("qualification-types/<id:qualification_type_id>", q.QualificationTypeDetailView.as_view()),
    path("qualification-types/<id:qualification_type_id>/deactivate", q.QualificationTypeDeactivateView.as_view()),
    path("qualification-types/<id:qualification_type_id>/workers", q.QualificationTypeWorkersView.as_view()),
    path(
        "qualification-types/<id:qualification_type_id>/workers/<id:worker_id>", q.QualificationTypeWorkerView.as_view()
    ),
    path("worker-blocks", q.WorkerBlocksView.as_view()),
    path("worker-messages", msg.WorkerMessagesView.as_view()),
    path("worker-blocks/<id:worker_id>", q.WorkerBlockView.as_view()),
    path("worker/signup", w.SignupView.as_view()),
    path("worker/token/rotate", w.TokenRotateView.as_view()),
    path("worker/ws-ticket", w.WebsocketTicketView.as_view()),
    path("worker/tasks/next", w.NextTaskView.as_view()),
    path("worker/assignments", w.WorkerAssignmentsView.as_view()),
    path("worker/assignments/<id:assignment_id>/submit", w.SubmitView.as_view()),
    path("worker/assignments/<id:assignment_id>/return", w.ReturnView.as_view()),
    path("worker/me", w.MeView.as_view()),
    path("worker/messages", msg.WorkerInboxView.as_view()),
    path("worker/available-work", w.AvailableWorkView.as_view()),
    path("worker/invitations", w.WorkerInvitationsView.as_view()),
    path("worker/invitations/<id:invitation_id>/accept", w.InvitationAcceptView.as_view()),
    path("worker/qualification-tests", q.WorkerQualificationTestsView.as_view()),
    path("worker/qualification-tests/<id:qualification_type_id>", q.WorkerQualificationTestView.as_view()),
    path(
        "worker/qualification-tests/<id:qualification_type_id>/answers", q.WorkerQualificationTestAnswersView.as_view()
    ),
]
