"""Serving ``file://`` objects to workers through the links of ``presigned_get_url``.

The signed token in the path is the credential (as a presigned S3 URL is): no Authorization
header, so an ``<img src>`` works. A bad, tampered or expired token is the JSON 404.
"""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponseBase, JsonResponse

from marketplace.api.errors import error_body
from marketplace.errors import NotFound

from .storage import open_signed_file


def storage_object(request: HttpRequest, token: str) -> HttpResponseBase:
    if request.method not in ("GET", "HEAD"):
        response: HttpResponseBase = JsonResponse(
            error_body("method_not_allowed", f"method {request.method} not allowed"), status=405
        )
        response["Allow"] = "GET, HEAD"
        return response
    try:
        stream, filename = open_signed_file(token)
    except NotFound as exc:
        return JsonResponse(error_body(exc.code, exc.message), status=exc.status)
    response = FileResponse(stream, filename=filename)
    # The bytes are the requester's: never let them run as a page of this origin.
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private"
    return response
