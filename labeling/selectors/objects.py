"""A job's data objects as its pages show them: one page of objects, one object by number (the
preview), the consolidated results as people read them, and the spread of labels and
confidences over the labeled objects.

Each takes a job the caller already fetched through an ``access_*`` function. Nothing a vendor
sees tells gold objects apart (``as_vendor=True``: every object in task order; aggregates count
input objects only): knowing which objects are gold would let a team game its quality checks.
"""

from __future__ import annotations

import json

from django.db.models import QuerySet

from ..models import DataObject, LabelingJob

CONFIDENCE_BINS = 10
OBJECTS_PER_PAGE = 50
MAX_PAGE = 1_000_000  # 50 million objects: past any job, and far from an offset overflow


def confidence_histogram(job: LabelingJob, *, bins: int = CONFIDENCE_BINS) -> tuple[list[int], list[float]]:
    """Counts of the consolidated confidences of the job's labeled input objects (gold and
    objects still pending excluded, so the counts add up to the objects labeled) in ``bins``
    equal bins over [0, 1] (1.0 falls in the last); returns (counts, edges)."""
    counts = [0] * bins
    confidences = DataObject.objects.filter(
        job=job,
        is_gold=False,
        status=DataObject.Status.LABELED,
        confidence__isnull=False,
    ).values_list("confidence", flat=True)
    for confidence in confidences.iterator(chunk_size=5000):
        assert confidence is not None  # filtered on confidence__isnull=False
        counts[min(bins - 1, max(0, int(confidence * bins)))] += 1
    return counts, [round(index / bins, 4) for index in range(bins + 1)]


def _ordered(objects: QuerySet[DataObject], *, as_vendor: bool) -> QuerySet[DataObject]:
    return objects.order_by("task_id") if as_vendor else objects.order_by("is_gold", "line_number")


def job_objects(job: LabelingJob, *, page: int = 1, as_vendor: bool = False) -> tuple[list[DataObject], bool]:
    """One page of the job's data objects with their task (its ``input`` is what workers see),
    and whether there is a next page. The requester's view: input objects in input order, then
    the gold ones. A vendor's (``as_vendor``): every object, gold included, in task order (the
    order workers are offered them), so that no object's absence from the list marks it as
    gold; the caller shows a vendor nothing that tells them apart."""
    objects = _ordered(DataObject.objects.filter(job=job).select_related("task"), as_vendor=as_vendor)
    page = min(max(1, page), MAX_PAGE)
    chunk = list(objects[(page - 1) * OBJECTS_PER_PAGE : page * OBJECTS_PER_PAGE + 1])
    return chunk[:OBJECTS_PER_PAGE], len(chunk) > OBJECTS_PER_PAGE


def job_object_at(job: LabelingJob, number: int, *, as_vendor: bool = False) -> tuple[DataObject | None, int]:
    """The job's object number ``number`` (from 1; past the end, the last) with its task, in the
    order ``job_objects`` lists them for the same side, and how many objects the job has
    (``None`` and 0 for a job without objects)."""
    objects = _ordered(DataObject.objects.select_related("task").filter(job=job), as_vendor=as_vendor)
    total = objects.count()
    return (objects[min(number, total) - 1] if total else None), total


def _class_ids(result: dict | None) -> list[int]:
    """The class ids a classification result chose (single-label ``label``, multi-label
    ``present``); other task types' results name no class here."""
    if not isinstance(result, dict):
        return []
    if isinstance(result.get("label"), int):
        return [result["label"]]
    present = result.get("present")
    return [item for item in present if isinstance(item, int)] if isinstance(present, list) else []


def result_summary(job: LabelingJob, result: dict | None) -> str:
    """A consolidated result as people read it: the label names for classification, else the
    result's JSON (the page escapes either)."""
    if result is None:
        return ""
    ids = _class_ids(result)
    if ids and all(0 <= class_id < len(job.label_categories) for class_id in ids):
        return ", ".join(job.label_categories[class_id] for class_id in ids)
    return json.dumps(result, ensure_ascii=False, sort_keys=True)


def label_counts(job: LabelingJob) -> list[tuple[str, int]]:
    """Labeled input objects per label category, in category order (classification jobs; an
    empty list for other task types or before anything is labeled). Only objects whose label
    is final count (a pending object's provisional result does not), so for single-label jobs
    the counts add up to the objects labeled; a multi-label object counts once per label."""
    counts = [0] * len(job.label_categories)
    results = DataObject.objects.filter(
        job=job,
        is_gold=False,
        status=DataObject.Status.LABELED,
        result__isnull=False,
    ).values_list("result", flat=True)
    for result in results.iterator(chunk_size=5000):
        for class_id in _class_ids(result):
            if 0 <= class_id < len(counts):
                counts[class_id] += 1
    if not any(counts):
        return []
    return list(zip(job.label_categories, counts, strict=True))
