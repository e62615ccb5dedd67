from django.urls import path

from . import accounts, mturk_frames, pages, template_frames

app_name = "console"

urlpatterns = [
    path("", pages.home, name="home"),
    path("work", pages.work, name="work"),
    path("history", pages.history, name="history"),
    path("tests", pages.tests, name="tests"),
    path("messages", pages.messages, name="messages"),
    path("requesters/<int:requester_id>", pages.requester, name="requester"),
    path("mturk/assignments/<int:assignment_id>/frame", mturk_frames.question_frame, name="mturk_frame"),
    path("mturk/submit/<str:token>/", mturk_frames.submit_base, name="mturk_submit_base"),
    path("mturk/submit/<str:token>/mturk/externalSubmit", mturk_frames.external_submit, name="mturk_submit"),
    path("templates/assignments/<int:assignment_id>/host", template_frames.template_host, name="template_host"),
    path("templates/assignments/<int:assignment_id>/frame", template_frames.template_frame, name="template_frame"),
    path("signin", accounts.signin, name="signin"),
    path("signout", accounts.signout, name="signout"),
    path("activate", accounts.activate, name="activate"),
    path("activate/password", accounts.activate_password, name="activate_password"),
    path("password/reset", accounts.password_reset, name="password_reset"),
    path("password/reset/<uidb64>/<token>", accounts.password_reset_confirm, name="password_reset_confirm"),
]
