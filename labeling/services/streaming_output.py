"""A streaming job's labels as they become final: one ``labeling_job.object_labeled`` event per
object, written in the transaction that marks it labeled, and output parts appended under the
job's output folder, so consumers need not wait for the end (docs/labeling.md, "Streaming jobs").

An object's label is final once it is labeled (its task complete, or closed early as confident
under dynamic redundancy, with no answer still to come): the job's later consolidations leave it
as it is (``progress`` freezes labeled objects of streaming jobs). Every line here comes from
``output.labeled_line`` over the stored object, as the final manifest's does, so the event, the
part and the manifest carry the same line.

Parts: ``<output_uri>/<job name>/manifests/output/parts/part-00001.jsonl``, ``part-00002.jsonl``…,
one per pass that found newly labeled objects, each holding those objects' lines in object
order. ``DataObject.output_part`` records the part an object's line went to, set only after the
part is written: a pass that dies in between leaves the objects unassigned, and the next pass
writes the same part number again, whole, with those objects and any labeled since. So no line
is lost, and none appears in two parts; together the parts hold every labeled object's line once,
which at the end are the final manifest's labeled lines.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import cast

from django.db.models import Max

from marketplace.errors import DomainError
from marketplace.events.outbox import record_event, wants_event

from ..models import DataObject, LabelingJob
from ..storage import StorageUnavailable
from ..task_types import get_task_type
from .output import JSONL, OutputFailed, answers_by_task, labeled_line, mask_handle, output_root, put_mask

logger = logging.getLogger(__name__)

OBJECT_LABELED = "labeling_job.object_labeled"
PARTS_FOLDER = "manifests/output/parts"


def part_key(number: int) -> str:
    return f"{PARTS_FOLDER}/part-{number:05d}.jsonl"


def object_lines(job: LabelingJob, data_object_ids: list[int]) -> list[tuple[int, dict]]:
    """``(object index, output-manifest line)`` of each of these labeled objects, in object
    order, from what is stored (the caller's transaction sees its own writes)."""
    task_type = get_task_type(job.task_type)
    rows = list(
        DataObject.objects.filter(pk__in=data_object_ids, status=DataObject.Status.LABELED, is_gold=False)
        .order_by("object_index")
        .values_list("object_index", "task_id", "source_line", "result", "labeled_at")
    )
    answers = answers_by_task([row[1] for row in rows]) if task_type.uses_answers_in_output else {}
    root = output_root(job) if task_type.writes_masks else None
    lines = []
    for object_index, task_id, source_line, result, labeled_at in rows:
        index = cast(int, object_index)  # a regular object always has its index
        lines.append(
            (
                index,
                labeled_line(
                    job,
                    task_type,
                    json.loads(source_line),
                    cast(dict, result),  # a labeled object always holds its result
                    labeled_at=cast(datetime, labeled_at),
                    answers=[given.answer for given in answers.get(task_id, [])],
                    mask_uri=None if root is None else mask_handle(root, index).uri,
                ),
            )
        )
    return lines


def objects_labeled(job: LabelingJob, data_object_ids: list[int]) -> int:
    """Record one ``labeling_job.object_labeled`` event per object just labeled, with
    ``{"job_id", "line"}``. Call inside the transaction that marks them labeled, after writing
    them. Returns how many events were recorded (none, and no line built, when no endpoint of
    the requester subscribes to them: ``record_event`` would write nothing)."""
    if not data_object_ids or not wants_event(job.requester_id, OBJECT_LABELED):
        return 0
    lines = object_lines(job, data_object_ids)
    for index, line in lines:
        record_event(
            organization_id=job.requester_id,
            event_type=OBJECT_LABELED,
            data={"job_id": job.pk, "line": line},
            ordering_key=f"labeling_job:{job.pk}:object:{index}",
        )
    return len(lines)


def job_write_parts(job: LabelingJob) -> int | None:
    """Append the job's newly labeled objects to a new output part (see the module docstring);
    returns its number, or ``None`` when there was nothing new. Run by the job's background pass
    (which holds the job's lease: one writer at a time). Raises ``OutputFailed`` when the
    storage fails or the location is no longer allowed (nothing is marked: the next pass writes
    the same part again)."""
    pending = list(
        DataObject.objects.filter(job=job, is_gold=False, status=DataObject.Status.LABELED, output_part__isnull=True)
        .order_by("object_index")
        .values_list("pk", flat=True)
    )
    if not pending:
        return None
    number = (DataObject.objects.filter(job=job).aggregate(last=Max("output_part"))["last"] or 0) + 1
    task_type = get_task_type(job.task_type)
    try:
        root = output_root(job)
        with root.child(part_key(number)).open_multipart_writer(content_type=JSONL) as writer:
            for start in range(0, len(pending), 1000):
                chunk = pending[start : start + 1000]
                lines = object_lines(job, chunk)
                if task_type.writes_masks:  # the mask each line points at, before the line is out
                    results = dict(DataObject.objects.filter(pk__in=chunk).values_list("object_index", "result"))
                    for index, _ in lines:
                        put_mask(task_type, mask_handle(root, index), cast(dict, results[index]))
                writer.write(b"".join(json.dumps(line, ensure_ascii=False).encode() + b"\n" for _, line in lines))
    except DomainError as exc:  # unreachable, or the location no longer registered
        transient = isinstance(exc, StorageUnavailable)
        raise OutputFailed(f"could not write output part {number}: {exc.message}", is_transient=transient) from None
    DataObject.objects.filter(pk__in=pending).update(output_part=number)
    return number


def job_parts_pass(job: LabelingJob, *, final: bool) -> None:
    """Write the part a pass owes (``job_write_parts``). A storage failure is logged and tried
    again on the next pass, except before the job's final manifest (``final``), which must not
    be written before its parts: then it propagates, and the pass is retried. A location no
    longer allowed is left to the final write, which fails the job saying so."""
    try:
        job_write_parts(job)
    except OutputFailed as failure:
        if final and failure.is_transient:
            raise
        logger.warning("labeling job %s: %s", job.pk, failure.reason)
