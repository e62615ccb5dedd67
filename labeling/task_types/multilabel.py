"""Multi-label classification of images and texts: answer ``{"labels": ["cat", "dog"]}``.

An empty list is a valid answer ("none of these"). Consolidation is one call to
``consolidation.multilabel`` over every object (one calibrated binary consolidation per class),
gold honoured as known truth. ``result`` is ``{"present": [<class ids judged present,
ascending>], "probabilities": [<probability each class is present>]}``.

The object's confidence is the probability that its whole set is right, assuming the classes
independent: the product over classes of ``max(p, 1 - p)``. It matches ``is_correct`` (set
equality), so it is the same kind of number as a single-label confidence. A worker's accuracy is
the mean over their answers of that same probability for *their* set: the expected rate at which
they give exactly the right set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from consolidation.multilabel import multilabel
from labeling.task_types.base import (
    Consolidation,
    GoldTally,
    ObjectAnswers,
    ObjectResult,
    TaskType,
    WorkerScores,
    base_schema,
    checked_objects,
    label_index,
    rounded,
)
from labeling.task_types.classification import record_arrays

PROBABILITY_DECIMALS = 6
ANSWER_ELEMENTS = {
    "image_multilabel": "crowd-image-classifier-multi-select",
    "text_multilabel": "crowd-classifier-multi-select",
}


class MultiLabelClassification(TaskType):
    """``image_multilabel`` and ``text_multilabel``: any subset of at least one category."""

    min_labels = 1
    uses_answers_in_output = True

    def __init__(self, *, name: str, ground_truth_type: str, source_keys: tuple[str, ...]) -> None:
        self.name = name
        self.ground_truth_type = ground_truth_type
        self.source_keys = source_keys

    def answer_schema(self, labels: list[str]) -> dict:
        return base_schema(
            {
                "labels": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(labels)},
                    "uniqueItems": True,
                    "maxItems": len(labels),
                }
            },
            ["labels"],
        )

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
        k = len(labels)
        task = [item.index for item in objects for _ in item.answers]
        worker = [w for item in objects for w in item.workers]
        present = np.zeros((len(task), k), dtype=bool)
        row = 0
        for item in objects:
            for answer in item.answers:
                present[row, [index_of[name] for name in answer["labels"]]] = True
                row += 1
        gold_ids = sorted(gold)
        gold_present = np.zeros((len(gold_ids), k), dtype=bool)
        for position, object_index in enumerate(gold_ids):
            names = gold[object_index].get("labels")
            if not isinstance(names, list) or any(name not in index_of for name in names):
                raise ValueError(f"gold for object {object_index}: {names!r} is not a list of label categories")
            gold_present[position, [index_of[name] for name in names]] = True
        fitted = multilabel(
            np.asarray(task, dtype=np.int64),
            np.asarray(worker, dtype=np.int64),
            present,
            n_tasks=n_objects,
            n_workers=n_workers,
            gold=(np.asarray(gold_ids, dtype=np.int64), gold_present) if gold_ids else None,
            worker_records=_per_label(worker_records, n_workers=n_workers, k=k) if worker_records else None,
        )
        probability = np.clip(fitted.probability, 0.0, 1.0)
        results = []
        scores = WorkerScores()
        row = 0
        for item in objects:
            if not item.answers:
                results.append(ObjectResult(item.index, None, None))
                continue
            p = probability[item.index]
            chosen = fitted.present[item.index]
            results.append(
                ObjectResult(
                    item.index,
                    {
                        "present": np.flatnonzero(chosen).tolist(),
                        "probabilities": [round(float(value), PROBABILITY_DECIMALS) for value in p],
                    },
                    float(np.prod(np.where(chosen, p, 1.0 - p))),
                )
            )
            for w in item.workers:
                scores.add(w, float(np.prod(np.where(present[row], p, 1.0 - p))))
                row += 1
        return Consolidation(
            objects=tuple(results),
            worker_accuracy=scores.accuracy(),
            method=_describe(fitted.methods),
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
        """As Ground Truth, every label at least one worker chose (and any the consolidation
        judged present), ascending, each with its calibrated probability of being present: the
        reader picks the cut-off."""
        index_of = label_index(labels)
        listed = {int(class_id) for class_id in result["present"]}
        listed.update(index_of[name] for answer in answers for name in answer.get("labels", ()) if name in index_of)
        chosen = sorted(listed)
        metadata = {
            **self.common_metadata(job_name=job_name, creation_date=creation_date, human_annotated=human_annotated),
            "class-map": {str(class_id): labels[class_id] for class_id in chosen},
            "confidence-map": {str(class_id): rounded(result["probabilities"][class_id]) for class_id in chosen},
        }
        return chosen, metadata

    def answer_content(self, answer: dict, *, labels: list[str]) -> dict:
        """``{"crowd-image-classifier-multi-select": {"labels": [...]}}`` (``crowd-classifier-multi-select``
        for texts)."""
        return {ANSWER_ELEMENTS[self.name]: {"labels": list(answer["labels"])}}

    def is_correct(self, result: dict, truth: dict, *, labels: list[str]) -> bool:
        """Set equality of the labels present."""
        return {labels[int(class_id)] for class_id in result["present"]} == set(truth.get("labels", ()))


def _describe(methods: tuple[str, ...]) -> str:
    """``multilabel(<distinct per-class methods>)``, at most three named."""
    distinct = list(dict.fromkeys(methods))
    named = " | ".join(distinct[:3]) + (f" | +{len(distinct) - 3} more" if len(distinct) > 3 else "")
    return f"multilabel({named})"


def _per_label(records: Mapping[int, tuple[float, int]], *, n_workers: int, k: int):
    """A multi-label record holds the probability that a worker's whole answer was right (see
    ``worker_accuracy`` above); consolidation wants each label's: the ``k``-th root, as if the
    labels were judged independently."""
    accuracy, answers = record_arrays(records, n_workers=n_workers)
    return np.power(np.clip(accuracy, 0.0, 1.0), 1.0 / k), answers
