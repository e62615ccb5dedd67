"""MTurk questions in the console (docs/aws.md "Questions and answers").

An HTMLQuestion or ExternalQuestion task is shown in a frame, as Mechanical Turk shows it:

- ``GET /console/mturk/assignments/<id>/frame`` (the signed-in worker's own assignment) first
  redirects to itself with the query MTurk passes (``assignmentId``, ``hitId``, ``workerId``,
  ``turkSubmitTo``), so a template's own scripts find them where they look; then it serves the
  HTMLQuestion's HTML, sandboxed (``CSP: sandbox``, no same-origin: it can neither read the
  console's cookies nor call the API as the worker), with ``mturk-frame.js`` pointing its form at
  ``{turkSubmitTo}/mturk/externalSubmit``. An ExternalQuestion redirects to the requester's URL
  with the same query.
- ``POST {turkSubmitTo}/mturk/externalSubmit`` (``turkSubmitTo`` is
  ``<base>/console/mturk/submit/<token>``, the token signing the assignment and its worker) takes
  the form and submits it as the assignment's answer through ``assignment_submit``: every field
  but ``assignmentId`` as a string (a field sent several times, like checkboxes, joined with
  ``|``). The page it answers tells the console (``mturk-submitted.js``, ``postMessage``).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from marketplace.access import access_assignment_as_worker
from marketplace.errors import DomainError
from marketplace.models import Assignment, Task
from marketplace.ratelimit import worker_action_take
from marketplace.selectors.workers import active_worker
from marketplace.services.assignments import assignment_submit
from marketplace.services.worker_accounts import worker_from_session

SUBMIT_SALT = "groundwork.mturk-submit"
SUBMIT_TOKEN_MAX_AGE_SECONDS = 8 * 86400  # the longest assignment (7 days), and a day to spare
FRAMED_TYPES = ("HTMLQuestion", "ExternalQuestion")
_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)


def submit_token(assignment: Assignment) -> str:
    return signing.dumps([assignment.pk, assignment.worker_id], salt=SUBMIT_SALT)


def turk_params(request: HttpRequest, assignment: Assignment) -> dict[str, str]:
    """The query MTurk gives a HIT's page."""
    submit_to = request.build_absolute_uri(reverse("console:mturk_submit_base", args=[submit_token(assignment)]))
    return {
        "assignmentId": str(assignment.pk),
        "hitId": str(assignment.task_id),
        "workerId": str(assignment.worker_id),
        "turkSubmitTo": submit_to.rstrip("/"),
    }


