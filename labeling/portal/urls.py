from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import auth, invitation_views

app_name = "portal"

urlpatterns = [
    path("", auth.home, name="home"),
    path("login", auth.LoginView.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("account", auth.account, name="account"),
    path("password/change", auth.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset", auth.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent",
        auth_views.PasswordResetDoneView.as_view(template_name="portal/auth/password_reset_done.html"),
        name="password_reset_done",
    ),
    path("password/reset/<uidb64>/<token>", auth.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path(
        "password/reset/complete",
        auth_views.PasswordResetCompleteView.as_view(template_name="portal/auth/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("join/<str:token>", invitation_views.join, name="join"),
    path("", include("labeling.portal.job_urls")),
    path("vendor/", include("labeling.portal.vendor_urls")),
    path("requester/", include("labeling.portal.requester_urls")),
]
