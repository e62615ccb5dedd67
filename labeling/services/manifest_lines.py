"""Checking manifest lines: one data object each, the same rules wherever the line comes from
(an input or gold manifest read at ingestion, an object a streaming job takes over the API or
from a watched manifest file).

``LineChecker.check_data`` judges one line already parsed as JSON and raises ``LineProblem``
naming the attribute at fault (``""`` for the line as a whole); ``LineChecker.check`` parses a
manifest file's line and turns a problem into ``IngestFailed`` naming the file and the line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from marketplace.answer_schemas import ValidationBudgetExceeded, answer_errors
from marketplace.errors import InvalidInput
from marketplace.jsonbody import parse_json

from ..models import LabelingJob
from ..task_types import TaskType
from .source_annotations import SourceAnnotationProblem, SourceAnnotations

MAX_LINE_CHARS = 100_000
MAX_ATTRIBUTE_CHARS = 20_000
# A streaming object's own id (``DataObject.dataset_object_id``): repeats of it add nothing.
DATASET_OBJECT_ID_KEY = "dataset_object_id"
MAX_DATASET_OBJECT_ID_CHARS = 256


class IngestFailed(Exception):
    """The job cannot start; ``reason`` is shown to the requester as ``failure_reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LineProblem(Exception):
    """What is wrong with one line: ``key`` names the attribute (``""``: the line itself)."""

    def __init__(self, message: str, *, key: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.key = key


@dataclass(frozen=True)
class ManifestObject:
    line_number: int  # 1-based, counting every line of the file (0 for an object given over the API)
    line: str
    task_input: dict
    gold_answer: dict | None
    dataset_object_id: str | None = None
    # Review types: the workers who made the existing annotation, never offered the task.
    excluded_worker_ids: frozenset[int] = frozenset()


class LineChecker:
    """Validates manifest lines for one job; ``gold`` lines must carry a valid answer.
    ``covers`` says whether a ``source-ref`` lies in storage registered for the requester."""

    def __init__(self, job: LabelingJob, task_type: TaskType, covers: Callable[[str], bool]) -> None:
        self.job = job
        self.task_type = task_type
        self.covers = covers
        self.answer_schema = task_type.answer_schema(job.label_categories)
        self.sources = (
            SourceAnnotations(
                requester_id=job.requester_id,
                attribute=job.source_label_attribute_name,
                reviewed_types=task_type.reviewed_types,
            )
            if task_type.reviewed_types
            else None
        )

    def check(self, line_number: int, line: str, *, gold: bool, what: str) -> ManifestObject:
        """One line of a manifest file (``what`` names the file in the reason of a failure)."""
        where = f"{what} line {line_number}"
        try:
            data = parse_json(line)
        except InvalidInput as exc:
            raise IngestFailed(f"{where}: {exc.message}") from None
        try:
            return self.check_data(data, line_number=line_number, line=line, gold=gold)
        except LineProblem as problem:
            raise IngestFailed(f"{where}: {problem.message}") from None

    def check_data(self, data: object, *, line_number: int, line: str | None = None, gold: bool) -> ManifestObject:
        """One parsed line; ``line`` is its text as read (``None``: the compact JSON of
        ``data``, as an object given over the API is kept). Raises ``LineProblem``."""
        if not isinstance(data, dict):
            raise LineProblem("must be a JSON object")
        for key, value in data.items():
            if key.startswith("$"):
                raise LineProblem(f"attribute names must not start with $ ({key!r})", key=key)
            size = len(value) if isinstance(value, str) else len(json.dumps(value))
            if size > MAX_ATTRIBUTE_CHARS:
                raise LineProblem(f"attribute {key!r} is longer than {MAX_ATTRIBUTE_CHARS} characters", key=key)
        attribute = self.job.label_attribute_name
        for own in (attribute, f"{attribute}-metadata"):
            if not gold and own in data:
                raise LineProblem(f"already has the label attribute {attribute!r}", key=own)
        present = [key for key in ("source", "source-ref") if key in data]
        if len(present) != 1:
            raise LineProblem("needs exactly one of source-ref and source", key=present[1] if present else "")
        key = present[0]
        if key not in self.task_type.source_keys:
            raise LineProblem(f"{self.task_type.name} needs {' or '.join(self.task_type.source_keys)}", key=key)
        value = data[key]
        if not isinstance(value, str) or not value:
            raise LineProblem(f"{key} must be a non-empty string", key=key)
        if key == "source-ref" and not self.covers(value):
            raise LineProblem(f"source-ref {value!r} is not in storage registered for this requester", key=key)
        dataset_object_id = self._dataset_object_id(data)
        task_input = {key: value}
        existing = None
        if self.sources is not None:  # a review type: the annotation to review comes along
            try:
                existing = self.sources.read(data, task_input=task_input)
            except SourceAnnotationProblem as problem:
                raise LineProblem(problem.message, key=problem.key) from None
        for visible in self.job.worker_visible_keys:
            if visible in data:
                task_input[visible] = data[visible]
        if existing is not None:
            task_input.update(existing.task_input())
            unfit = self.task_type.review_input_problem(task_input, labels=self.job.label_categories)
            if unfit is not None:
                raise LineProblem(unfit, key=self.job.source_label_attribute_name)
        gold_answer = None
        if gold:
            gold_answer = self._gold_answer(data, task_input)
            data = {name: item for name, item in data.items() if name != attribute}
            line = None
        if line is None:
            line = json.dumps(data, ensure_ascii=False)
            if len(line) > MAX_LINE_CHARS and not gold:
                raise LineProblem(f"longer than {MAX_LINE_CHARS} characters")
        return ManifestObject(
            line_number=line_number,
            line=line,
            task_input=task_input,
            gold_answer=gold_answer,
            dataset_object_id=dataset_object_id,
            excluded_worker_ids=frozenset() if existing is None else existing.annotator_ids,
        )

    def _dataset_object_id(self, data: dict) -> str | None:
        """A streaming job's object may name itself; elsewhere the key is an ordinary attribute."""
        if not self.job.is_streaming or DATASET_OBJECT_ID_KEY not in data:
            return None
        value = data[DATASET_OBJECT_ID_KEY]
        if type(value) is not str or not value or len(value) > MAX_DATASET_OBJECT_ID_CHARS:
            raise LineProblem(
                f"must be a non-empty string of at most {MAX_DATASET_OBJECT_ID_CHARS} characters",
                key=DATASET_OBJECT_ID_KEY,
            )
        return value

    def _gold_answer(self, data: dict, task_input: dict) -> dict:
        attribute = self.job.label_attribute_name
        answer = data.get(attribute)
        if not isinstance(answer, dict):
            raise LineProblem(
                f"needs the known answer under {attribute!r}, in the task type's answer format", key=attribute
            )
        try:
            problems = answer_errors(self.answer_schema, answer)
        except ValidationBudgetExceeded as exc:
            raise LineProblem(f"the known answer is too costly to check ({exc})", key=attribute) from None
        if problems:
            raise LineProblem(f"the known answer is invalid: {problems[0].message[:300]}", key=attribute)
        try:
            self.task_type.check_answer(answer, labels=self.job.label_categories, task_input=task_input)
        except InvalidInput as exc:
            raise LineProblem(f"the known answer is invalid: {exc.message}", key=attribute) from None
        return answer
