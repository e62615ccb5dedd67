"""Bearer credentials: requester API keys (``gwr_…``) and worker tokens (``gww_…``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from rest_framework import authentication, exceptions, permissions

from ..credentials import REQUESTER_KEY_PREFIX, WORKER_TOKEN_PREFIX, hash_secret
from ..models import ApiKey
from ..principals import RequesterPrincipal, WorkerPrincipal
from ..selectors.credentials import worker_by_token_hash
from ..services.organizations import api_key_mark_used
from ..services.worker_accounts import worker_from_session


class BearerTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            raise exceptions.AuthenticationFailed("the Authorization header must be 'Bearer <key or token>'")
        principal = resolve_bearer(secret)
        if principal is None:
            raise exceptions.AuthenticationFailed("unknown, revoked or rotated credentials")
        return principal, secret

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="groundwork"'


class _CSRFCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason  # the failure reason, for the 403 below


class WorkerSessionAuthentication(authentication.BaseAuthentication):
    """The worker console's session (``services.worker_accounts``) as a worker credential: the
    same ``WorkerPrincipal`` as the worker's token, so every worker endpoint (and its rate
    limits) serves the console. Unsafe methods must pass Django's CSRF check (the console sends
    ``X-CSRFToken``), since a browser attaches the cookie to any site's request. A request with
    an ``Authorization`` header never gets here (bearer authentication runs first)."""

    def authenticate(self, request):
        session = getattr(request._request, "session", None)
        worker = worker_from_session(session) if session is not None else None
        if worker is None:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            check = _CSRFCheck(_no_view)
            check.process_request(request._request)
            reason = check.process_view(request._request, _no_view, (), {})
            if reason:
                raise exceptions.PermissionDenied(f"CSRF check failed: {reason}")
        return WorkerPrincipal(worker=worker), None


def resolve_bearer(secret: str) -> RequesterPrincipal | WorkerPrincipal | None:
    """The principal a bearer secret stands for, or ``None``. Shared with the websocket."""
    digest = hash_secret(secret)
    if secret.startswith(REQUESTER_KEY_PREFIX):
        api_key = (
            ApiKey.objects.select_related("organization")
            .filter(key_hash=digest, revoked_at__isnull=True, organization__is_active=True)
            .first()
        )
        if api_key is None:
            return None
        api_key_mark_used(api_key=api_key)
        return RequesterPrincipal(organization=api_key.organization, api_key=api_key)
    if secret.startswith(WORKER_TOKEN_PREFIX):
        worker = worker_by_token_hash(digest)
        return None if worker is None else WorkerPrincipal(worker=worker)
    return None


def _no_view(request: HttpRequest) -> HttpResponse:
    """The view the CSRF check is given: never called (the check only reads the request)."""
    raise AssertionError("the CSRF check called its view")


class _PrincipalKind(permissions.BasePermission):
    principal_class: type
    message: str

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None:
            raise exceptions.NotAuthenticated("send 'Authorization: Bearer <key or token>'")
        if not isinstance(user, self.principal_class):
            raise exceptions.PermissionDenied(self.message)
        return True


class IsRequester(_PrincipalKind):
    principal_class = RequesterPrincipal
    message = "this endpoint is for requesters (an API key), not workers"


class IsWorker(_PrincipalKind):
    principal_class = WorkerPrincipal
    message = "this endpoint is for workers (a worker token), not requesters"
