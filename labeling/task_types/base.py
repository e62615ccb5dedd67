"""The task-type contract shared by every built-in labeling task type.

A task type knows four things about its kind of work:

1. what a worker may answer (``answer_schema``, a JSON Schema the marketplace checks on submit,
   and ``check_answer`` for what a schema cannot say, such as "the box lies inside the image");
2. how redundant answers become one consolidated label per data object (``consolidate``,
   calling the pure-numpy ``consolidation`` package);
3. how a consolidated label is written in a Ground Truth augmented manifest (``output_value``,
   ``failure_metadata``, and ``mask_png`` for segmentation, whose label is a PNG file);
4. whether a consolidated label matches a known one (``is_correct``, for gold accuracy).

Everything here is pure Python (numpy, Pillow): no Django model is touched, so a job's services
can call it from a Celery task or a test alike. Results (``ObjectResult.result``) are small
JSON-serialisable dicts (plain ints, floats, strings), meant to be stored as they are.

**Confidences** are stored unrounded in ``ObjectResult.confidence`` and rounded to
``CONFIDENCE_DECIMALS`` (4) in results and in the output manifest: Ground Truth prints two
decimals, but Groundwork's confidences are calibrated probabilities and 0.995 vs 0.9999 matters
to a requester filtering on them.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass, field
from typing import Generic, TypeVar

import numpy as np

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
CONFIDENCE_DECIMALS = 4
# Labels per job unless a task type says otherwise. Single-label Dawid-Skene keeps a K x K
# confusion matrix per worker (100 classes x 1,000 workers is 80 MB) and multi-label runs one
# binary consolidation per class, so the ceiling is set where both stay cheap; a UI listing more
# than 100 choices is unusable anyway.
DEFAULT_MAX_LABELS = 100


@dataclass(frozen=True)
class ObjectAnswers:
    """Answers gathered so far for one data object.

    ``index`` is the object's position (``0..n_objects-1``) in this consolidation call;
    ``workers[i]`` (an index ``0..n_workers-1``) gave ``answers[i]``, which has already passed
    ``answer_schema`` and ``check_answer``. ``task_input`` is what the task holds as input
    (``"source"`` text for text types, ``"source-ref"`` for images, plus visible keys).
    """

    index: int
    workers: tuple[int, ...]
    answers: tuple[dict, ...]
    task_input: dict

    def __post_init__(self) -> None:
        if len(self.workers) != len(self.answers):
            raise ValueError(f"object {self.index}: {len(self.workers)} workers for {len(self.answers)} answers")


@dataclass(frozen=True)
class ObjectResult:
    """One object's consolidated label.

    ``result`` is a JSON-serialisable dict in the task type's own shape (what ``output_value``
    and ``mask_png`` read), or ``None`` when there is no label (no answers). ``confidence`` is the
    object's calibrated confidence in [0, 1] (``None`` without a label), used by dynamic
    redundancy; each task type's module says how it is defined.
    """

    index: int
    result: dict | None
    confidence: float | None


@dataclass(frozen=True)
class Consolidation:
    """The outcome of one ``TaskType.consolidate`` call.

    ``objects`` holds one result per ``ObjectAnswers`` given, in the same order.
    ``worker_accuracy`` maps each worker index that gave at least one answer to (estimated
    accuracy in [0, 1], number of answers); each task type's module defines the accuracy.
    ``method`` names the algorithm (and calibration) that produced the numbers.
    """

    objects: tuple[ObjectResult, ...]
    worker_accuracy: dict[int, tuple[float, int]]
    method: str
    # Per worker who answered a gold object: their answers there counted against the truth
    # (drawn types and masks; empty for the others), what ``GoldTally`` records keep.
    worker_gold: dict[int, GoldTally] = field(default_factory=dict)


@dataclass(frozen=True)
class GoldTally:
    """One worker's answers on gold objects counted against the truth: the error pattern a
    record of earlier work carries besides its accuracy (issue 23). Tallies add up over jobs.

    Drawn types (boxes, spans): ``objects`` true objects on ``items`` gold items, of which the
    worker ``found`` (drew something there: a box at IoU >= 0.5 of any class, a span
    overlapping it) and ``found_exact`` (exactly right); of the ``drawn`` objects they drew,
    ``drawn_stray`` stood where no true object is and ``drawn_inexact`` were not exactly right
    (strays included); ``drawn_shared`` were apart from every true object (no near miss of one)
    and drawn alike by another annotator of the item, ``shared_by`` counting those others (one
    per other annotator per such stray), of ``peers`` other annotators in all (summed over the
    items): decoys, which the records show where a job without gold cannot. Masks:
    ``area_error``, the worker's pixels of each non-background class minus the truth's
    (positive: they draw objects too large), and ``boundary``, the truth's boundary length in
    pixels, summed over the gold images: their ratio is the worker's signed boundary shift in
    pixels.
    """

    items: int = 0
    objects: int = 0
    found: int = 0
    found_exact: int = 0
    drawn: int = 0
    drawn_stray: int = 0
    drawn_inexact: int = 0
    drawn_shared: int = 0
    shared_by: int = 0
    peers: int = 0
    area_error: float = 0.0
    boundary: float = 0.0

    def __add__(self, other: GoldTally) -> GoldTally:
        return GoldTally(*(mine + theirs for mine, theirs in zip(astuple(self), astuple(other), strict=True)))


class TaskType(abc.ABC):
    """A kind of labeling work; the built-in instances live in ``labeling.task_types.TASK_TYPES``.

    Subclasses set the class attributes and implement the abstract methods. ``labels`` is always
    the job's label categories in order: a class id is an index into it.
    """

    name: str
    ground_truth_type: str
    source_keys: tuple[str, ...]
    min_labels: int = 1
    max_labels: int = DEFAULT_MAX_LABELS
    # Output: whether ``output_value`` reads the workers' answers, and ``mask_png`` gives a file.
    uses_answers_in_output: bool = False
    writes_masks: bool = False
    # A review type (verification, adjustment): the base task types whose existing annotations
    # it works on (``labeling.services.source_annotations``); empty for the other types.
    reviewed_types: tuple[str, ...] = ()
    # The label categories a job gets when the requester names none (empty: they are required).
    default_labels: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"<TaskType {self.name}>"

    @abc.abstractmethod
    def answer_schema(self, labels: list[str]) -> dict:
        """A JSON Schema (draft 2020-12) for one answer, naming the label categories in enums."""

    def review_input_problem(self, task_input: dict, *, labels: list[str]) -> str | None:
        """A review type: why a task input (the base object and the existing annotation,
        ``labeling.services.source_annotations``) cannot be worked on with the job's ``labels``,
        or ``None`` when it can. The default (every other type): ``None``."""
        return None

    def check_answer(self, answer: dict, *, labels: list[str], task_input: dict) -> None:
        """What the JSON Schema cannot say; raises ``InvalidInput`` naming ``answer.<path>``.

        ``answer`` has passed ``answer_schema(labels)``. The default checks nothing more.
        """
        return None

    @abc.abstractmethod
    def consolidate(
        self,
        objects: Sequence[ObjectAnswers],
        *,
        n_workers: int,
        labels: list[str],
        gold: Mapping[int, dict],
        worker_records: Mapping[int, tuple[float, int]] | None = None,
        worker_gold_records: Mapping[int, GoldTally] | None = None,
    ) -> Consolidation:
        """Consolidated labels for ``objects`` and each answering worker's estimated accuracy.

        ``gold`` maps an object index to its known answer (in the answer format).
        ``worker_records`` maps a worker index to its record from earlier work, ``(accuracy,
        answers)`` (``marketplace.selectors.workers.worker_batch_records``); the classification types
        turn it into priors on each worker's reliability (``consolidation.records``), boxes and
        spans into priors on each worker's recall and precision (``drawn``), masks into the expected
        IoU of an image with a single mask (``segmentation``).
        ``worker_gold_records`` maps a worker index to their answers on earlier jobs' gold
        counted against the truth (``GoldTally``, summed over ``Consolidation.worker_gold`` of
        those jobs): boxes and spans read it as the worker's recall and rate of stray objects,
        masks as the direction of their boundary errors; the other types ignore it.
        Objects
        without answers get ``ObjectResult(index, None, None)``. Raises ``ValueError`` when an
        index, a worker or a gold answer is out of range.
        """

    @abc.abstractmethod
    def output_value(
        self,
        result: dict,
        *,
        labels: list[str],
        job_name: str,
        creation_date: str,
        human_annotated: bool = True,
        mask_uri: str | None = None,
        answers: Sequence[dict] = (),
        short_names: Mapping[str, str] | None = None,
    ) -> tuple[object, dict]:
        """``(value, metadata)`` to write under ``<label attribute>`` and
        ``<label attribute>-metadata``, as Ground Truth writes them for this task type.

        ``answers`` are the object's workers' answers (multi-label lists every label one of them
        chose); ``short_names`` maps a label to the label category file's ``shortDisplayName``
        (named entities keep it)."""

    def effective_labels(self, labels: list[str]) -> list[str]:
        """The job's label categories made from the requester's list; the identity, except for
        segmentation (which puts ``BACKGROUND`` at class 0). Raises ``ValueError``."""
        return list(labels)

    def answer_content(self, answer: dict, *, labels: list[str]) -> dict:
        """One answer as ``answerContent`` of a Ground Truth worker-response file: in the shape
        the built-in worker UI of this task type (``crowd-image-classifier``, ...) records it."""
        raise NotImplementedError(f"{self.name} has no Ground Truth answer content")

    def failure_metadata(self, *, reason: str, job_name: str, creation_date: str) -> dict:
        """Metadata for an object that got no label: the common keys plus ``failure-reason``.

        ``human-annotated`` is ``"yes"``: the object went through the human workflow (nothing
        machine-labeled it), which is what a reader filtering on that key expects.
        """
        return {
            "type": self.ground_truth_type,
            "job-name": job_name_value(job_name),
            "human-annotated": "yes",
            "creation-date": creation_date,
            "failure-reason": reason,
        }

    def mask_png(self, result: dict) -> bytes | None:
        """The consolidated mask as PNG bytes (segmentation only); ``None`` for other types."""
        return None

    @abc.abstractmethod
    def is_correct(self, result: dict, truth: dict, *, labels: list[str]) -> bool:
        """Whether a consolidated ``result`` (this type's result shape, class ids) matches
        ``truth`` (an answer in the answer format, label names, such as a gold answer)."""

    def common_metadata(self, *, job_name: str, creation_date: str, human_annotated: bool) -> dict:
        """The metadata keys every Ground Truth record has."""
        return {
            "type": self.ground_truth_type,
            "job-name": job_name_value(job_name),
            "human-annotated": "yes" if human_annotated else "no",
            "creation-date": creation_date,
        }


def job_name_value(job_name: str) -> str:
    """Ground Truth's ``job-name``: ``labeling-job/<name>``."""
    return f"labeling-job/{job_name}"


def rounded(value: float) -> float:
    """A plain float rounded to ``CONFIDENCE_DECIMALS``."""
    return round(float(value), CONFIDENCE_DECIMALS)


def base_schema(properties: dict, required: list[str]) -> dict:
    """An object schema closed to other keys."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def checked_objects(objects: Sequence[ObjectAnswers], *, n_workers: int, gold: Mapping[int, dict]) -> int:
    """Validate object indexes, worker indexes and gold keys; returns the number of objects."""
    n_objects = len(objects)
    seen: set[int] = set()
    for item in objects:
        if not 0 <= item.index < n_objects or item.index in seen:
            raise ValueError(f"object indexes must be distinct and in 0..{n_objects - 1}, got {item.index}")
        seen.add(item.index)
        for worker in item.workers:
            if not 0 <= worker < n_workers:
                raise ValueError(f"object {item.index}: worker {worker} is not in 0..{n_workers - 1}")
    for index in gold:
        if index not in seen:
            raise ValueError(f"gold names object {index}, which is not in this consolidation")
    return n_objects


def label_index(labels: list[str]) -> dict[str, int]:
    return {name: position for position, name in enumerate(labels)}


class WorkerScores:
    """Per-worker running mean of per-answer scores in [0, 1]."""

    def __init__(self) -> None:
        self._sum: dict[int, float] = {}
        self._count: dict[int, int] = {}

    def add(self, worker: int, score: float) -> None:
        self._sum[worker] = self._sum.get(worker, 0.0) + float(score)
        self._count[worker] = self._count.get(worker, 0) + 1

    def mean(self, worker: int) -> float | None:
        count = self._count.get(worker)
        return None if not count else self._sum[worker] / count

    def accuracy(self) -> dict[int, tuple[float, int]]:
        return {
            worker: (min(max(self._sum[worker] / count, 0.0), 1.0), count)
            for worker, count in sorted(self._count.items())
        }


# A geometric type's parsed answer (boxes, spans, a mask) and its consolidated label.
Parsed = TypeVar("Parsed")
Consolidated = TypeVar("Consolidated")


class GeometricTaskType(TaskType, Generic[Parsed, Consolidated]):
    """Shared consolidation for boxes, spans and masks: one object at a time.

    Each object is first consolidated on its own by the ``consolidation.geometric`` function of
    the subclass, which estimates worker weights from agreement within that object. A gold
    object's result is its gold answer (confidence 1.0). The non-gold objects are then
    consolidated a second time with job-wide worker weights: a worker's mean score on the gold
    objects they answered, else their mean score against the consolidated labels of the first
    pass, else 1.0. One weight per worker across the job is far less noisy than one estimated
    from the two or three answers of a single object (simulated box jobs of 36 images, 30 seeds:
    F1 0.911 against 0.900 per object and 0.891 for plain averaging).

    A worker's accuracy is the mean over their answers of ``_score`` (1.0: exactly the
    consolidated label, or the gold answer on gold objects), defined per subclass.

    Subclasses implement the hooks; answers are parsed one object at a time (``_parse``), so a
    job's decoded masks are never all in memory together.
    """

    method_name: str
    min_weight: float = 0.05
    max_weight: float = 1.0

    @abc.abstractmethod
    def _parse(self, answer: dict, labels: list[str]) -> Parsed:
        """An answer (or gold answer) in a form ``_fit`` and ``_score`` use; ``ValueError`` when
        a gold answer is malformed (worker answers were validated on submit)."""

    @abc.abstractmethod
    def _fit(
        self, answers: list[Parsed], workers: tuple[int, ...], labels: list[str], weights: np.ndarray | None
    ) -> tuple[Consolidated, dict, float]:
        """``(consolidated, result, confidence)`` for one object; ``weights`` is one weight per
        worker index, or ``None`` to let the consolidation function estimate them."""

    @abc.abstractmethod
    def _from_truth(self, truth: Parsed, answers: list[Parsed], labels: list[str]) -> tuple[Consolidated, dict]:
        """``(consolidated, result)`` for a gold object whose parsed gold answer is ``truth``."""

    @abc.abstractmethod
    def _score(self, answer: Parsed, consolidated: Consolidated) -> float:
        """How well one parsed answer matches a consolidated label, in [0, 1]."""

    def consolidate(
        self,
        objects: Sequence[ObjectAnswers],
        *,
        n_workers: int,
        labels: list[str],
        gold: Mapping[int, dict],
        worker_records: Mapping[int, tuple[float, int]] | None = None,
        worker_gold_records: Mapping[int, GoldTally] | None = None,
    ) -> Consolidation:
        checked_objects(objects, n_workers=n_workers, gold=gold)
        answered = [item for item in objects if item.answers]
        settled = {item.index: self._settle(item, labels, gold.get(item.index), None) for item in answered}
        if answered:
            on_gold, on_rest = WorkerScores(), WorkerScores()
            for item in answered:
                tally = on_gold if item.index in gold else on_rest
                for worker, score in settled[item.index][2]:
                    tally.add(worker, score)
            weights = np.ones(n_workers)
            for worker in range(n_workers):
                known = on_gold.mean(worker)
                known = on_rest.mean(worker) if known is None else known
                if known is not None:
                    weights[worker] = min(max(known, self.min_weight), self.max_weight)
            for item in answered:
                if item.index not in gold:
                    settled[item.index] = self._settle(item, labels, None, weights)
            settled = self._calibrate(
                answered,
                settled,
                labels=labels,
                gold=gold,
                weights=weights,
                worker_records=worker_records or {},
                worker_gold_records=worker_gold_records or {},
            )
        source = "gold and agreement" if any(item.index in gold for item in answered) else "agreement"
        method = f"{self.method_name}(job-wide worker weights from {source})"
        scores = WorkerScores()
        results = []
        for item in objects:
            if item.index not in settled:
                results.append(ObjectResult(item.index, None, None))
                continue
            result, confidence, worker_scores, _ = settled[item.index]
            results.append(ObjectResult(item.index, result, confidence))
            for worker, score in worker_scores:
                scores.add(worker, score)
        return Consolidation(
            objects=tuple(results),
            worker_accuracy=scores.accuracy(),
            method=method,
            worker_gold=self._worker_gold(objects, labels=labels, gold=gold),
        )

    def _worker_gold(
        self, objects: Sequence[ObjectAnswers], *, labels: list[str], gold: Mapping[int, dict]
    ) -> dict[int, GoldTally]:
        """Each worker's answers on the gold objects counted against the truth (``_gold_tallies``)."""
        tallies: dict[int, GoldTally] = {}
        for item in objects:
            if item.index not in gold or not item.answers:
                continue
            truth = self._parse(gold[item.index], labels)
            parsed = [self._parse(answer, labels) for answer in item.answers]
            for worker, tally in zip(item.workers, self._gold_tallies(parsed, truth, labels), strict=True):
                if tally is not None:
                    tallies[worker] = tallies.get(worker, GoldTally()) + tally
        return tallies

    def _gold_tallies(self, answers: list[Parsed], truth: Parsed, labels: list[str]) -> list[GoldTally | None]:
        """Each of one gold object's answers counted against its truth; by default each on its
        own (``_gold_tally``)."""
        return [self._gold_tally(answer, truth, labels) for answer in answers]

    def _gold_tally(self, answer: Parsed, truth: Parsed, labels: list[str]) -> GoldTally | None:
        """One answer on a gold object counted against its truth; ``None``: the type keeps none."""
        return None

    def _calibrate(
        self,
        answered: list[ObjectAnswers],
        settled: dict[int, tuple],
        *,
        labels: list[str],
        gold: Mapping[int, dict],
        weights: np.ndarray,
        worker_records: Mapping[int, tuple[float, int]],
        worker_gold_records: Mapping[int, GoldTally],
    ) -> dict[int, tuple]:
        """The job-wide step after the second pass: ``settled`` maps an object index to
        ``(result, confidence, worker scores, consolidated)``; a subclass whose confidences need
        the whole job (``drawn.DrawnObjectsTaskType``) returns them recomputed. Default: as is."""
        return settled

    def _settle(
        self, item: ObjectAnswers, labels: list[str], truth: dict | None, weights: np.ndarray | None
    ) -> tuple[dict, float, list[tuple[int, float]], object]:
        answers = [self._parse(answer, labels) for answer in item.answers]
        if truth is not None:
            try:
                parsed_truth = self._parse(truth, labels)
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"gold for object {item.index} is not a valid answer: {exc}") from None
            consolidated, result = self._from_truth(parsed_truth, answers, labels)
            confidence = 1.0
        else:
            consolidated, result, confidence = self._fit(answers, item.workers, labels, weights)
        worker_scores = [(w, self._score(a, consolidated)) for w, a in zip(item.workers, answers, strict=True)]
        return result, confidence, worker_scores, consolidated
