"""“Preview as a worker” on a job page: one task of the job in the worker console's own UI (the
same task elements and instructions renderer), as a worker would receive it. Nothing is
claimed or recorded: the page renders the task's worker view (``worker_input``: what the job
lets workers see, with fresh signed links to images), and its Submit button only shows the
answer the console would send.

The n-th object (``?n=``) is taken in the order the job page lists them: for a vendor, every
object in task order, gold included and alike (a gold task looks like any other to workers, and
leaving gold out here would mark it); for the requester, input objects, then gold ones.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from marketplace.models import Organization
from marketplace.money import format_micros
from marketplace.task_types import worker_input

from ..access import access_job_as_vendor, access_labeling_job
from ..console.csp import content_security_policy
from ..models import LabelingJob
from ..selectors.objects import job_object_at
from .auth import PortalRequest, portal_page


def _object_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("n", "1")), 1_000_000))
    except ValueError:
        return 1


def _render_preview(request: HttpRequest, job: LabelingJob, *, side: str) -> HttpResponse:
    number = _object_number(request)
    item, total = job_object_at(job, number, as_vendor=side == "vendor")
    task_message = None
    if item is not None:
        task = item.task
        task_message = {
            "task_type": task.task_type,
            "title": task.title,
            "description": task.description,
            "input": worker_input(task),
            "labels": task.labels,
            "instructions": task.instructions,
            "answer_schema": task.answer_schema,
            "reward": format_micros(task.reward_micros),
        }
    response = render(
        request,
        "portal/job_preview.html",
        {
            "job": job,
            "side": side,
            "task_message": task_message,
            "number": min(number, total),
            "total": total,
            "back": f"/portal/{side}/jobs/{job.pk}",
        },
    )
    response["Content-Security-Policy"] = content_security_policy()
    return response


@portal_page(Organization.Kind.VENDOR)
def vendor_job_preview(request: PortalRequest, job_id: int) -> HttpResponse:
    return _render_preview(request, access_job_as_vendor(request.organization, job_id), side="vendor")


@portal_page(Organization.Kind.REQUESTER)
def requester_job_preview(request: PortalRequest, job_id: int) -> HttpResponse:
    return _render_preview(request, access_labeling_job(request.organization, job_id), side="requester")
