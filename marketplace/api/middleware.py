"""Edge checks that run before any view: body size (a backstop to ``body_limit``) and the text
of the path and query parameters.

Under ASGI ``marketplace.api.body_limit.BodySizeLimit`` refuses oversized bodies while reading
them; ``RequestSizeLimitMiddleware`` repeats the declared-length check for WSGI and the test
client, which hand Django a body already read.
"""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, JsonResponse

from ..jsonbody import printable_key, text_problem
from .errors import error_body


class _EdgeCheck:
    """A check made before the rest of the chain, sync or async as the chain is: under ASGI the
    chain stays on the event loop until the view (a sync-only middleware here would cost two
    thread hops per request)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return self.refusal(request) or self.get_response(request)

    async def __acall__(self, request):
        return self.refusal(request) or await self.get_response(request)

    def refusal(self, request: HttpRequest) -> JsonResponse | None:
        raise NotImplementedError


class RequestSizeLimitMiddleware(_EdgeCheck):
    def refusal(self, request: HttpRequest) -> JsonResponse | None:
        limit = settings.MAX_REQUEST_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse(error_body("invalid", "Content-Length is not a number"), status=400)
        if length > limit:
            return JsonResponse(error_body("too_large", f"the request body is larger than {limit} bytes"), status=413)
        return None


class QueryTextMiddleware(_EdgeCheck):
    """Every query parameter (name and values) and the path must be text PostgreSQL can store:
    a NUL or a lone surrogate is a 400 ``invalid`` naming the parameter, before any view or
    query sees it (``?name_contains=%00`` would otherwise reach a ``LIKE`` and fail there)."""

    def refusal(self, request: HttpRequest) -> JsonResponse | None:
        fields: dict[str, list[str]] = {}
        if problem := text_problem(request.path):
            fields["path"] = [problem]
        for name, values in request.GET.lists():
            if problem := text_problem(name):
                fields.setdefault(printable_key(name), []).append(f"the parameter name {problem}")
            for value in values:
                if problem := text_problem(value):
                    fields.setdefault(printable_key(name), []).append(problem)
        if fields:
            first = next(iter(fields))
            return JsonResponse(error_body("invalid", f"{first}: {fields[first][0]}", fields), status=400)
        return None
