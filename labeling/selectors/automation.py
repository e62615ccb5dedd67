"""A job's automated labeling as the API and the portal show it (docs/automation.md): its
status and reason, the last round's proof, the audit, the machine labels and the money saved,
and the rounds over time (the portal's chart). Each figure is computed here once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from ..automation import audit_verdict
from ..models import AutomationRound, DataObject, JobAutomation, LabelingJob

# ``DataObject.audit``: picked for the audit and with humans; then what humans said against the
# model (lapsed: the task ended without a human label).
AUDIT_PENDING, AUDIT_AGREED, AUDIT_DISAGREED, AUDIT_LAPSED = "pending", "agreed", "disagreed", "lapsed"


def job_automation(job: LabelingJob) -> JobAutomation | None:
    """The job's automation row, or ``None`` when it did not ask for automated labeling (uses
    the row ``select_related`` loaded, when it did)."""
    try:
        return job.automation
    except JobAutomation.DoesNotExist:
        return None


@dataclass(frozen=True)
class AuditFigures:
    """Machine labels checked by humans: ``audited`` answered (``agreed`` of them matching the
    model), ``pending`` still with humans; ``passed`` is the verdict (``None`` before any)."""

    audited: int
    agreed: int
    pending: int
    passed: bool | None

    @property
    def agreement(self) -> float | None:
        return None if not self.audited else self.agreed / self.audited


def audit_figures(job: LabelingJob, automation: JobAutomation) -> AuditFigures:
    pending = DataObject.objects.filter(job=job, audit="pending").count()
    passed = (
        None
        if not automation.audited
        else audit_verdict(automation.audit_agreed, automation.audited, automation.target_accuracy)
    )
    return AuditFigures(automation.audited, automation.audit_agreed, pending, passed)


@dataclass(frozen=True)
class RoundPoint:
    """One round on the chart: when it ran, the job's human and machine labels just after it,
    what it machine-labeled and sent to the audit."""

    number: int
    ran_at: datetime
    human_labeled: int
    machine_labeled: int
    machine_labeled_in_round: int
    audit_picked: int
    threshold: float | None
    accuracy_lower_bound: float


def automation_rounds(automation: JobAutomation) -> list[RoundPoint]:
    rows = AutomationRound.objects.filter(automation=automation).order_by("number")
    return [
        RoundPoint(
            number=row.number,
            ran_at=row.ran_at,
            human_labeled=row.human_labeled_total,
            machine_labeled=row.machine_labeled_total,
            machine_labeled_in_round=row.machine_labeled,
            audit_picked=row.audit_picked,
            threshold=row.threshold,
            accuracy_lower_bound=row.accuracy_lower_bound,
        )
        for row in rows
    ]


def audit_by_round(job: LabelingJob) -> dict[int, tuple[int, int, int]]:
    """``{round: (agreed, audited, still pending)}`` over the job's audited objects."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    rows = (
        DataObject.objects.filter(job=job, machine_round__isnull=False)
        .exclude(audit="")
        .values_list("machine_round", "audit")
    )
    for round_number, audit in rows:
        number = cast(int, round_number)  # filtered on machine_round set
        if audit == AUDIT_AGREED:
            counts[number][0] += 1
        if audit in (AUDIT_AGREED, AUDIT_DISAGREED):
            counts[number][1] += 1
        if audit == AUDIT_PENDING:
            counts[number][2] += 1
    return {number: (a, n, p) for number, (a, n, p) in sorted(counts.items())}


MAX_CHART_POINTS = 300


def labels_over_time(job: LabelingJob) -> tuple[list[tuple[datetime, float]], list[tuple[datetime, float]]]:
    """The job's labeled objects over time, cumulative, by humans and by machine (gold objects
    left out; an audited object is a human's): one point per change, thinned to at most
    ``MAX_CHART_POINTS`` per series. A machine label sent back by its audit is no longer one."""
    rows = (
        DataObject.objects.filter(job=job, is_gold=False, status=DataObject.Status.LABELED, labeled_at__isnull=False)
        .order_by("labeled_at")
        .values_list("labeled_at", "is_machine_labeled")
    )
    human: list[tuple[datetime, float]] = [(job.created_at, 0.0)]
    machine: list[tuple[datetime, float]] = [(job.created_at, 0.0)]
    for labeled_at, is_machine in rows.iterator(chunk_size=5000):
        series = machine if is_machine else human
        series.append((cast(datetime, labeled_at), series[-1][1] + 1))
    return _thinned(human), _thinned(machine)


def _thinned(points: list[tuple[datetime, float]]) -> list[tuple[datetime, float]]:
    if len(points) <= MAX_CHART_POINTS:
        return points
    step = len(points) / (MAX_CHART_POINTS - 1)
    kept = [points[round(i * step)] for i in range(MAX_CHART_POINTS - 1)]
    return [*kept, points[-1]]
