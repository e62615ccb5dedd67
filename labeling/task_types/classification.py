"""Single-label classification of images and texts: answer ``{"label": "cat"}``.

Consolidation is one call to ``consolidation.consolidate`` (calibrated Dawid-Skene) over every
object of the call, gold honoured as known truth. ``result`` is ``{"label": <class id>,
"probabilities": [<calibrated probability per class>]}``; the object's confidence is the chosen
class's probability. A worker's accuracy is the diagonal of their estimated confusion matrix
weighted by the class priors (the mean posterior over answered objects): the probability that
they answer right on an object drawn from this job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from consolidation import consolidate
from consolidation.records import record_prior_counts
from labeling.task_types.base import (
    Consolidation,
    GoldTally,
    ObjectAnswers,
    ObjectResult,
    TaskType,
    base_schema,
    checked_objects,
    label_index,
    rounded,
)

PROBABILITY_DECIMALS = 6
# The built-in worker UI element whose name keys a worker-response file's ``answerContent``.
ANSWER_ELEMENTS = {"image_classification": "crowd-image-classifier", "text_classification": "crowd-classifier"}


class SingleLabelClassification(TaskType):
    """``image_classification`` and ``text_classification``: one label per object, from at
    least two categories."""

    min_labels = 2

    def __init__(self, *, name: str, ground_truth_type: str, source_keys: tuple[str, ...]) -> None:
        self.name = name
        self.ground_truth_type = ground_truth_type
        self.source_keys = source_keys

    def answer_schema(self, labels: list[str]) -> dict:
        return base_schema({"label": {"type": "string", "enum": list(labels)}}, ["label"])

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
        n_objects = checked_objects(objects, n_workers=n_workers, gold=gold)
        index_of = label_index(labels)
        task = [item.index for item in objects for _ in item.answers]
        worker = [w for item in objects for w in item.workers]
        label = [index_of[answer["label"]] for item in objects for answer in item.answers]
        gold_ids = sorted(gold)
        gold_labels = []
        for object_index in gold_ids:
            name = gold[object_index].get("label")
            if name not in index_of:
                raise ValueError(f"gold for object {object_index}: label {name!r} is not a label category")
            gold_labels.append(index_of[name])
        fitted = consolidate(
            np.asarray(task, dtype=np.int64),
            np.asarray(worker, dtype=np.int64),
            np.asarray(label, dtype=np.int64),
            n_classes=len(labels),
            n_tasks=n_objects,
            n_workers=n_workers,
            gold=(np.asarray(gold_ids, dtype=np.int64), np.asarray(gold_labels, dtype=np.int64)) if gold_ids else None,
            worker_prior_counts=_prior_counts(worker_records, n_workers=n_workers, n_classes=len(labels)),
        )
        results = []
        for item in objects:
            if not item.answers:
                results.append(ObjectResult(item.index, None, None))
                continue
            chosen = int(fitted.labels[item.index])
            probabilities = [round(float(p), PROBABILITY_DECIMALS) for p in fitted.posteriors[item.index]]
            results.append(
                ObjectResult(
                    item.index,
                    {"label": chosen, "probabilities": probabilities},
                    float(fitted.confidence[item.index]),
                )
            )
        return Consolidation(
            objects=tuple(results),
            worker_accuracy=_worker_accuracy(fitted.confusion, fitted.posteriors, fitted.answered, worker),
            method=fitted.method,
        )

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
        chosen = int(result["label"])
        metadata = {
            "class-name": labels[chosen],
            "confidence": rounded(result["probabilities"][chosen]),
            **self.common_metadata(job_name=job_name, creation_date=creation_date, human_annotated=human_annotated),
        }
        return chosen, metadata

    def answer_content(self, answer: dict, *, labels: list[str]) -> dict:
        """``{"crowd-image-classifier": {"label": ...}}`` (``crowd-classifier`` for texts)."""
        return {ANSWER_ELEMENTS[self.name]: {"label": answer["label"]}}

    def is_correct(self, result: dict, truth: dict, *, labels: list[str]) -> bool:
        """Exact match of the class."""
        return labels[int(result["label"])] == truth.get("label")


def record_arrays(records: Mapping[int, tuple[float, int]] | None, *, n_workers: int):
    """``(accuracy, answers)`` arrays, one entry per worker index (0 answers: no record)."""
    accuracy, answers = np.full(n_workers, np.nan), np.zeros(n_workers)
    for index, (value, count) in (records or {}).items():
        if 0 <= index < n_workers:
            accuracy[index], answers[index] = value, count
    return accuracy, answers


def _prior_counts(records: Mapping[int, tuple[float, int]] | None, *, n_workers: int, n_classes: int):
    if not records:
        return None
    accuracy, answers = record_arrays(records, n_workers=n_workers)
    return record_prior_counts(accuracy, answers, n_classes=n_classes)


def _worker_accuracy(
    confusion: np.ndarray, posteriors: np.ndarray, answered: np.ndarray, worker: list[int]
) -> dict[int, tuple[float, int]]:
    counts = np.bincount(np.asarray(worker, dtype=np.int64), minlength=confusion.shape[0])
    if not answered.any():
        return {}
    priors = posteriors[answered].mean(axis=0)
    diagonal = np.diagonal(confusion, axis1=1, axis2=2)  # (n_workers, K): P(answer k | truth k)
    accuracy = diagonal @ priors
    return {int(w): (min(max(float(accuracy[w]), 0.0), 1.0), int(counts[w])) for w in np.flatnonzero(counts)}
