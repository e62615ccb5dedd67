"""The hooks applied to a job's objects (docs/templates.md "Hooks"): the pre-task hook when the
job ingests, the consolidation hook as objects finish. A hook that keeps failing fails that
object, with the reason in its ``failure_reason`` (and its output line's ``failure-reason``);
the job goes on with the others.

Calls run on ``LABELING_HOOK_THREADS`` threads that only talk to the network; every database
read and write stays on the calling (background) thread.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, cast

from django.conf import settings
from django.db.models import Count

from marketplace.models import Assignment, Task

from ..models import DataObject, LabelingJob
from ..task_types.base import job_name_value, rounded
from .hooks import (
    CONSOLIDATION,
    PRE_TASK,
    BadAnswer,
    HookFailed,
    consolidation_request,
    hook_call,
    job_hook_secret,
    pre_task_request,
    read_label,
    read_task_input,
)
from .manifest_lines import ManifestObject

# A label the consolidation hook gave, as ``DataObject.result`` holds it ("$" keys are never a
# task type's own).
HOOK_RESULT_KEY = "$hook"
HOOK_OUTPUT_TYPE = "groundtruth/custom"
# The objects one background pass sends to the consolidation hook; the rest wait for the next.
MAX_CONSOLIDATIONS_PER_PASS = 2000
CLOSED = (Task.Status.COMPLETE, Task.Status.EXPIRED, Task.Status.STOPPED)
ANSWERED = (Assignment.Status.SUBMITTED, Assignment.Status.APPROVED)


@dataclass(frozen=True)
class PreparedInput:
    """What the pre-task hook made of one line: the task's input, or why the object failed."""

    task_input: dict | None
    failure_reason: str = ""


def _pool_map(function: Callable, items: Sequence, *, deadline: float | None = None) -> list:
    """``function`` of each item on the hook threads; with a ``deadline`` (``time.monotonic``),
    an item not started by then is ``None`` (a call in flight finishes: its attempts and
    timeouts bound it)."""
    if not items:
        return []

    def call(item: object) -> object:
        return None if deadline is not None and time.monotonic() >= deadline else function(item)

    with ThreadPoolExecutor(max_workers=max(1, settings.LABELING_HOOK_THREADS)) as pool:
        return list(pool.map(call, items))


def pre_task_inputs(
    job: LabelingJob, objects: Iterable[ManifestObject], covers: Callable[[str], bool]
) -> dict[int, PreparedInput]:
    """Each input object's task input from the job's pre-task hook, by line number. A
    ``source-ref`` the hook gives must lie in storage registered for the requester, as a
    manifest's must."""
    secret = job_hook_secret(job)

    def read(answer: dict) -> dict:
        task_input = read_task_input(answer)
        source_ref = task_input.get("source-ref")
        if source_ref is not None and (not isinstance(source_ref, str) or not covers(source_ref)):
            raise BadAnswer(f'"taskInput" source-ref {source_ref!r} is not in storage registered for this requester')
        return task_input

    def prepare(item: ManifestObject) -> tuple[int, PreparedInput]:
        try:
            task_input = hook_call(
                url=job.pre_task_hook_url,
                secret=secret,
                kind=PRE_TASK,
                payload=pre_task_request(job, json.loads(item.line)),
                read=read,
            )
        except HookFailed as failure:
            return item.line_number, PreparedInput(None, failure.reason)
        return item.line_number, PreparedInput(task_input)

    return dict(_pool_map(prepare, list(objects)))


class ObjectState(Protocol):
    """What ``hook_consolidate`` reads and sets of a pass's object (``progress._Object``)."""

    pk: int
    task_id: int
    is_gold: bool
    status: str
    result: dict | None
    answers: int
    task_status: str
    slots_used: int
    slots_submitted: int
    task_input: dict


def _finished(item: ObjectState) -> bool:
    return item.task_status in CLOSED and item.slots_used == item.slots_submitted


