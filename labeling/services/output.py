"""Writing a job's output folder, in Ground Truth's layout and formats
(``docs/ground-truth-formats.md``), under ``<output_uri>/<job name>/``:

- ``manifests/output/output.manifest``: every input line, in input order (gold objects are not
  written); a labeled object's line adds ``<label attribute>`` and ``<label attribute>-metadata``.
  While the job runs, an object not labeled yet keeps its input line as it is; at the end it gets
  only the metadata, with a ``failure-reason``.
- ``annotations/worker-response/iteration-1/<object index>/<first submission>.json``: one file
  per object with its workers' answers (``output_records.worker_response``); the object index is
  0-based in input order. The name is the time of the object's first answer, so a file written
  while the job runs is rewritten in place when more answers come.
- ``annotations/consolidated-annotation/consolidation-request/iteration-1/<time>.json`` and
  ``consolidation-response/...``: the answers and the labels of the objects labeled since the
  previous write, one pair of files per write.
- ``annotations/consolidated-annotation/output/<object index>.png``: segmentation masks.
- ``annotations/intermediate/1/annotations.manifest``: the labeled objects' output lines.

``job_write_output`` writes everything when the job ends; ``job_refresh_output`` does the same
while it runs, from the background pass, at most every ``LABELING_OUTPUT_REFRESH_SECONDS`` and
only when new answers were consolidated since the last refresh. Both are idempotent and rewrite
the two manifests whole (streamed: objects are read in chunks, the manifests go up as multipart
uploads, so memory does not grow with the job); worker-response files and masks are written only
for the objects that changed since the last write (masks: newly labeled; all at the end).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import connection
from django.utils import timezone

from marketplace.errors import DomainError
from marketplace.models import Assignment

from ..models import DataObject, LabelingJob
from ..storage import MultipartWriter, StorageLocationHandle, StorageUnavailable, access_storage
from ..task_types import TaskType, get_task_type
from . import output_records as records
from .hooks_objects import hook_output_value, is_hook_result
from .output_records import WorkerAnswer

logger = logging.getLogger(__name__)

CHUNK = 1000
ITERATION = 1  # every human answer is iteration 1's (a machine label names its round in job-name)
PUT_THREADS = 32  # the per-object files go up this many at a time (latency-bound, not CPU)
ANSWERED = (Assignment.Status.SUBMITTED, Assignment.Status.APPROVED, Assignment.Status.REJECTED)
JSON = "application/json"
JSONL = "application/jsonlines"


class OutputFailed(Exception):
    """The output could not be written; ``is_transient`` when the storage failed (it may work
    on a later try), not when the location is no longer allowed."""

    def __init__(self, reason: str, *, is_transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.is_transient = is_transient


def refresh_interval() -> timedelta:
    """``LABELING_OUTPUT_REFRESH_SECONDS``, at least one second: consolidation files are named by
    the second, so two refreshes never share a name."""
    return max(timedelta(seconds=settings.GROUNDWORK["LABELING_OUTPUT_REFRESH_SECONDS"]), timedelta(seconds=1))


def _chunks(job: LabelingJob) -> Iterator[list[tuple]]:
    rows = (
        DataObject.objects.filter(job=job, is_gold=False)
        .order_by("line_number")
        .values_list(
            "pk",
            "object_index",
            "task_id",
            "source_line",
            "status",
            "result",
            "labeled_at",
            "answers_written",
            "task__slots_submitted",
            "machine_round",  # set (with is_machine_labeled) when automated labeling labeled it
            "is_machine_labeled",
            "failure_reason",  # set when a hook failed on the object
        )
    )
    chunk: list[tuple] = []
    for row in rows.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def answers_by_task(task_ids: list[int]) -> dict[int, list[WorkerAnswer]]:
    answers: dict[int, list[WorkerAnswer]] = {}
    if not task_ids:
        return answers
    rows = (
        Assignment.objects.filter(task_id__in=task_ids, status__in=ANSWERED)
        .order_by("submitted_at", "pk")
        .values_list("task_id", "worker_id", "answer", "accepted_at", "submitted_at")
    )
    for task_id, worker_id, answer, accepted_at, submitted_at in rows:
        # an answered assignment always holds its answer and submission time
        answer, submitted_at = cast(dict, answer), cast(datetime, submitted_at)
        answers.setdefault(task_id, []).append(WorkerAnswer(worker_id, answer, accepted_at, submitted_at))
    return answers


def _unlabeled_reason(job: LabelingJob, status: str) -> str:
    if status == DataObject.Status.FAILED:
        return "every slot expired without an answer"
    if job.stopping_condition_met:
        return f"the job met its stopping condition ({job.stopping_condition_met}) before this object was labeled"
    if job.stop_requested:
        return "the job was stopped before this object was labeled"
    return "no worker answered before the task ended"


def labeled_line(
    job: LabelingJob,
    task_type: TaskType,
    data: dict,
    result: dict,
    *,
    labeled_at: datetime,
    answers: list[dict],
    mask_uri: str | None,
) -> dict:
    """A labeled object's output-manifest line as a JSON object: its input line ``data`` plus
    ``<label attribute>`` and ``<label attribute>-metadata``. The one place a labeled line is
    made: the manifest, a streaming job's output parts and its ``labeling_job.object_labeled``
    events all carry what this returns (``answers``: the object's answered assignments' answers
    in submission order; ``mask_uri``: ``mask_handle``'s, for a task type that writes masks)."""
    if is_hook_result(result):  # the consolidation hook's label (docs/templates.md)
        value, metadata = hook_output_value(result, job_name=job.name, creation_date=records.creation_date(labeled_at))
    else:
        value, metadata = task_type.output_value(
            result,
            labels=job.label_categories,
            job_name=job.name,
            creation_date=records.creation_date(labeled_at),
            mask_uri=mask_uri,
            answers=answers,
            short_names=job.label_short_names,
        )
    return {**data, job.label_attribute_name: value, f"{job.label_attribute_name}-metadata": metadata}


def mask_handle(root: StorageLocationHandle, object_index: int) -> StorageLocationHandle:
    """Where an object's consolidated mask goes (segmentation), under the job's output folder."""
    return root.child(f"annotations/consolidated-annotation/output/{object_index}.png")


def put_mask(task_type: TaskType, handle: StorageLocationHandle, result: dict) -> None:
    mask = task_type.mask_png(result)
    assert mask is not None  # a task type that writes masks makes one of every result
    handle.put_bytes(mask, content_type="image/png")


def output_root(job: LabelingJob) -> StorageLocationHandle:
    """The job's output folder, ``<output_uri>/<job name>/`` (``DomainError`` when the location
    is no longer registered for the requester)."""
    return access_storage(job.requester, job.output_uri, field="output_uri").child(job.name)


def _dump(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


class _Writer:
    """One write of the output folder (see the module doc); ``final`` at the job's end."""

    def __init__(self, job: LabelingJob, root: StorageLocationHandle, *, final: bool, now: datetime) -> None:
        self.job = job
        self.root = root
        self.final = final
        self.now = now
        self.task_type: TaskType = get_task_type(job.task_type)
        self.labels = job.label_categories
        self.attribute = job.label_attribute_name
        self.since = job.output_refreshed_at  # objects labeled after it are new to this write
        self.written: list[tuple[int, int]] = []  # (answers_written, data object pk), this chunk's
        self.stack = ExitStack()
        self.consolidation: tuple[MultipartWriter, MultipartWriter] | None = None

    def run(self, pool: ThreadPoolExecutor) -> str:
        manifest = self.root.child("manifests/output/output.manifest")
        intermediate = self.root.child(f"annotations/intermediate/{ITERATION}/annotations.manifest")
        with self.stack:
            out = self.stack.enter_context(manifest.open_multipart_writer(content_type=JSONL))
            partial = self.stack.enter_context(intermediate.open_multipart_writer(content_type=JSONL))
            for chunk in _chunks(self.job):
                puts: list[Future] = []
                for line, is_labeled in self._chunk(chunk, pool, puts):
                    out.write(line)
                    if is_labeled:
                        partial.write(line)
                for put in puts:  # a failed upload raises here; at most a chunk's files in flight
                    put.result()
                self._save_marks()
            if self.consolidation is not None:
                for writer in self.consolidation:
                    writer.write(b"]")
        return manifest.uri

    def _consolidated(self, request: dict, response: dict) -> None:
        """Stream one object into this write's consolidation-request and -response files (JSON
        arrays), opened with the first object: a write without newly labeled objects has none."""
        if self.consolidation is None:
            # Strictly after the previous write's name, so two writes in one second keep both.
            stamp = self.now if self.since is None else max(self.now, self.since + timedelta(seconds=1))
            name = f"iteration-{ITERATION}/{records.file_stamp(stamp)}.json"
            folder = "annotations/consolidated-annotation"

            def open_writer(kind: str) -> MultipartWriter:
                handle = self.root.child(f"{folder}/{kind}/{name}")
                return self.stack.enter_context(handle.open_multipart_writer(content_type=JSON))

            self.consolidation = (open_writer("consolidation-request"), open_writer("consolidation-response"))
            separator = b"["
        else:
            separator = b","
        for writer, item in zip(self.consolidation, (request, response), strict=True):
            writer.write(separator + _dump(item))

    def _is_new(self, labeled_at: datetime | None) -> bool:
        return self.since is None or labeled_at is None or labeled_at > self.since

    def _chunk(self, chunk: list[tuple], pool: ThreadPoolExecutor, puts: list[Future]) -> Iterator[tuple[bytes, bool]]:
        needed = [
            row[2]
            for row in chunk
            if row[8] != row[7]  # answers to write
            or (row[4] == DataObject.Status.LABELED and (self._is_new(row[6]) or self.task_type.uses_answers_in_output))
        ]
        answers = answers_by_task(needed)
        for (
            pk,
            index,
            task_id,
            source_line,
            status,
            result,
            labeled_at,
            written,
            submitted,
            round_,
            machine,
            why,
        ) in chunk:
            given = answers.get(task_id, [])
            if submitted != written and given:
                body = records.worker_response(given, task_type=self.task_type, labels=self.labels)
                key = f"annotations/worker-response/iteration-{ITERATION}/{index}/"
                key += f"{records.file_stamp(given[0].submitted_at)}.json"
                puts.append(pool.submit(self.root.child(key).put_bytes, _dump(body), content_type=JSON))
                self.written.append((submitted, pk))
            data = json.loads(source_line)
            if status == DataObject.Status.LABELED and result is not None and machine:
                yield self._machine_labeled(data, result, labeled_at, round_), True
            elif status == DataObject.Status.LABELED and result is not None:
                yield self._labeled(data, index, result, labeled_at, given, pool, puts), True
            elif self.final:
                data[f"{self.attribute}-metadata"] = self.task_type.failure_metadata(
                    reason=why or _unlabeled_reason(self.job, status),
                    job_name=self.job.name,
                    creation_date=records.creation_date(self.now),
                )
                yield _dump(data) + b"\n", False
            else:
                yield source_line.encode("utf-8") + b"\n", False

    def _labeled(
        self,
        data: dict,
        index: int,
        result: dict,
        labeled_at: datetime | None,
        given: list[WorkerAnswer],
        pool: ThreadPoolExecutor,
        puts: list[Future],
    ) -> bytes:
        is_new = self._is_new(labeled_at)
        mask = mask_handle(self.root, index) if self.task_type.writes_masks else None
        if mask is not None and (is_new or self.final):  # re-consolidation may refine a mask: all again at the end
            puts.append(pool.submit(put_mask, self.task_type, mask, result))
        line = labeled_line(
            self.job,
            self.task_type,
            data,
            result,
            labeled_at=labeled_at or self.job.consolidated_at or self.now,
            answers=[item.answer for item in given],
            mask_uri=None if mask is None else mask.uri,
        )
        if is_new:
            self._consolidated(
                records.consolidation_request(index, data, given, task_type=self.task_type, labels=self.labels),
                records.consolidation_response(
                    index, self.attribute, line[self.attribute], line[f"{self.attribute}-metadata"]
                ),
            )
        return _dump(line) + b"\n"

    def _machine_labeled(self, data: dict, result: dict, labeled_at: datetime | None, round_: int) -> bytes:
        """A machine label (docs/automation.md, "Output"): as Ground Truth writes one, with
        ``"human-annotated": "no"``, the model's calibrated confidence and a ``job-name`` naming
        the automation round. No worker answered it, so it has no consolidation files."""
        value, metadata = self.task_type.output_value(
            result,
            labels=self.labels,
            job_name=automation_job_name(self.job.name, round_),
            creation_date=records.creation_date(labeled_at or self.now),
            human_annotated=False,
        )
        data[self.attribute] = value
        data[f"{self.attribute}-metadata"] = metadata
        return _dump(data) + b"\n"

    def _save_marks(self) -> None:
        """Record, per object, how many answers its worker-response file now holds (once the
        chunk's files are up)."""
        if not self.written:
            return
        table = connection.ops.quote_name(DataObject._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(f'UPDATE {table} SET "answers_written" = %s WHERE "id" = %s', self.written)
        self.written = []


def automation_job_name(job_name: str, round_number: int) -> str:
    """The ``job-name`` of a machine label (``labeling-job/<job>/automated-round-<n>``, with
    Ground Truth's prefix added by the task type): which round's model labeled it."""
    return f"{job_name}/automated-round-{round_number}"


def _write(job: LabelingJob, *, final: bool) -> str:
    now = timezone.now()
    try:
        root = output_root(job)
        writer = _Writer(job, root, final=final, now=now)
        with ThreadPoolExecutor(max_workers=PUT_THREADS, thread_name_prefix="gw-output") as pool:
            uri = writer.run(pool)
    except DomainError as exc:  # unreachable, or no longer registered for the requester
        transient = isinstance(exc, StorageUnavailable)
        raise OutputFailed(f"could not write the output: {exc.message}", is_transient=transient) from None
    LabelingJob.objects.filter(pk=job.pk).update(output_refreshed_at=now, output_answers=job.answers_consolidated)
    job.output_refreshed_at, job.output_answers = now, job.answers_consolidated
    return uri


def job_write_output(job: LabelingJob) -> str:
    """Write the whole output folder at the job's end; returns the manifest's URI. Raises
    ``OutputFailed`` with a readable reason when the output location cannot be written (the
    job's data stays in the database)."""
    return _write(job, final=True)


def job_refresh_output(job: LabelingJob) -> bool:
    """Refresh the output folder of a running job when it is due: new answers were consolidated
    since the last refresh, and ``LABELING_OUTPUT_REFRESH_SECONDS`` have passed. Returns whether
    it wrote. A storage failure is logged and tried again on a later pass; it never fails the
    job (the final write does, if the storage stays broken)."""
    if job.answers_consolidated == job.output_answers:
        return False
    if job.output_refreshed_at is not None and timezone.now() - job.output_refreshed_at < refresh_interval():
        return False
    try:
        _write(job, final=False)
    except OutputFailed as failure:
        logger.warning("labeling job %s: output not refreshed: %s", job.pk, failure.reason)
        return False
    return True
