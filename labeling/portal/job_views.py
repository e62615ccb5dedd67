"""The job page, for the two sides that may see a job: the vendor whose team works on it
(``/portal/vendor/jobs/<id>``) and the requester that owns it (``/portal/requester/jobs/<id>``).

Both render ``portal/job_detail.html`` from the same selectors (``job_stats``); what differs is
the access function that fetches the job and what the page leaves out for a vendor: anything
that tells gold objects apart (their data is listed with the rest, without line numbers,
labels or per-worker gold scores), the requester's storage URIs, and anything about the
requester beyond its name.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from marketplace.models import Organization
from marketplace.money import format_micros

from ..access import access_job_as_vendor, access_labeling_job
from ..models import LabelingJob
from . import job_stats, svg
from .auth import portal_page


def _page_number(request: HttpRequest) -> int:
    try:
        return min(max(1, int(request.GET.get("page", "1"))), job_stats.MAX_PAGE)
    except ValueError:
        return 1


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.1f} %"


def _object_row(job: LabelingJob, item) -> dict:
    """A data object as the page lists it: what workers see of it (its task's input) and what
    consolidation made of it, as JSON text (escaped by the template like any other text). The
    vendor's template shows only ``task_id``, ``input`` and ``submitted`` (alike for gold)."""
    return {
        "task_id": item.task_id, "line_number": item.line_number, "is_gold": item.is_gold, "status": item.status,
        "input": json.dumps(item.task.input, ensure_ascii=False, sort_keys=True),
        "result": job_stats.result_summary(job, item.result),
        "confidence": "–" if item.confidence is None else f"{item.confidence:.3f}",
        "answers": item.answers, "submitted": item.task.slots_submitted,
    }


def _render_job(request: HttpRequest, job: LabelingJob, *, side: str) -> HttpResponse:
    is_vendor = side == "vendor"
    now = timezone.now()
    progress = job_stats.job_progress(job, now=now)
    contributions = job_stats.worker_contributions(job)
    counts, edges = job_stats.confidence_histogram(job)
    page = _page_number(request)
    objects, has_next = job_stats.job_objects(job, page=page, as_vendor=is_vendor)

    def who(row: job_stats.WorkerContribution) -> str:
        # A vendor knows its own workers by name; a requester sees worker ids, as the API shows them.
        return row.username if is_vendor else f"worker {row.worker_id}"

    context = {
        "section": "dashboard",  # both sides list their jobs on the dashboard
        "side": side,
        "job": job,
        "price": format_micros(job.reward_micros),
        "progress": progress,
        "time_left": (progress.closes_at - now) if progress.closes_at and progress.closes_at > now else None,
        "contributions": [
            {"who": who(row), "row": row, "gold": _percent(row.gold_accuracy),
             "estimated": _percent(row.estimated_accuracy),
             "approval": _percent(row.approved / reviewed if (reviewed := row.approved + row.rejected) else None)}
            for row in contributions
        ],
        "progress_chart": svg.area_svg(job_stats.answers_over_time(job, now=now), title="Answers submitted over time",
                                       y_label="answers submitted (cumulative)", y_max=progress.slots),
        "contribution_chart": svg.bar_svg([(who(row), row.answers) for row in contributions[:20]],
                                          title="Answers per worker", unit="answers"),
        "label_chart": svg.bar_svg(job_stats.label_counts(job), title="Labeled objects per label", unit="objects"),
        "confidence_chart": svg.histogram_svg(counts, edges, title="Consolidated confidence of labeled objects",
                                              x_label="confidence"),
        "objects": [_object_row(job, item) for item in objects],
        "page": page,
        "has_next": has_next,
    }
    return render(request, "portal/job_detail.html", context)


@portal_page(Organization.Kind.VENDOR)
def vendor_job(request: HttpRequest, job_id: int) -> HttpResponse:
    return _render_job(request, access_job_as_vendor(request.organization, job_id), side="vendor")


@portal_page(Organization.Kind.REQUESTER)
def requester_job(request: HttpRequest, job_id: int) -> HttpResponse:
    return _render_job(request, access_labeling_job(request.organization, job_id), side="requester")
