"""Console sign-in, sign-out, activation with a token, and password resets by email.

The worker's session is ``marketplace.services.worker_accounts``'s, under its own keys: it is
not a Django auth session. Sign-in is throttled per account and per address
(``marketplace.services.signin_throttle``, realm ``console``), like the portal's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import cast

from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode, urlsafe_base64_encode
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.api.authentication import resolve_bearer
from marketplace.errors import InvalidInput
from marketplace.models import Worker
from marketplace.principals import WorkerPrincipal
from marketplace.selectors.workers import worker_by_token_hash
from marketplace.services import signin_throttle as throttle
from marketplace.services import worker_accounts as accounts

from .csp import with_console_csp
from .forms import ActivationTokenForm, NewPasswordForm, PasswordResetForm, SignInForm

REALM = "console"
ACTIVATION_SESSION_KEY = "_console_activation"


class ConsoleRequest(HttpRequest):
    """The request a ``console_page`` view receives: with the signed-in worker."""

    worker: Worker


def console_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A console page: a signed-in worker (``request.worker``), else the sign-in page; the
    console's Content-Security-Policy on the response."""

    @with_console_csp
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        worker = accounts.worker_from_session(request.session)
        if worker is None:
            return redirect(f"{reverse('console:home')}?next={request.path}")
        console_request = cast(ConsoleRequest, request)
        console_request.worker = worker
        return view(console_request, *args, **kwargs)

    return wrapped


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/console/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("console:home")


def render_signin(request: HttpRequest, form: SignInForm | None = None, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "console/signin.html",
        {
            "form": form or SignInForm(),
            "next": _safe_next(request),
        },
        status=status,
    )


@with_console_csp
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    """``POST /console/signin``: username (or email) and password; throttled."""
    if request.method == "GET":
        return redirect("console:home")
    form = SignInForm(request.POST)
    if not form.is_valid():
        return render_signin(request, form, status=400)
    login, address = form.cleaned_data["username"], throttle.client_address(request)
    lock = throttle.signin_lock(realm=REALM, account=login, address=address)
    if lock is not None:
        form.add_error(None, lock.message)
        response = render_signin(request, form, status=429)
        response["Retry-After"] = str(lock.retry_after_seconds)
        return response
    worker = accounts.worker_authenticate(login=login, password=form.cleaned_data["password"])
    if worker is None:
        lock = throttle.signin_failure_record(realm=REALM, account=login, address=address)
        form.add_error(None, "Wrong username or password. A worker who has only a token activates the console first.")
        if lock is not None:
            form.add_error(None, lock.message)
        return render_signin(request, form, status=200 if lock is None else 429)
    throttle.signin_success_record(realm=REALM, account=login)
    accounts.worker_session_login(session=request.session, worker=worker)
    return redirect(_safe_next(request))


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    accounts.worker_session_logout(session=request.session)
    return redirect("console:home")


@with_console_csp
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    """``/console/activate``, step one: the worker's token proves who it is (the token itself
    keeps working for API clients). Wrong tokens count as failed sign-ins of the address."""
    form = ActivationTokenForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        address = throttle.client_address(request)
        lock = throttle.signin_lock(realm=REALM, account=None, address=address)
        principal = None if lock else resolve_bearer(form.cleaned_data["token"].strip())
        if lock is not None:
            form.add_error(None, lock.message)
            status = 429
        elif not isinstance(principal, WorkerPrincipal) or principal.worker.token_revoked_at is not None:
            throttle.signin_failure_record(realm=REALM, account=None, address=address)
            form.add_error("token", "This is not a working worker token.")
            status = 400
        else:
            request.session.cycle_key()
            request.session[ACTIVATION_SESSION_KEY] = {
                "worker_id": principal.worker.pk,
                "token_hash": principal.worker.token_hash,
            }
            return redirect("console:activate_password")
    elif request.method == "POST":
        status = 400
    return render(request, "console/activate.html", {"form": form}, status=status)


@with_console_csp
@require_http_methods(["GET", "POST"])
def activate_password(request: HttpRequest) -> HttpResponse:
    """Step two: choose the console password; then the worker is signed in."""
    pending = request.session.get(ACTIVATION_SESSION_KEY) or {}
    worker = worker_by_token_hash(pending.get("worker_id"), pending.get("token_hash", ""))
    if worker is None:
        return redirect("console:activate")
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.worker_password_set(worker=worker, password=form.cleaned_data["new_password1"])
        except InvalidInput as error:
            form.add_error("new_password1", error.message)
        else:
            request.session.pop(ACTIVATION_SESSION_KEY, None)
            accounts.worker_session_login(session=request.session, worker=worker)
            return redirect("console:home")
    return render(
        request,
        "console/activate_password.html",
        {"form": form, "pending_worker": worker},
        status=400 if form.errors else 200,
    )


@with_console_csp
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Email a reset link to the worker with this address, if there is one (the page says the
    same either way, so it tells nobody which addresses have accounts). Throttled per address."""
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = throttle.client_address(request)
        if throttle.signin_lock(realm="console-reset", account=None, address=address) is None:
            throttle.signin_failure_record(realm="console-reset", account=None, address=address)
            worker = accounts.worker_for_reset(form.cleaned_data["email"])
            if worker is not None:
                _send_reset_email(request, worker)
        return render(request, "console/password_reset_sent.html")
    return render(request, "console/password_reset.html", {"form": form})


def _send_reset_email(request: HttpRequest, worker: Worker) -> None:
    token = accounts.worker_reset_tokens.make_token(worker)  # type: ignore[arg-type]  # a Worker, see the class
    link = request.build_absolute_uri(
        reverse(
            "console:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(worker.pk)),
                "token": token,
            },
        )
    )
    body = render_to_string("console/password_reset_email.txt", {"worker": worker, "link": link})
    send_mail("Your Groundwork console password", body, settings.DEFAULT_FROM_EMAIL, [worker.email])


@with_console_csp
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        worker_id = int(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError):
        worker_id = None
    worker = accounts.worker_for_reset_by_id(worker_id) if worker_id else None
    if worker is None or not accounts.worker_reset_tokens.check_token(worker, token):  # type: ignore[arg-type]  # a Worker
        return render(request, "console/password_reset_confirm.html", {"is_valid": False}, status=400)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.worker_password_set(worker=worker, password=form.cleaned_data["new_password1"])
        except InvalidInput as error:
            form.add_error("new_password1", error.message)
        else:
            throttle.signin_success_record(realm=REALM, account=worker.username)
            accounts.worker_session_login(session=request.session, worker=worker)
            return redirect("console:home")
    return render(request, "console/password_reset_confirm.html", {"is_valid": True, "form": form})
