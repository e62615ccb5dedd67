"""The features automated labeling trains on, read from a job's data objects
(docs/automation.md, "Features"): the requester's ``embedding_key`` vectors or
``prediction_key`` probabilities from the manifest line, else the object itself (inline
``source`` text, or the bytes at ``source-ref``, read through the requester's registered
storage) turned into features by ``labeling.automation.build_features``.

An object whose line lacks a usable vector or prediction, or whose bytes cannot be read, has no
features: it is never machine-labeled and never trained on (humans label it). Image features
are kept per process for the job's later rounds (they are the slow part: one storage read per
object); text and the requester's vectors are cheap to build again.
"""

from __future__ import annotations

import json
import logging
import math
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from marketplace.errors import DomainError

from ..automation import FeatureError, FeatureSpec, build_features
from ..models import JobAutomation, LabelingJob
from ..storage import StorageLocationHandle, access_storage, storage_reader

logger = logging.getLogger(__name__)

MAX_OBJECT_BYTES = 20 * 1024 * 1024
READ_THREADS = 16
CACHED_JOBS = 4
MAX_VECTOR_LENGTH = 4096

# (job id) → {data object pk: image feature row}; the most recently used jobs last.
_image_cache: OrderedDict[int, dict[int, np.ndarray]] = OrderedDict()


@dataclass(frozen=True)
class FeatureRows:
    """Features of some objects: ``pks[i]`` has row ``i`` of ``matrix``; the objects asked
    for that have none are left out."""

    pks: list[int]
    matrix: object  # a 2-D numpy array or scipy sparse matrix
    spec: FeatureSpec


def feature_kind(automation: JobAutomation, job: LabelingJob) -> str:
    if automation.prediction_key:
        return "prediction"
    if automation.embedding_key:
        return "embedding"
    return "image" if job.task_type == "image_classification" else "text"


def feature_spec(job: LabelingJob, automation: JobAutomation) -> FeatureSpec:
    return FeatureSpec(kind=feature_kind(automation, job), class_names=tuple(job.label_categories))  # type: ignore[arg-type]


def object_features(job: LabelingJob, automation: JobAutomation, objects: Sequence[tuple[int, str]]) -> FeatureRows:
    """Features of ``objects`` (``(data object pk, manifest line)`` pairs), in their order."""
    spec = feature_spec(job, automation)
    kind = spec.kind
    if kind in ("embedding", "prediction"):
        vectors = [(pk, _vector(job, automation, kind, line)) for pk, line in objects]
        usable = [(pk, vector) for pk, vector in vectors if vector is not None]
        length = _common_length(usable)
        usable = [(pk, vector) for pk, vector in usable if len(vector) == length]
        return _rows(spec, usable)
    if kind == "text":
        texts = [(pk, _text(job, line)) for pk, line in objects]
        return _rows(spec, [(pk, text) for pk, text in texts if text is not None])
    return _image_rows(job, spec, objects)


def _rows(spec: FeatureSpec, items: Sequence[tuple[int, object]]) -> FeatureRows:
    """``build_features`` of the items; an item it refuses is left out (humans label it)."""
    kept = list(items)
    while kept:
        try:
            return FeatureRows([pk for pk, _ in kept], build_features(spec, [value for _, value in kept]), spec)
        except FeatureError as exc:
            del kept[exc.index]
    return FeatureRows([], np.zeros((0, 0)), spec)


def _vector(job: LabelingJob, automation: JobAutomation, kind: str, line: str) -> list[float] | None:
    """The line's embedding, or its prediction as probabilities in label order (a list, or an
    object by label name); ``None`` when missing or not numbers."""
    value = json.loads(line).get(automation.prediction_key if kind == "prediction" else automation.embedding_key)
    if kind == "prediction" and isinstance(value, dict):
        value = [value.get(label) for label in job.label_categories]
    if not isinstance(value, list) or not value or len(value) > MAX_VECTOR_LENGTH:
        return None
    if not all(type(x) in (int, float) and math.isfinite(x) for x in value):
        return None
    if kind == "prediction" and (len(value) != len(job.label_categories) or min(value) < 0 or sum(value) <= 0):
        return None
    return [float(x) for x in value]


def _common_length(items: list[tuple[int, list[float]]]) -> int:
    """The most common vector length: a stray line of another length is left out, not fatal."""
    lengths: dict[int, int] = {}
    for _, vector in items:
        lengths[len(vector)] = lengths.get(len(vector), 0) + 1
    return max(lengths, key=lambda length: lengths[length]) if lengths else 0


def _read(job: LabelingJob, uri: str) -> bytes | None:
    try:
        return access_storage(job.requester, uri, field="source-ref").read_bytes(max_bytes=MAX_OBJECT_BYTES)
    except DomainError as exc:  # unreadable now: humans label the object
        logger.info("labeling job %s: automated labeling cannot read %s: %s", job.pk, uri, exc.message)
        return None


def _read_handle(job: LabelingJob, handle: StorageLocationHandle | None) -> bytes | None:
    if handle is None:
        return None
    try:
        return handle.read_bytes(max_bytes=MAX_OBJECT_BYTES)
    except DomainError as exc:  # unreadable now: humans label the object
        logger.info("labeling job %s: automated labeling cannot read %s: %s", job.pk, handle.uri, exc.message)
        return None


def _text(job: LabelingJob, line: str) -> str | None:
    data = json.loads(line)
    if "source" in data:
        return data["source"]
    raw = _read(job, data["source-ref"])
    return None if raw is None else raw.decode("utf-8", errors="replace")


def _image_rows(job: LabelingJob, spec: FeatureSpec, objects: Sequence[tuple[int, str]]) -> FeatureRows:
    cache = _image_cache.setdefault(job.pk, {})
    _image_cache.move_to_end(job.pk)
    while len(_image_cache) > CACHED_JOBS:
        _image_cache.popitem(last=False)
    missing = [(pk, json.loads(line)["source-ref"]) for pk, line in objects if pk not in cache]
    if missing:
        # Handles resolved here, on this thread (one read of the registrations); the threads
        # only read storage, so they never open a database connection of their own.
        resolve = storage_reader(job.requester, field="source-ref")
        handles: list[tuple[int, StorageLocationHandle | None]] = []
        for pk, uri in missing:
            try:
                handles.append((pk, resolve(uri)))
            except DomainError as exc:
                logger.info("labeling job %s: automated labeling cannot read %s: %s", job.pk, uri, exc.message)
        with ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="gw-automation") as pool:
            images = list(pool.map(lambda item: (item[0], _read_handle(job, item[1])), handles))
        readable = [(pk, raw) for pk, raw in images if raw is not None]
        for pk, raw in readable:
            try:
                cache[pk] = np.asarray(build_features(spec, [raw]))[0]
            except FeatureError as exc:  # not an image Pillow reads: humans label it
                logger.info("labeling job %s: object %s: %s", job.pk, pk, exc.reason)
    usable = [pk for pk, _ in objects if pk in cache]
    if not usable:
        return FeatureRows([], np.zeros((0, 0)), spec)
    return FeatureRows(usable, np.vstack([cache[pk] for pk in usable]), spec)
