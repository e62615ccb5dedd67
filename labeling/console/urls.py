from django.urls import path

from . import accounts, pages

app_name = "console"

urlpatterns = [
    path("", pages.home, name="home"),
    path("work", pages.work, name="work"),
    path("history", pages.history, name="history"),
    path("tests", pages.tests, name="tests"),
    path("messages", pages.messages, name="messages"),
    path("signin", accounts.signin, name="signin"),
    path("signout", accounts.signout, name="signout"),
    path("activate", accounts.activate, name="activate"),
    path("activate/password", accounts.activate_password, name="activate_password"),
    path("password/reset", accounts.password_reset, name="password_reset"),
    path("password/reset/<uidb64>/<token>", accounts.password_reset_confirm, name="password_reset_confirm"),
]
