"""One mapping from every error to ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ..errors import DomainError

logger = logging.getLogger(__name__)


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested ValidationError detail → dotted paths (``"3.slots"``)."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    if isinstance(detail, list) and detail and not all(isinstance(x, str) for x in detail):
        out = {}
        for index, value in enumerate(detail):
            if value:
                out.update(_flatten(value, f"{prefix}{index}."))
        return out
    items = detail if isinstance(detail, list) else [detail]
    return {prefix.rstrip(".") or "non_field_errors": [str(x) for x in items]}


_DRF_CODES: list[tuple[type[exceptions.APIException], int, str]] = [
    (exceptions.NotAuthenticated, 401, "unauthenticated"),
    (exceptions.AuthenticationFailed, 401, "unauthenticated"),
    (exceptions.PermissionDenied, 403, "forbidden"),
    (exceptions.NotFound, 404, "not_found"),
    (exceptions.MethodNotAllowed, 405, "method_not_allowed"),
    (exceptions.UnsupportedMediaType, 415, "unsupported_media_type"),
    (exceptions.NotAcceptable, 406, "not_acceptable"),
    (exceptions.ParseError, 400, "invalid"),
    (exceptions.Throttled, 429, "rate_limited"),
]


def exception_handler(exc, context):
    """DRF's exception handler for the whole API (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``)."""
    set_rollback()
    if isinstance(exc, DomainError):
        headers = {}
        retry_after = getattr(exc, "retry_after_seconds", None)  # a service's own rate limit
        if exc.status == 429 and retry_after is not None:
            headers["Retry-After"] = str(max(1, int(-(-retry_after // 1))))
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status, headers=headers)
    if isinstance(exc, Http404):
        return Response(error_body("not_found", "not found"), status=404)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("too_large", "the request body is too large"), status=413)
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields))
        return Response(error_body("invalid", f"{first}: {fields[first][0]}", fields), status=400)
    for exc_class, status, code in _DRF_CODES:
        if isinstance(exc, exc_class):
            headers = {}
            if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
                headers["WWW-Authenticate"] = 'Bearer realm="groundwork"'
            if isinstance(exc, exceptions.Throttled):
                wait = exc.wait  # type: ignore[attr-defined]  # set by Throttled.__init__; drf-stubs omit it
                headers["Retry-After"] = str(max(1, int(-(-(wait or 1) // 1))))
            return Response(error_body(code, str(exc.detail)), status=status, headers=headers)
    return None  # a bug: Django renders the JSON 500 below and logs the traceback


@csrf_exempt  # the catch-all route: a POST to an unknown URL gets the JSON 404, not a CSRF page
def json_not_found(request, exception=None, *args, **kwargs):
    return JsonResponse(error_body("not_found", f"no such URL: {request.path}"), status=404)


def json_server_error(request, *args, **kwargs):
    return JsonResponse(error_body("server_error", "internal error; it has been logged"), status=500)


def json_bad_request(request, exception=None, *args, **kwargs):
    return JsonResponse(error_body("invalid", "bad request"), status=400)


def json_permission_denied(request, exception=None, *args, **kwargs):
    return JsonResponse(error_body("forbidden", "forbidden"), status=403)