def _origin(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _frame_policy(request: HttpRequest) -> str:
    """The HTMLQuestion's page: sandboxed without same-origin, its form posting only to the
    submit URL, no connections; scripts, styles and images from https (MTurk templates load
    theirs from CDNs) and this origin's helper."""
    origin = _origin(request)
    return "; ".join(
        [
            "sandbox allow-forms allow-scripts allow-popups allow-modals",
            "default-src 'none'",
            f"script-src 'unsafe-inline' https: {origin}/static/",
            f"style-src 'unsafe-inline' https: {origin}/static/",
            "img-src https: data: blob:",
            "font-src https: data:",
            "media-src https: data: blob:",
            "connect-src 'none'",
            f"form-action {origin}/console/mturk/submit/",
            "frame-ancestors 'self'",
            "base-uri 'none'",
        ]
    )


def _result_policy(request: HttpRequest) -> str:
    origin = _origin(request)
    return (
        f"default-src 'none'; script-src {origin}/static/; style-src {origin}/static/; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
    )


def result_page(
    request: HttpRequest, heading: str, text: str, *, status: int, result: dict | None = None
) -> HttpResponse:
    response = render(
        request,
        "console/mturk_result.html",
        {"heading": heading, "text": text, "result": result or {}},
        status=status,
    )
    response["Content-Security-Policy"] = _result_policy(request)
    return response


def own_assignment_or_page(request: HttpRequest, assignment_id: int) -> Assignment | HttpResponse:
    """The signed-in worker's own assignment ``assignment_id``, or the page a frame shows
    instead (403 signed out, 404 not theirs): the preamble of every console frame view."""
    worker = worker_from_session(request.session)
    if worker is None:
        return result_page(request, "Signed out", "Sign in to the console again to see this task.", status=403)
    try:
        return access_assignment_as_worker(worker, assignment_id)
    except DomainError:
        return result_page(request, "Not found", "No such assignment of yours.", status=404)


@require_GET
@xframe_options_sameorigin
def question_frame(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """The frame of an HTMLQuestion or ExternalQuestion task (the module docstring)."""
    assignment = own_assignment_or_page(request, assignment_id)
    if isinstance(assignment, HttpResponse):
        return assignment
    shown = assignment.task.input if assignment.task.task_type == Task.TaskType.MTURK_QUESTION else {}
    kind = shown.get("question_type") if isinstance(shown, dict) else None
    if kind not in FRAMED_TYPES:
        return result_page(request, "Not found", "This task is not shown in a frame.", status=404)
    params = turk_params(request, assignment)
    if kind == "ExternalQuestion":
        url = shown["external_url"]
        return HttpResponseRedirect(f"{url}{'&' if '?' in url else '?'}{urlencode(params)}")
    if request.GET.get("assignmentId") != params["assignmentId"] or request.GET.get("turkSubmitTo") is None:
        return HttpResponseRedirect(f"{request.path}?{urlencode(params)}")
    helper = (
        f'<script src="{static("console/mturk-frame.js")}" data-assignment-id="{params["assignmentId"]}" '
        f'data-submit-to="{params["turkSubmitTo"]}/mturk/externalSubmit"></script>'
    )
    html = shown["html"]
    head = _HEAD.search(html)
    page = f"{html[: head.end()]}{helper}{html[head.end() :]}" if head else f"{helper}{html}"
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = _frame_policy(request)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"  # the submit token is in this page's URL
    return response


@csrf_exempt  # posted from a sandboxed frame or the requester's site: the signed token is the credential
@require_POST
@xframe_options_sameorigin
def external_submit(request: HttpRequest, token: str) -> HttpResponse:
    """``{turkSubmitTo}/mturk/externalSubmit``: the form, submitted as the assignment's answer."""
    try:
        assignment_id, worker_id = signing.loads(token, salt=SUBMIT_SALT, max_age=SUBMIT_TOKEN_MAX_AGE_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        return result_page(request, "Not accepted", "This submission link is not valid.", status=404)
    worker = active_worker(worker_id)
    posted = request.POST
    # The template's own hidden field may be left empty (its script did not run): the token says which.
    if worker is None or (posted.get("assignmentId") or str(assignment_id)) != str(assignment_id):
        return result_page(request, "Not accepted", "This form belongs to another assignment.", status=400)
    answer = {name: "|".join(posted.getlist(name)) for name in posted if name != "assignmentId"}
    try:
        worker_action_take(worker.pk)
        assignment_submit(worker=worker, assignment_id=assignment_id, answer=answer)
    except DomainError as error:
        result: dict[str, object] = {"type": "gw-mturk-refused", "assignmentId": str(assignment_id), "code": error.code}
        return result_page(request, "Not accepted", error.message, status=error.status, result=result)
    result = {"type": "gw-mturk-submitted", "assignmentId": str(assignment_id), "answer": answer}
    return result_page(request, "Submitted", "Your answer was recorded. Thank you!", status=200, result=result)


def submit_base(request: HttpRequest, token: str) -> HttpResponse:
    """``turkSubmitTo`` itself: only its ``/mturk/externalSubmit`` takes anything."""
    return result_page(request, "Not found", "Post the form to /mturk/externalSubmit under this address.", status=404)
