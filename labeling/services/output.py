"""Writing a job's results to its output location, in Ground Truth's layout and formats
(``../shared/GROUND_TRUTH_FORMATS.md``):

- ``<output_uri>/<job name>/manifests/output/output.manifest``: every input line (gold objects
  are not written) plus ``<label attribute>`` and ``<label attribute>-metadata``; an object
  without a label keeps its line with only the metadata and a ``failure-reason``;
- ``annotations/worker-response/part-NNNNN.jsonl`` beside it: every worker's answer, one line
  per object, ``CHUNK`` objects per file;
- ``annotations/consolidated-annotation/output/<line>.png``: consolidated segmentation masks.

Everything is streamed: objects are read in chunks and the manifest goes up as a multipart
upload, so memory does not grow with the job.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack

from django.utils import timezone

from marketplace.errors import DomainError
from marketplace.models import Assignment

from ..models import DataObject, LabelingJob
from ..storage import StorageUnavailable, access_storage
from ..task_types import get_task_type

CHUNK = 1000
ANSWERED = (Assignment.Status.SUBMITTED, Assignment.Status.APPROVED, Assignment.Status.REJECTED)


class OutputFailed(Exception):
    """The output could not be written; ``is_transient`` when the storage failed (it may work
    on a later try), not when the location is no longer allowed."""

    def __init__(self, reason: str, *, is_transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.is_transient = is_transient


def _chunks(job: LabelingJob) -> Iterator[list[tuple]]:
    rows = (DataObject.objects.filter(job=job, is_gold=False).order_by("line_number")
            .values_list("line_number", "task_id", "source_line", "status", "result", "confidence"))
    chunk: list[tuple] = []
    for row in rows.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _answers_by_task(task_ids: list[int]) -> dict[int, list[dict]]:
    answers: dict[int, list[dict]] = {}
    rows = (Assignment.objects.filter(task_id__in=task_ids, status__in=ANSWERED).order_by("pk")
            .values_list("task_id", "pk", "worker_id", "status", "answer", "submitted_at"))
    for task_id, assignment_id, worker_id, status, answer, submitted_at in rows:
        answers.setdefault(task_id, []).append({
            "assignment_id": assignment_id, "worker_id": worker_id, "status": status, "answer": answer,
            "submitted_at": submitted_at.isoformat() if submitted_at else None,
        })
    return answers


def _unlabeled_reason(job: LabelingJob, status: str) -> str:
    if status == DataObject.Status.FAILED:
        return "every slot expired without an answer"
    if job.stopping_condition_met:
        return f"the job met its stopping condition ({job.stopping_condition_met}) before this object was labeled"
    if job.stop_requested:
        return "the job was stopped before this object was labeled"
    return "no worker answered before the task ended"


def job_write_output(job: LabelingJob) -> str:
    """Write the output manifest, worker responses and masks; returns the manifest's URI.
    Raises ``OutputFailed`` with a readable reason when the output location cannot be written
    (the job's data stays in the database)."""
    task_type = get_task_type(job.task_type)
    attribute = job.label_attribute_name
    creation_date = timezone.now().replace(tzinfo=None).isoformat()
    try:
        root = access_storage(job.requester, job.output_uri, field="output_uri").child(job.name)
        manifest = root.child("manifests/output/output.manifest")
        responses = root.child("annotations/worker-response")
        masks = root.child("annotations/consolidated-annotation/output")
        with ExitStack() as stack:
            writer = stack.enter_context(manifest.open_multipart_writer(content_type="application/jsonlines"))
            for part, chunk in enumerate(_chunks(job)):
                answers = _answers_by_task([row[1] for row in chunk])
                response_lines = []
                for line_number, task_id, source_line, status, result, _confidence in chunk:
                    data = json.loads(source_line)
                    if status == DataObject.Status.LABELED and result is not None:
                        mask = task_type.mask_png(result)
                        mask_uri = None
                        if mask is not None:
                            mask_handle = masks.child(f"{line_number}.png")
                            mask_handle.put_bytes(mask, content_type="image/png")
                            mask_uri = mask_handle.uri
                        value, metadata = task_type.output_value(
                            result, labels=job.label_categories, job_name=job.name, creation_date=creation_date,
                            mask_uri=mask_uri,
                        )
                        data[attribute] = value
                    else:
                        metadata = task_type.failure_metadata(
                            reason=_unlabeled_reason(job, status), job_name=job.name, creation_date=creation_date
                        )
                    data[f"{attribute}-metadata"] = metadata
                    writer.write((json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8"))
                    response_lines.append(json.dumps(
                        {"line": line_number, "answers": answers.get(task_id, [])}, ensure_ascii=False
                    ))
                responses.child(f"part-{part:05d}.jsonl").put_bytes(
                    ("\n".join(response_lines) + "\n").encode("utf-8"), content_type="application/jsonlines"
                )
    except DomainError as exc:  # unreachable, or no longer registered for the requester
        transient = isinstance(exc, StorageUnavailable)
        raise OutputFailed(f"could not write the output: {exc.message}", is_transient=transient) from None
    return manifest.uri
