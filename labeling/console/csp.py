"""The Content-Security-Policy of every console page (docs/console.md "Security").

No inline script or style anywhere: scripts and styles come only from this origin's static
files; images from this origin (signed links to ``file://`` objects), ``data:``/``blob:`` (what
elements draw) and the object storage that presigned URLs point at; connections to this
origin's API and websocket only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def storage_image_origins() -> list[str]:
    """Where presigned image URLs may point: the configured S3 endpoint that workers are sent
    to, or AWS's S3 hosts; and ``PUBLIC_BASE_URL``, the origin of signed ``file://`` links."""
    endpoint = settings.AWS_PUBLIC_ENDPOINT_URL or settings.AWS_ENDPOINT_URL
    origins = [_origin(endpoint)] if endpoint else ["https://*.amazonaws.com"]
    origins.append(_origin(settings.PUBLIC_BASE_URL) if settings.PUBLIC_BASE_URL else None)
    return sorted({origin for origin in origins if origin})


def content_security_policy() -> str:
    img = " ".join(["'self'", "data:", "blob:", *storage_image_origins()])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {img}",
            "connect-src 'self' ws: wss:",
            # MTurk questions: an HTMLQuestion's sandboxed page comes from this origin, an
            # ExternalQuestion's from the requester's https site (labeling/console/mturk_frames.py).
            f"frame-src 'self' https:{' http:' if settings.MTURK_EXTERNAL_URL_ALLOW_HTTP else ''}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def with_console_csp(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Set the console's Content-Security-Policy on the view's response. (No ``Referrer-Policy:
    no-referrer`` here: Chromium then sends ``Origin: null`` with forms, which fails the CSRF
    check; Django's ``same-origin`` default already keeps reset links from other sites.)"""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = content_security_policy()
        return response

    return wrapped
