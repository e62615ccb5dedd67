"""Custom templates in the console (docs/templates.md "The sandbox").

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
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from marketplace.access import access_assignment_as_worker
from marketplace.errors import DomainError
from marketplace.models import Assignment
from marketplace.services.worker_accounts import worker_from_session
from marketplace.task_types import worker_input

from ..custom_templates.templates import inline_script_hashes, render
from ..models import LabelingJob
from ..task_types.registration import TEMPLATE_MARKER
from .mturk_frames import result_page

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


@require_GET
@xframe_options_sameorigin
def template_frame(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """The frame of a task of a job with a custom template (the module docstring)."""
    worker = worker_from_session(request.session)
    if worker is None:
        return result_page(request, "Signed out", "Sign in to the console again to see this task.", status=403)
    try:
        assignment = access_assignment_as_worker(worker, assignment_id)
    except DomainError:
        return result_page(request, "Not found", "No such assignment of yours.", status=404)
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
