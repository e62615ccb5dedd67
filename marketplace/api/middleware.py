"""Refuse oversized bodies with the JSON 413 before anything reads them."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse

from .errors import error_body


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.MAX_REQUEST_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse(error_body("invalid", "Content-Length is not a number"), status=400)
        if length > limit:
            return JsonResponse(
                error_body("too_large", f"the request body is larger than {limit} bytes"), status=413
            )
        return self.get_response(request)