def hook_consolidate(
    job: LabelingJob, objects: Sequence[ObjectState]
) -> tuple[dict[int, tuple[dict | None, float | None]], bool]:
    """Labels from the consolidation hook for the objects that can take no more answers and
    have none yet: ``({data object pk: (result, confidence)}, whether some were left for the
    next pass)``. Sets every object's ``answers``;
    an object the hook kept failing on is set ``failed`` (its reason saved at once, its status
    by the caller with the others). No call starts after ``LABELING_HOOK_PASS_SECONDS``: the
    objects left stay pending for the next pass, so a pass never outlives the job's lease."""
    deadline = time.monotonic() + settings.LABELING_HOOK_PASS_SECONDS
    answered = Assignment.objects.filter(task__batch=job.posted_batch, status__in=ANSWERED)
    counts = dict(answered.order_by().values_list("task_id").annotate(count=Count("pk")))
    for item in objects:
        item.answers = counts.get(item.task_id, 0)
    due = [
        item
        for item in objects
        if item.status == DataObject.Status.PENDING and item.result is None and item.answers and _finished(item)
    ]
    left = len(due) > MAX_CONSOLIDATIONS_PER_PASS
    due = due[:MAX_CONSOLIDATIONS_PER_PASS]
    if not due:
        return {}, False
    answers: dict[int, list[tuple[int, dict]]] = {}  # the answers of the due objects only
    rows = answered.filter(task_id__in=[item.task_id for item in due]).order_by("pk")
    for task_id, worker_id, answer in rows.values_list("task_id", "worker_id", "answer").iterator(chunk_size=2000):
        answers.setdefault(task_id, []).append((worker_id, cast(dict, answer)))
    stored = {
        pk: (line, index)
        for pk, line, index in DataObject.objects.filter(pk__in=[item.pk for item in due]).values_list(
            "pk", "source_line", "object_index"
        )
    }
    secret = job_hook_secret(job)

    def consolidate(item: ObjectState) -> tuple[int, object, float | None, str]:
        payload = consolidation_request(
            job,
            object_index=stored[item.pk][1] or 0,
            data_object=json.loads(stored[item.pk][0]),
            task_input={key: value for key, value in item.task_input.items() if not key.startswith("$")},
            answers=answers[item.task_id],
        )
        try:
            label, confidence = hook_call(
                url=job.consolidation_hook_url, secret=secret, kind=CONSOLIDATION, payload=payload, read=read_label
            )
        except HookFailed as failure:
            return item.pk, None, None, failure.reason
        return item.pk, label, confidence, ""

    results: dict[int, tuple[dict | None, float | None]] = {}
    by_pk = {item.pk: item for item in due}
    for outcome in _pool_map(consolidate, due, deadline=deadline):
        if outcome is None:  # not started before the deadline: the next pass sends it
            left = True
            continue
        pk, label, confidence, reason = outcome
        if reason:
            DataObject.objects.filter(pk=pk, status=DataObject.Status.PENDING).update(failure_reason=reason)
            by_pk[pk].status = DataObject.Status.FAILED
        else:
            results[pk] = ({HOOK_RESULT_KEY: {"label": label, "confidence": confidence}}, confidence)
    return results, left


def is_hook_result(result: dict) -> bool:
    return HOOK_RESULT_KEY in result


def hook_output_value(result: dict, *, job_name: str, creation_date: str) -> tuple[object, dict]:
    """The output of an object the consolidation hook labeled: its ``label`` as the hook gave
    it, and Ground Truth's common metadata with ``type`` ``groundtruth/custom`` and the hook's
    ``confidence``."""
    given = result[HOOK_RESULT_KEY]
    metadata = {
        "type": HOOK_OUTPUT_TYPE,
        "job-name": job_name_value(job_name),
        "human-annotated": "yes",
        "creation-date": creation_date,
        "confidence": rounded(given["confidence"]),
    }
    return given["label"], metadata
