"""Portal sign-in: who may use a page, and which organization it shows.

Every portal page is wrapped by ``portal_page``: the caller must be signed in with an admin
membership of an active organization (of the page's kind), must have changed the password an
operator command printed, and gets ``request.organization``. A ``NotFound`` raised by an
``access_*`` function becomes the portal's HTML 404, the same for "not there" and "not yours".
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy

from marketplace.errors import NotFound
from marketplace.models import Membership, Organization
from marketplace.services import signin_throttle


class PortalRequest(HttpRequest):
    """The request a ``portal_page`` view receives: signed in, with its admin's organization."""

    user: User
    organization: Organization


def admin_membership(user) -> Membership | None:
    """The user's admin membership of an active organization (a portal user has exactly one)."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("organization")
        .filter(user=user, role=Membership.Role.ADMIN, organization__is_active=True)
        .order_by("pk")
        .first()
    )


def portal_page(kind: str | None = None) -> Callable:
    """Wrap a portal view: sign-in, the forced password change, the organization (of ``kind``,
    ``vendor`` or ``requester``, when given) on ``request.organization``, and HTML 404s."""

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            membership = admin_membership(request.user)
            if membership is None:
                return render(request, "portal/forbidden.html", status=403)
            if membership.password_change_required:
                return redirect("portal:password_change")
            if kind is not None and membership.organization.kind != kind:
                return render(request, "portal/not_found.html", status=404)
            portal_request = cast(PortalRequest, request)
            portal_request.organization = membership.organization
            try:
                return view(portal_request, *args, **kwargs)
            except NotFound:
                return render(request, "portal/not_found.html", status=404)

        return wrapped

    return decorate


def home(request: HttpRequest) -> HttpResponse:
    """``/portal/``: the signed-in organization's dashboard."""
    membership = admin_membership(request.user)
    if membership is None:
        return (
            redirect("portal:login")
            if not request.user.is_authenticated
            else render(request, "portal/forbidden.html", status=403)
        )
    if membership.organization.kind == Organization.Kind.VENDOR:
        return redirect("portal:vendor_dashboard")
    return redirect("portal:requester_dashboard")


class LoginView(auth_views.LoginView):
    """Throttled per account and per address (``marketplace.services.signin_throttle``, realm
    ``portal``, the console's mechanism): while locked, the password is not even checked, and
    the page says when to retry (429 with ``Retry-After``)."""

    template_name = "portal/auth/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        lock = signin_throttle.signin_lock(
            realm="portal", account=request.POST.get("username", ""), address=signin_throttle.client_address(request)
        )
        return self._locked(lock) if lock is not None else super().post(request, *args, **kwargs)

    def _locked(self, lock: signin_throttle.SignInLock) -> HttpResponse:
        form = self.get_form_class()(self.request, initial={"username": self.request.POST.get("username", "")})
        response = self.render_to_response(self.get_context_data(form=form, signin_lock=lock), status=429)
        response["Retry-After"] = str(lock.retry_after_seconds)
        return response

    def form_invalid(self, form):
        lock = signin_throttle.signin_failure_record(
            realm="portal",
            account=self.request.POST.get("username", ""),
            address=signin_throttle.client_address(self.request),
        )
        return self._locked(lock) if lock is not None else super().form_invalid(form)

    def form_valid(self, form):
        signin_throttle.signin_success_record(realm="portal", account=form.get_user().username)
        return super().form_valid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Also the forced change at first sign-in: succeeding clears the requirement."""

    template_name = "portal/auth/password_change.html"
    success_url = reverse_lazy("portal:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        Membership.objects.filter(user=form.user).update(password_change_required=False)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "portal/auth/password_reset.html"
    email_template_name = "portal/auth/password_reset_email.txt"
    subject_template_name = "portal/auth/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a password through an emailed link also clears a forced change."""

    template_name = "portal/auth/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        Membership.objects.filter(user=form.user).update(password_change_required=False)
        return response


def portal_context(request: HttpRequest) -> dict:
    """Template context: the organization the page is about (set by ``portal_page``)."""
    return {"organization": getattr(request, "organization", None)}


class AccountForm(forms.Form):
    email = forms.EmailField(required=False, help_text="where password-reset links are sent")


@portal_page()
def account(request: PortalRequest) -> HttpResponse:
    """The signed-in admin's email address (password resets go there) and password change."""
    form = AccountForm(request.POST or None, initial={"email": request.user.email})
    if request.method == "POST" and form.is_valid():
        request.user.email = form.cleaned_data["email"]
        request.user.save(update_fields=["email"])
        messages.success(request, "Saved.")
        return redirect("portal:account")
    return render(request, "portal/auth/account.html", {"form": form})
