"""The records of a job's output folder other than the manifest lines, in Ground Truth's shapes
(``docs/ground-truth-formats.md``): worker-response files, consolidation requests and responses,
and the time formats they use. Pure functions: the caller reads the database and writes the files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

from ..task_types import TaskType

IDENTITY_PROVIDER = "Groundwork"


@dataclass(frozen=True)
class WorkerAnswer:
    """One submitted answer of an object (approved, rejected or awaiting review alike)."""

    worker_id: int
    answer: dict
    accepted_at: datetime
    submitted_at: datetime


def answer_time(moment: datetime) -> str:
    """``2021-03-17T00:45:30.012Z``: UTC, milliseconds (worker-response times)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def creation_date(moment: datetime) -> str:
    """``2018-10-18T22:18:13.527256``: UTC without a zone, microseconds (a record's
    ``creation-date``)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def file_stamp(moment: datetime) -> str:
    """``2021-03-08_23:06:49``: the name Ground Truth gives its timestamped JSON files."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d_%H:%M:%S")


def worker_id_value(worker_id: int) -> str:
    """``workerId``: a string, as Ground Truth's (Groundwork's worker id, the one its API shows)."""
    return str(worker_id)


def worker_response(answers: Sequence[WorkerAnswer], *, task_type: TaskType, labels: list[str]) -> dict:
    """One object's worker-response file: ``{"answers": [...]}`` in submission order."""
    issuer = settings.PUBLIC_BASE_URL or "groundwork"
    return {
        "answers": [
            {
                "acceptanceTime": answer_time(given.accepted_at),
                "answerContent": task_type.answer_content(given.answer, labels=labels),
                "submissionTime": answer_time(given.submitted_at),
                "timeSpentInSeconds": round(max((given.submitted_at - given.accepted_at).total_seconds(), 0.0), 3),
                "workerId": worker_id_value(given.worker_id),
                "workerMetadata": {
                    "identityData": {
                        "identityProviderType": IDENTITY_PROVIDER,
                        "issuer": issuer,
                        "sub": worker_id_value(given.worker_id),
                    }
                },
            }
            for given in answers
        ]
    }


def data_object(line: dict) -> dict:
    """A consolidation request's ``dataObject``: ``{"s3Uri"}`` for ``source-ref``, else
    ``{"content"}`` for inline ``source`` text."""
    if "source-ref" in line:
        return {"s3Uri": line["source-ref"]}
    return {"content": line.get("source", "")}


def consolidation_request(
    object_index: int, line: dict, answers: Sequence[WorkerAnswer], *, task_type: TaskType, labels: list[str]
) -> dict:
    """One object of a consolidation-request file, as Ground Truth gives an annotation
    consolidation function: each answer's content is a JSON string."""
    return {
        "datasetObjectId": str(object_index),
        "dataObject": data_object(line),
        "annotations": [
            {
                "workerId": worker_id_value(given.worker_id),
                "annotationData": {
                    "content": json.dumps(task_type.answer_content(given.answer, labels=labels), ensure_ascii=False)
                },
            }
            for given in answers
        ],
    }


def consolidation_response(object_index: int, attribute: str, value: object, metadata: dict) -> dict:
    """One object of a consolidation-response file: the label as the output manifest has it."""
    return {
        "datasetObjectId": str(object_index),
        "consolidatedAnnotation": {"content": {attribute: value, f"{attribute}-metadata": metadata}},
    }
