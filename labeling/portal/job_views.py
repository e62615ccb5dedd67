"""The job page, for the two sides that may see a job: the vendor whose team works on it
(``/portal/vendor/jobs/<id>``) and the requester that owns it (``/portal/requester/jobs/<id>``).

Both render ``portal/job_detail.html`` from the same selectors (``labeling.selectors.progress``
and ``labeling.selectors.objects``); what differs is the access function that fetches the job
and what the page leaves out for a vendor: anything
that tells gold objects apart (their data is listed with the rest, without line numbers,
labels or per-worker gold scores), the requester's storage URIs, and anything about the
requester beyond its name (its automated labeling included: docs/automation.md, "Portal").
"""

from __future__ import annotations

import json
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from marketplace.models import Organization
from marketplace.money import format_micros

from ..access import access_job_as_vendor, access_labeling_job
from ..models import LabelingJob
from ..selectors.automation import (
    audit_by_round,
    audit_figures,
    automation_rounds,
    job_automation,
    labels_over_time,
)
from ..selectors.objects import MAX_PAGE, confidence_histogram, job_objects, label_counts, result_summary
from ..selectors.progress import JobProgress, WorkerContribution, answers_over_time, job_progress, worker_contributions
from . import svg
from .auth import PortalRequest, portal_page
from .words import count_noun, percent, time_until


def _page_number(request: HttpRequest) -> int:
    try:
        return min(max(1, int(request.GET.get("page", "1"))), MAX_PAGE)
    except ValueError:
        return 1


def _object_row(job: LabelingJob, item) -> dict:
    """A data object as the page lists it: what workers see of it (its task's input) and what
    consolidation made of it, as JSON text (escaped by the template like any other text). The
    vendor's template shows only ``task_id``, ``input`` and ``submitted`` (alike for gold)."""
    return {
        "task_id": item.task_id,
        "line_number": item.line_number,
        "is_gold": item.is_gold,
        "status": item.status,
        "input": json.dumps(item.task.input, ensure_ascii=False, sort_keys=True),
        "result": result_summary(job, item.result),
        "confidence": "–" if item.confidence is None else f"{item.confidence:.2f}",
        "answers": item.answers,
        "submitted": item.task.slots_submitted,
    }


def answers_explained(job: LabelingJob, progress: JobProgress, *, is_vendor: bool) -> list[str]:
    """Why the job wants the answers it does, in sentences: the tasks posted times the answers
    each asks for, the slots added since (dynamic redundancy, replacements) and those that will
    never be answered. A vendor is told tasks, not objects and gold checks (that would say how
    many of the tasks check its team's quality)."""
    if not progress.tasks:
        return []
    if is_vendor or not progress.gold_tasks:
        tasks = count_noun(progress.tasks, "task")
    else:
        tasks = (
            f"{count_noun(progress.tasks, 'task')} ({count_noun(progress.objects_total, 'object')} and "
            f"{count_noun(progress.gold_tasks, 'gold check')})"
        )
    lines = [
        f"{tasks} × {count_noun(job.workers_per_object, 'answer')} each = {progress.posted_slots} wanted "
        f"when the job started."
    ]
    if progress.extra_slots > 0:
        why = (
            f"dynamic redundancy asks an object whose label is still unsure after "
            f"{count_noun(job.workers_per_object, 'answer')} for one more, up to {job.max_workers_per_object}"
            if job.target_confidence is not None
            else "slots added to replace rejected answers"
        )
        lines.append(f"+ {count_noun(progress.extra_slots, 'answer')} added since: {why}.")
    if progress.unfillable:
        lines.append(
            f"{count_noun(progress.unfillable, 'slot')} will not be answered: "
            f"{'its task' if progress.unfillable == 1 else 'their tasks'} closed early once the label "
            f"was confident enough, expired or {'was' if progress.unfillable == 1 else 'were'} stopped."
        )
    return lines


