"""Existing annotations for the review task types (verification and adjustment jobs).

A review job's input manifest line carries an annotation an earlier job made, under the
attribute the job names in ``source_label_attribute_name``, in Ground Truth's output format
(any Ground Truth output manifest line works as input; docs/labeling.md "Verification"). This
module reads it back into the base task type's answer format, validated as a worker's answer of
that type would be, and finds who made it, so that nobody reviews their own work.

- ``SourceAnnotations(requester_id=..., attribute=..., reviewed_types=...)`` reads one job's
  lines: ``read(line)`` returns an ``ExistingAnnotation`` or raises ``SourceAnnotationProblem``
  (naming the attribute at fault); every line of one job must hold the same base type.
- The base type comes from the record's ``<attr>-metadata.type`` (``GROUND_TRUTH_TYPES``).
- The label categories (``ExistingAnnotation.labels``) are the source job's when the record's
  ``job-name`` names a Groundwork job of the same requester writing that type's records (the
  type itself or its adjustment) under that label attribute (always the case for a chained
  job); otherwise the names the record itself gives, in class-id order.
- ``ExistingAnnotation.annotator_ids``: the workers whose answers that source job has for an
  object with the same ``source-ref`` (or ``source``) as the line, submitted or settled; empty
  when the source job is not a Groundwork job of this requester. They become the task's
  ``TaskWorkerExclusion`` rows.

Semantic segmentation records (a mask URI) are read by ``source_masks.read_mask_record``, which
fetches the mask from the requester's registered storage.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from marketplace.answer_schemas import ValidationBudgetExceeded, answer_errors
from marketplace.errors import InvalidInput
from marketplace.models import Assignment

from ..models import DataObject, LabelingJob
from ..task_types import TASK_TYPES, get_task_type
from ..task_types.base import job_name_value
from .source_masks import MASK_RECORD_TYPE, MaskRecordProblem, read_mask_record

# Ground Truth's record type (``<attr>-metadata.type``) → the base task type it is an output of.
GROUND_TRUTH_TYPES = {
    "groundtruth/image-classification": "image_classification",
    "groundtruth/text-classification": "text_classification",
    "groundtruth/object-detection": "bounding_box",
    "groundtruth/text-span": "named_entity_recognition",
    MASK_RECORD_TYPE: "semantic_segmentation",
}
# Assignments whose answer the source job has (a returned or expired one made nothing).
ANSWERED_STATUSES = (Assignment.Status.SUBMITTED, Assignment.Status.APPROVED, Assignment.Status.REJECTED)
JOB_NAME_PREFIX = job_name_value("")


def annotation_type(task_type: str) -> str | None:
    """The base task type whose annotation a job of ``task_type`` writes, as a review reads it:
    the type itself, or for an adjustment the type it corrects (it writes the corrected
    annotation in that type's record); ``None`` when no review reads its records (a
    verification's verdicts, multi-label, free form)."""
    return GROUND_TRUTH_TYPES.get(get_task_type(task_type).ground_truth_type)


def annotating_types(base_type: str) -> list[str]:
    """The task types whose jobs write ``base_type``'s records: it and its adjustment."""
    return [name for name in TASK_TYPES if annotation_type(name) == base_type]


class SourceAnnotationProblem(ValueError):
    """What is wrong with a line's existing annotation; ``key`` names the attribute at fault."""

    def __init__(self, message: str, *, key: str) -> None:
        super().__init__(message)
        self.message = message
        self.key = key


@dataclass(frozen=True)
class ExistingAnnotation:
    """One line's existing annotation: ``answer`` in the base type's answer format, valid for
    ``labels`` (the source's label categories)."""

    task_type: str
    answer: dict
    labels: list[str]
    annotator_ids: frozenset[int] = field(default_factory=frozenset)

    def task_input(self) -> dict:
        """The keys a review task's input adds to the base object (CONTRACTS.md)."""
        return {"existing_type": self.task_type, "existing_annotation": self.answer, "existing_labels": self.labels}


@dataclass(frozen=True)
class _Record:
    """The parts of a Ground Truth record a reader needs."""

    value: object
    metadata: dict
    attribute: str


def _class_id(value: object) -> int | None:
    """A class id written as a number or a string of digits (Ground Truth writes both)."""
    if type(value) is int and value >= 0:
        return value
    if type(value) is str and value.isdigit():
        return int(value)
    return None


def _problem(record: _Record, message: str, *, metadata: bool = False) -> SourceAnnotationProblem:
    key = f"{record.attribute}-metadata" if metadata else record.attribute
    return SourceAnnotationProblem(f"{key}: {message}", key=key)


def _named_labels(pairs: Iterable[tuple[int, str]], record: _Record) -> list[str]:
    """Label names ordered by class id, from ``(class id, name)`` pairs; one name per id."""
    names: dict[int, str] = {}
    for class_id, name in pairs:
        if not isinstance(name, str) or not name:
            raise _problem(record, f"class {class_id} has no name", metadata=True)
        if names.setdefault(class_id, name) != name:
            raise _problem(record, f"class {class_id} is named both {names[class_id]!r} and {name!r}", metadata=True)
    return [names[class_id] for class_id in sorted(names)]


def _read_classification(record: _Record) -> tuple[dict, list[str]]:
    class_id = _class_id(record.value)
    if class_id is None:
        raise _problem(record, "must be a class id (a non-negative integer, or a string of digits)")
    name = record.metadata.get("class-name")
    if not isinstance(name, str) or not name:
        raise _problem(record, "needs the class-name of the label", metadata=True)
    return {"label": name}, [name]


def _read_boxes(record: _Record) -> tuple[dict, list[str]]:
    value = record.value
    if not isinstance(value, dict) or not isinstance(value.get("annotations"), list):
        raise _problem(record, 'must be an object with "image_size" and "annotations" (groundtruth/object-detection)')
    sizes = value.get("image_size")
    size = sizes[0] if isinstance(sizes, list) and sizes else None
    if not isinstance(size, dict) or "width" not in size or "height" not in size:
        raise _problem(record, 'needs "image_size": [{"width", "height"}]')
    class_map = record.metadata.get("class-map")
    if not isinstance(class_map, dict):
        raise _problem(record, "needs the class-map naming each class id", metadata=True)
    pairs = []
    for key, name in class_map.items():
        class_id = _class_id(key)
        if class_id is None:
            raise _problem(record, f"class-map key {key!r} is not a class id", metadata=True)
        pairs.append((class_id, name))
    labels = _named_labels(pairs, record)
    names = {class_id: name for class_id, name in pairs}
    boxes = []
    for position, box in enumerate(value["annotations"]):
        class_id = _class_id(box.get("class_id")) if isinstance(box, dict) else None
        if class_id is None or class_id not in names:
            raise _problem(record, f"annotations[{position}] needs a class_id the class-map names")
        boxes.append({"label": names[class_id], **{key: box.get(key) for key in ("left", "top", "width", "height")}})
    image_size = {key: size[key] for key in ("width", "height", "depth") if key in size}
    return {"boxes": boxes, "image_size": image_size}, labels


def _read_spans(record: _Record) -> tuple[dict, list[str]]:
    value = record.value
    annotations = value.get("annotations") if isinstance(value, dict) else None
    entities = annotations.get("entities") if isinstance(annotations, dict) else None
    if not isinstance(annotations, dict) or not isinstance(entities, list):
        raise _problem(record, 'must be {"annotations": {"entities": [...]}} (groundtruth/text-span)')
    listed = annotations.get("labels")
    declared = [entry.get("label") for entry in listed if isinstance(entry, dict)] if isinstance(listed, list) else []
    answer = []
    for position, entity in enumerate(entities):
        if not isinstance(entity, dict):
            raise _problem(record, f"annotations.entities[{position}] must be an object")
        answer.append(
            {"label": entity.get("label"), "start": entity.get("startOffset"), "end": entity.get("endOffset")}
        )
    names = list(dict.fromkeys([*declared, *(entity["label"] for entity in answer)]))
    labels = [name for name in names if isinstance(name, str) and name]
    if len(labels) != len(names):
        raise _problem(record, "every entity needs a label name")
    return {"entities": answer}, labels


# Base task type → reads its record into (answer, the label names the record gives).
READERS: dict[str, Callable[[_Record], tuple[dict, list[str]]]] = {
    "image_classification": _read_classification,
    "text_classification": _read_classification,
    "bounding_box": _read_boxes,
    "named_entity_recognition": _read_spans,
}


class SourceAnnotations:
    """Reads the existing annotations of one review job's manifest lines (see the module doc).

    ``reviewed_types`` are the base task types the job's type reviews. The source job and the
    workers of its objects are looked up once, on the first line naming that job.
    """

    def __init__(self, *, requester_id: int, attribute: str, reviewed_types: tuple[str, ...]) -> None:
        self.requester_id = requester_id
        self.attribute = attribute
        self.reviewed_types = reviewed_types
        self.base_type: str | None = None
        self._jobs: dict[str, tuple[list[str], dict[tuple[str, str], frozenset[int]]] | None] = {}

    def read(self, line: dict, *, task_input: dict) -> ExistingAnnotation:
        """The line's existing annotation; ``task_input`` is the base object the task shows
        (``source`` or ``source-ref``), against which the annotation is checked."""
        attribute = self.attribute
        if attribute not in line:
            raise SourceAnnotationProblem(
                f"has no {attribute!r} (the source_label_attribute_name) holding the annotation to review",
                key=attribute,
            )
        metadata = line.get(f"{attribute}-metadata")
        if not isinstance(metadata, dict):
            raise SourceAnnotationProblem(
                f"has no {attribute}-metadata object (a Ground Truth output record's metadata)",
                key=f"{attribute}-metadata",
            )
        record = _Record(line[attribute], metadata, attribute)
        base_type = GROUND_TRUTH_TYPES.get(metadata.get("type"))  # type: ignore[arg-type]
        if base_type not in self.reviewed_types:
            known = ", ".join(sorted(k for k, v in GROUND_TRUTH_TYPES.items() if v in self.reviewed_types))
            raise _problem(
                record, f"type {metadata.get('type')!r} cannot be reviewed by this job (known: {known})", metadata=True
            )
        assert base_type is not None
        if self.base_type is None:
            self.base_type = base_type
        elif base_type != self.base_type:
            raise _problem(
                record, f"is a {base_type} record; earlier lines hold {self.base_type} records", metadata=True
            )
        if base_type == "semantic_segmentation":  # a mask URI: the mask is read from storage
            answer, record_labels = self._read_mask(record)
        else:
            reader = READERS.get(base_type)
            if reader is None:
                raise _problem(record, f"{base_type} annotations cannot be read yet", metadata=True)
            answer, record_labels = reader(record)
        source = self._source_job(metadata.get("job-name"), base_type)
        labels = record_labels if source is None else source[0]
        self._check(record, base_type, answer, labels, task_input)
        annotators = frozenset() if source is None else source[1].get(_object_key(task_input), frozenset())
        return ExistingAnnotation(task_type=base_type, answer=answer, labels=labels, annotator_ids=annotators)

    def _read_mask(self, record: _Record) -> tuple[dict, list[str]]:
        try:
            return read_mask_record(
                record.value, record.metadata, requester_id=self.requester_id, attribute=record.attribute
            )
        except MaskRecordProblem as problem:
            raise SourceAnnotationProblem(problem.message, key=problem.key) from None

    def _check(self, record: _Record, base_type: str, answer: dict, labels: list[str], task_input: dict) -> None:
        task_type = get_task_type(base_type)
        object_key = next((key for key in ("source", "source-ref") if key in task_input), "")
        if object_key not in task_type.source_keys:
            raise SourceAnnotationProblem(
                f"a {base_type} annotation needs {' or '.join(task_type.source_keys)}", key=object_key
            )
        try:
            problems = answer_errors(task_type.answer_schema(labels), answer)
        except ValidationBudgetExceeded as exc:
            raise _problem(record, f"is too costly to check ({exc})") from None
        if problems:
            raise _problem(record, f"is not a valid {base_type} annotation: {problems[0].message[:300]}")
        try:
            task_type.check_answer(answer, labels=labels, task_input=task_input)
        except InvalidInput as exc:
            where = "; ".join(
                f"{path.removeprefix('answer.')}: {' '.join(messages)}" for path, messages in exc.fields.items()
            )
            raise _problem(record, f"is not a valid {base_type} annotation: {where or exc.message}") from None

    def _source_job(
        self, job_name: object, base_type: str
    ) -> tuple[list[str], dict[tuple[str, str], frozenset[int]]] | None:
        """The source job's label categories and who answered each of its objects, or ``None``
        when ``job-name`` names no Groundwork job of this requester writing that base type's
        records (the type or its adjustment) under that label attribute."""
        if not isinstance(job_name, str) or not job_name.startswith(JOB_NAME_PREFIX):
            return None
        name = job_name[len(JOB_NAME_PREFIX) :]
        if name not in self._jobs:
            job = LabelingJob.objects.filter(
                requester_id=self.requester_id,
                name=name,
                task_type__in=annotating_types(base_type),
                label_attribute_name=self.attribute,
            ).first()
            self._jobs[name] = None if job is None else (list(job.label_categories), source_annotators(job))
        return self._jobs[name]


def _object_key(line: dict) -> tuple[str, str]:
    for key in ("source-ref", "source"):
        if isinstance(line.get(key), str):
            return key, line[key]
    return "", ""


def source_annotators(job: LabelingJob) -> dict[tuple[str, str], frozenset[int]]:
    """Who annotated each object of ``job``: ``("source-ref" | "source", value)`` → the ids of the
    workers whose answers the job has for it (an object listed twice: both objects' workers)."""
    if job.batch_id is None:
        return {}
    workers_by_task: dict[int, set[int]] = {}
    answered = Assignment.objects.filter(task__batch_id=job.batch_id, status__in=ANSWERED_STATUSES)
    for task_id, worker_id in answered.values_list("task_id", "worker_id").iterator(chunk_size=5000):
        workers_by_task.setdefault(task_id, set()).add(worker_id)
    by_object: dict[tuple[str, str], set[int]] = {}
    objects = DataObject.objects.filter(job=job, is_gold=False).values_list("source_line", "task_id")
    for source_line, task_id in objects.iterator(chunk_size=2000):
        workers = workers_by_task.get(task_id)
        if workers:
            by_object.setdefault(_object_key(_parsed(source_line)), set()).update(workers)
    return {key: frozenset(workers) for key, workers in by_object.items()}


def _parsed(source_line: str) -> dict:
    try:
        data = json.loads(source_line)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
