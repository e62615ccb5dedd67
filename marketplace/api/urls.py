from django.urls import path

from . import requester_views as r
from . import worker_views as w

urlpatterns = [
    path("tasks", r.TasksView.as_view()),
    path("tasks/<int:task_id>", r.TaskDetailView.as_view()),
    path("tasks/<int:task_id>/stop", r.TaskStopView.as_view()),
    path("tasks/<int:task_id>/close", r.TaskCloseView.as_view()),
    path("tasks/<int:task_id>/slots", r.TaskSlotsView.as_view()),
    path("batches", r.BatchesView.as_view()),
    path("batches/<int:batch_id>", r.BatchDetailView.as_view()),
    path("assignments/<int:assignment_id>/approve", r.AssignmentApproveView.as_view()),
    path("assignments/<int:assignment_id>/reject", r.AssignmentRejectView.as_view()),
    path("workteams", r.WorkteamsView.as_view()),
    path("workteams/<int:workteam_id>", r.WorkteamDetailView.as_view()),
    path("workteams/<int:workteam_id>/members", r.WorkteamMembersView.as_view()),
    path("workteams/<int:workteam_id>/members/<int:worker_id>", r.WorkteamMemberView.as_view()),
    path("workteams/<int:workteam_id>/invitations", r.WorkteamInvitationsView.as_view()),
    path("workteams/<int:workteam_id>/invitations/<int:invitation_id>/revoke", r.InvitationRevokeView.as_view()),
    path("api-keys", r.ApiKeysView.as_view()),
    path("api-keys/<int:api_key_id>/revoke", r.ApiKeyRevokeView.as_view()),
    path("worker/signup", w.SignupView.as_view()),
    path("worker/token/rotate", w.TokenRotateView.as_view()),
    path("worker/tasks/next", w.NextTaskView.as_view()),
    path("worker/assignments", w.WorkerAssignmentsView.as_view()),
    path("worker/assignments/<int:assignment_id>/submit", w.SubmitView.as_view()),
    path("worker/assignments/<int:assignment_id>/return", w.ReturnView.as_view()),
    path("worker/me", w.MeView.as_view()),
    path("worker/invitations", w.WorkerInvitationsView.as_view()),
    path("worker/invitations/<int:invitation_id>/accept", w.InvitationAcceptView.as_view()),
]