def _render_job(request: HttpRequest, job: LabelingJob, *, side: str) -> HttpResponse:
    is_vendor = side == "vendor"
    now = timezone.now()
    progress = job_progress(job, now=now)
    contributions = worker_contributions(job)
    counts, edges = confidence_histogram(job)
    page = _page_number(request)
    objects, has_next = job_objects(job, page=page, as_vendor=is_vendor)

    def who(row: WorkerContribution) -> str:
        # A vendor knows its own workers by name; a requester sees worker ids, as the API shows them.
        return row.username if is_vendor else f"worker {row.worker_id}"

    context = {
        "section": "dashboard",  # both sides list their jobs on the dashboard
        "side": side,
        "job": job,
        "price": format_micros(job.reward_micros),
        "progress": progress,
        "answers_explained": answers_explained(job, progress, is_vendor=is_vendor),
        "time_left": time_until(progress.closes_at, now),
        "contributions": [
            {
                "who": who(row),
                "row": row,
                "gold": percent(row.gold_accuracy, share=True),
                "estimated": percent(row.estimated_accuracy, share=True),
                "approval": percent(
                    row.approved / reviewed if (reviewed := row.approved + row.rejected) else None, share=True
                ),
            }
            for row in contributions
        ],
        "progress_chart": svg.area_svg(
            answers_over_time(job, now=now) if progress.answers else [],
            title="Answers submitted over time",
            y_label="answers submitted (cumulative)",
            y_max=progress.slots,
            empty_message="No answers yet",
        ),
        "contribution_chart": svg.bar_svg(
            [(who(row), row.answers) for row in contributions[:20]],
            title="Answers per worker",
            noun="answer",
            empty_message="No answers yet",
        ),
        "label_chart": svg.bar_svg(
            label_counts(job),
            title="Labeled objects per label",
            noun="object",
            empty_message="No object labeled yet"
            if job.label_categories
            else "This task type has no label categories to count",
        ),
        "confidence_chart": svg.histogram_svg(
            counts,
            edges,
            title="Confidence of labeled objects",
            x_label="confidence of the consolidated label",
            noun="object",
            empty_message="No object labeled yet",
        ),
        "labeled_in_chart": sum(counts),
        "objects": [_object_row(job, item) for item in objects],
        "page": page,
        "has_next": has_next,
    }
    if not is_vendor:
        context["automation"] = _automation_context(job, now=now)
    return render(request, "portal/job_detail.html", context)


def _automation_context(job: LabelingJob, *, now: datetime) -> dict | None:
    """The requester's view of the job's automated labeling: figures, the audit per round and
    the chart of human against machine labels over time (``None`` when not asked for)."""
    automation = job_automation(job)
    if automation is None:
        return None
    rounds = automation_rounds(automation)
    human, machine = labels_over_time(job)
    end = now if job.ended_at is None else job.ended_at
    human.append((end, human[-1][1]))  # the counts hold until now (or the job's end)
    machine.append((end, machine[-1][1]))
    audit = audit_figures(job, automation)
    by_round = audit_by_round(job)
    return {
        "row": automation,
        "audit": audit,
        "money_saved": format_micros(automation.saved_micros),
        "rounds": [{"point": point, "audit": by_round.get(point.number, (0, 0, 0))} for point in rounds],
        "chart": svg.lines_svg(
            [("labeled by humans", svg.ACCENT, human), ("labeled by machine", svg.SECOND, machine)],
            title="Human and machine labels over time",
            y_label="objects labeled (cumulative)",
            y_max=job.objects_total,
            empty_message="No round yet",
        ),
    }


@portal_page(Organization.Kind.VENDOR)
def vendor_job(request: PortalRequest, job_id: int) -> HttpResponse:
    return _render_job(request, access_job_as_vendor(request.organization, job_id), side="vendor")


@portal_page(Organization.Kind.REQUESTER)
def requester_job(request: PortalRequest, job_id: int) -> HttpResponse:
    return _render_job(request, access_labeling_job(request.organization, job_id), side="requester")
