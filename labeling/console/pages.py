"""The console's pages: server-rendered shells that ``labeling/static/console/*.js`` fills from
the worker API, called with the session's credentials (``WorkerSessionAuthentication``)."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from marketplace.services.worker_accounts import worker_from_session

from .accounts import ConsoleRequest, console_page, render_signin
from .csp import with_console_csp


def _page(request: ConsoleRequest, template: str, active: str) -> HttpResponse:
    return render(request, template, {"worker": request.worker, "active": active})


@with_console_csp
@ensure_csrf_cookie
def home(request: HttpRequest) -> HttpResponse:
    """``/console/``: the worker's home, or the sign-in form when signed out."""
    worker = worker_from_session(request.session)
    if worker is None:
        return render_signin(request)
    console_request = cast(ConsoleRequest, request)
    console_request.worker = worker
    return _page(console_request, "console/home.html", "home")


@console_page
@ensure_csrf_cookie
def work(request: ConsoleRequest) -> HttpResponse:
    return _page(request, "console/work.html", "work")


@console_page
@ensure_csrf_cookie
def history(request: ConsoleRequest) -> HttpResponse:
    return _page(request, "console/history.html", "history")


@console_page
@ensure_csrf_cookie
def tests(request: ConsoleRequest) -> HttpResponse:
    return _page(request, "console/tests.html", "tests")


@console_page
@ensure_csrf_cookie
def messages(request: ConsoleRequest) -> HttpResponse:
    """``/console/messages``: what requesters the worker worked for wrote to it."""
    return _page(request, "console/messages.html", "messages")


@console_page
def requester(request: ConsoleRequest, requester_id: int) -> HttpResponse:
    """``/console/requesters/<id>``: a requester's public profile (its appeal figures), filled
    from ``GET /api/v1/worker/requesters/{id}``, which decides who may see it."""
    return render(
        request, "console/requester.html", {"worker": request.worker, "active": "", "requester_id": requester_id}
    )
