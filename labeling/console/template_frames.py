"""Custom templates in the console (docs/templates.md "The sandbox").

``<gw-template-frame>`` frames ``GET /console/templates/assignments/<id>/host``, a page of the
console's own: it holds the template's frame (below) under ``frame-src <that frame's URL>``, so
the template's frame cannot navigate itself anywhere else (``location = …``, a meta refresh, a
link), and relays the frame's messages to the console (``static/console/template-host.js``).
The console's pages keep ``frame-src 'self' https:`` for MTurk ExternalQuestions alone.

``GET /console/templates/assignments/<id>/frame`` (the signed-in worker's own live assignment of
a job with a template) serves the job's template rendered with the task's input as the worker
sees it (a presigned ``source-url`` made now), under a Content-Security-Policy that:

- sandboxes it without ``allow-same-origin`` (``sandbox allow-scripts allow-forms``): the page has
  an opaque origin, so its scripts can read none of the console's cookies or storage, and its
  requests carry none of the worker's credentials;
- lets it reach nothing on the network but the task's own signed object URL (``img-src``,
  ``media-src``, ``connect-src``; ``default-src 'none'``, ``form-action 'none'``);
- runs only the console's element scripts (the helper by its nonce, the modules it imports from
  ``/static/console/``) and the template's own inline scripts, each by the hash of its text as
  written (no ``src=``, no ``on…=`` attributes, nothing a value could inject).

The helper (``static/console/template-frame.js``) configures the template's task elements from
their attributes and sends the answer to the console by ``postMessage``: the console's
``<gw-template-frame>`` checks the message came from its frame and submits it for its own
assignment over the worker API, where it is validated like any answer (the task's schema).
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import quote, urlsplit

from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from marketplace.models import Assignment
from marketplace.task_types import worker_input

from ..custom_templates.templates import inline_script_hashes, render
from ..models import LabelingJob
from ..task_types.registration import TEMPLATE_MARKER
from .mturk_frames import own_assignment_or_page, result_page

_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)
OBJECT_URL_KEYS = ("source-url",)
_CSP_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]+)?|\[[0-9A-Fa-f:.]+\](:[0-9]+)?")
_CSP_PATH_SAFE = "/%-._~!$&'()*+=:@"  # RFC 3986 path characters but ; and , (CSP separators)


def _origin(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def task_object_urls(request: HttpRequest, shown: dict, *, signed: bool) -> list[str]:
    """The task's own signed object URLs, absolute and without their query (a CSP source
    matches a URL's path exactly when it names one). Only when ``signed`` (the stored input had
    a ``source-ref``, so Groundwork made ``source-url`` now): a ``source-url`` a hook or a line
    gave is just data. Characters the CSP grammar reads (``;``, ``,``, whitespace) are
    percent-encoded in the path, and a host with any is no source at all."""
    urls = []
    for key in OBJECT_URL_KEYS if signed else ():
        value = shown.get(key)
        if isinstance(value, str) and value:
            parts = urlsplit(request.build_absolute_uri(value))
            if parts.scheme in ("http", "https") and _CSP_HOST.fullmatch(parts.netloc):
                urls.append(f"{parts.scheme}://{parts.netloc}{quote(parts.path, safe=_CSP_PATH_SAFE)}")
    return urls


def frame_policy(request: HttpRequest, *, nonce: str, script_hashes: list[str], object_urls: list[str]) -> str:
    """The template frame's Content-Security-Policy (the module docstring)."""
    static_root = f"{_origin(request)}{static('console/')}"
    objects = " ".join(object_urls)
    return "; ".join(
        [
            "sandbox allow-scripts allow-forms",
            "default-src 'none'",
            " ".join(["script-src", f"'nonce-{nonce}'", static_root, *script_hashes]),
            f"style-src 'unsafe-inline' {static_root}",
            f"img-src data: blob: {objects}".rstrip(),
            f"media-src data: blob: {objects}".rstrip(),
            f"connect-src {objects or chr(39) + 'none' + chr(39)}",
            "font-src data:",
            "form-action 'none'",
            "frame-ancestors 'self'",
            "base-uri 'none'",
        ]
    )


def _page(template_html: str, helper: str) -> str:
    head = _HEAD.search(template_html)
    if head:
        return f"{template_html[: head.end()]}{helper}{template_html[head.end() :]}"
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"{helper}\n</head>\n<body>\n{template_html}\n</body>\n</html>\n"
    )


def host_policy(request: HttpRequest, frame_url: str) -> str:
    """The host page's Content-Security-Policy: its relay script, and one frame, the template's
    (so every navigation the template's frame attempts elsewhere is refused)."""
    static_root = f"{_origin(request)}{static('console/')}"
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {static_root}",
            f"style-src {static_root}",
            f"frame-src {frame_url}",
            "form-action 'none'",
            "frame-ancestors 'self'",
            "base-uri 'none'",
        ]
    )


@require_GET
@xframe_options_sameorigin
def template_host(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """The page ``<gw-template-frame>`` frames: the template's sandboxed frame and a relay of
    its messages to the console (the module docstring)."""
    assignment = own_assignment_or_page(request, assignment_id)
    if isinstance(assignment, HttpResponse):
        return assignment
    frame_path = reverse("console:template_frame", args=[assignment.pk])
    page = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>The task</title>\n'
        f'<link rel="stylesheet" href="{static("console/template-host.css")}">\n'
        f'<script type="module" src="{static("console/template-host.js")}"></script>\n</head>\n<body>\n'
        f'<iframe title="The task" src="{frame_path}" sandbox="allow-scripts allow-forms" '
        'referrerpolicy="no-referrer"></iframe>\n</body>\n</html>\n'
    )
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = host_policy(request, request.build_absolute_uri(frame_path))
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@xframe_options_sameorigin
def template_frame(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """The frame of a task of a job with a custom template (the module docstring)."""
    assignment = own_assignment_or_page(request, assignment_id)
    if isinstance(assignment, HttpResponse):
        return assignment
    task = assignment.task
    job = LabelingJob.objects.filter(data_objects__task_id=task.pk).only("template").first()
    if assignment.status != Assignment.Status.ACCEPTED or job is None or not job.template:
        return result_page(request, "Not found", "This task is not open with a template.", status=404)
    shown = worker_input(task)
    shown = {key: value for key, value in shown.items() if key != TEMPLATE_MARKER} if isinstance(shown, dict) else {}
    nonce = secrets.token_urlsafe(16)
    helper = (
        f'<script type="module" nonce="{nonce}" src="{static("console/template-frame.js")}" '
        f'data-console-origin="{escape(_origin(request))}" data-assignment-id="{assignment.pk}" '
        f'data-stylesheet="{static("console/template-frame.css")}"></script>'
    )
    body = render(job.template, task_input=shown, labels=[str(label) for label in task.labels])
    response = HttpResponse(_page(body, helper), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = frame_policy(
        request,
        nonce=nonce,
        script_hashes=inline_script_hashes(job.template),
        object_urls=task_object_urls(
            request, shown, signed=isinstance(task.input, dict) and task.input.get("source-ref") is not None
        ),
    )
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    return response
