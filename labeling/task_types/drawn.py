"""Calibrated confidences for drawn objects (bounding boxes, entity spans), job-wide.

Each item is first consolidated on its own (``GeometricTaskType``: clusters of matching boxes or
spans, job-wide worker weights). Every cluster is then a *candidate*: the box or span the item
would output, with the workers who drew exactly it (a box: in the cluster with the chosen class;
a span: the same start, end and label). ``consolidation.geometric.detection`` fits, over all the
job's candidates at once, how often each worker draws a true object (recall) and a false one,
anchored by the job's gold (candidates of gold items are known to be true or false, and a gold
object nobody drew counts as missed by all), by workers' records from earlier work, and
otherwise by the job's agreement structure. Then:

* an object's confidence is the probability that it is a true object: for a box, that it
  matches a true object at IoU >= 0.5 with the right class; for a span, that its start, end and
  label are exactly right;
* the rule: a candidate is output when more than half the annotators' weight drew it (as before;
  keeping by probability lost F1 on simulated crowds), so every output object was drawn by
  some worker; its confidence is its probability, at least ``MIN_CONFIDENCE``;
* the item's confidence is the probability that its output is exactly right: every output object
  true, every candidate left out false, and no true object missed by every annotator.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from consolidation.geometric.detection import detection_fit, item_all_right, missed_by_all, unseen_rates
from consolidation.geometric.recalibration import platt_apply, platt_fit
from labeling.task_types.base import Consolidated, GeometricTaskType, ObjectAnswers, Parsed

# An object is output when more than half the annotators' quality weight drew it (strictly: a
# box one trusted worker drew against two others' silence is that worker's, not the crowd's).
MIN_SUPPORT = 0.5 + 1e-9
# A kept object's confidence is at least this: the model can put a majority-drawn object near
# zero (its drawers' records are very poor), but an output object at confidence 0 says nothing.
MIN_CONFIDENCE = 1e-3


# A drawn type's every candidate of one item, in its own form (boxes: one _Boxes; spans: a list).
Objects = TypeVar("Objects")


@dataclass(frozen=True)
class Candidates(Generic[Objects]):
    """One item's candidates: ``objects`` (the type's own form, every candidate), who answered
    the item (``annotators``) and, per candidate, who drew exactly it (``drawers``)."""

    objects: Objects
    annotators: tuple[int, ...]
    drawers: tuple[frozenset[int], ...]
    support: np.ndarray  # per candidate, the weighted share of the annotators that drew it


class DrawnObjectsTaskType(GeometricTaskType[Parsed, Consolidated], Generic[Parsed, Consolidated, Objects]):
    """``GeometricTaskType`` whose confidences come from the job-wide detection model."""

    @abc.abstractmethod
    def _candidates(self, consolidated: Consolidated) -> Candidates[Objects]:
        """The candidates a ``_fit`` result holds."""

    @abc.abstractmethod
    def _render(
        self, candidates: Candidates[Objects], keep: np.ndarray, confidences: list[float]
    ) -> tuple[Consolidated, dict]:
        """``(consolidated, result)`` holding the candidates ``keep`` selects, with their
        confidences."""

    @abc.abstractmethod
    def _truth_matches(self, candidates: Candidates[Objects], truth: Parsed) -> tuple[np.ndarray, int]:
        """Per candidate whether it is right against a parsed gold answer (one to one), and how
        many gold objects no candidate matched."""

    def _record_f1(self, accuracy: float) -> float:
        """The F1 a worker's record of scores (``_score``) stands for; by default the score."""
        return accuracy

    def _calibrate(
        self,
        answered: list[ObjectAnswers],
        settled: dict[int, tuple],
        *,
        labels: list[str],
        gold: Mapping[int, dict],
        weights: np.ndarray,
        worker_records: Mapping[int, tuple[float, int]],
    ) -> dict[int, tuple]:
        n_workers = weights.shape[0]
        pair_candidate: list[np.ndarray] = []
        pair_worker: list[np.ndarray] = []
        pair_drew: list[np.ndarray] = []
        known: list[np.ndarray] = []
        spans: dict[int, tuple[int, Candidates[Objects]]] = {}
        gold_spans: list[tuple[int, Candidates[Objects], np.ndarray, int]] = []
        offset = 0
        for item in answered:
            if item.index in gold:
                answers = [self._parse(answer, labels) for answer in item.answers]
                candidates = self._candidates(self._fit(answers, item.workers, labels, weights)[0])
                matched, missed = self._truth_matches(candidates, self._parse(gold[item.index], labels))
                truth = np.concatenate([matched.astype(np.float64), np.ones(missed)])
                drawers = [*candidates.drawers, *([frozenset()] * missed)]
                gold_spans.append((offset, candidates, matched, missed))
            else:
                candidates = self._candidates(settled[item.index][3])
                drawers = list(candidates.drawers)
                truth = np.full(len(drawers), np.nan)
                spans[item.index] = (offset, candidates)
            annotators = candidates.annotators
            if drawers:
                pair_candidate.append(np.repeat(np.arange(offset, offset + len(drawers)), len(annotators)))
                pair_worker.append(np.tile(np.asarray(annotators, dtype=np.int64), len(drawers)))
                pair_drew.append(np.array([worker in drew for drew in drawers for worker in annotators], dtype=bool))
            known.append(truth)
            offset += len(drawers)
        record_accuracy = np.full(n_workers, np.nan)
        record_answers = np.zeros(n_workers)
        for worker, (accuracy, count) in worker_records.items():
            if 0 <= worker < n_workers:
                record_accuracy[worker], record_answers[worker] = self._record_f1(accuracy), count
        fit = detection_fit(
            _joined(pair_candidate, np.int64),
            _joined(pair_worker, np.int64),
            _joined(pair_drew, bool),
            n_candidates=offset,
            answer_item=np.repeat(np.arange(len(answered)), [len(item.workers) for item in answered]),
            answer_worker=np.asarray([worker for item in answered for worker in item.workers], dtype=np.int64),
            n_workers=n_workers,
            known=_joined(known, np.float64),
            # One figure per worker: their F1 (``_record_f1``), read as precision and recall.
            record_precision=record_accuracy,
            record_recall=record_accuracy,
            record_answers=record_answers,
        )
        drawn_by = np.bincount(_joined(pair_candidate, np.int64), weights=_joined(pair_drew, bool), minlength=offset)
        asked = np.bincount(_joined(pair_candidate, np.int64), minlength=offset)
        sizes = [len(set(item.workers)) for item in answered]
        unseen = unseen_rates(
            np.where(drawn_by > 0, fit.model_posterior, 0.0), drawn_by, asked, {n: sizes.count(n) for n in set(sizes)}
        )
        object_map, item_map = _gold_maps(fit, gold_spans, unseen)
        calibrated = dict(settled)
        for index, (start, candidates) in spans.items():
            posterior = fit.posterior[start : start + len(candidates.drawers)]
            keep = candidates.support >= MIN_SUPPORT
            annotator_ids = np.asarray(candidates.annotators, dtype=np.int64)
            nobody_missed = missed_by_all(fit, annotator_ids, unseen.get(annotator_ids.size, 0.0))
            written = np.maximum(platt_apply(posterior[keep], object_map), MIN_CONFIDENCE)
            confidence = float(platt_apply(item_all_right(posterior[keep], posterior[~keep], nobody_missed), item_map))
            consolidated, result = self._render(candidates, keep, written.tolist())
            # The same objects as the second pass kept (same rule), so its worker scores stand.
            calibrated[index] = (result, confidence, settled[index][2], consolidated)
        return calibrated


def _gold_maps(fit, gold_spans, unseen) -> tuple[tuple[float, float], tuple[float, float]]:
    """Platt maps for object and item confidences, fitted on the gold items consolidated as if
    their truth were unknown (the identity without enough gold)."""
    object_confidence, object_right, item_confidence, item_right = [], [], [], []
    for start, candidates, matched, missed in gold_spans:
        posterior = fit.model_posterior[start : start + len(candidates.drawers)]
        keep = candidates.support >= MIN_SUPPORT
        object_confidence.append(posterior[keep])
        object_right.append(matched[keep])
        annotators = np.asarray(candidates.annotators, dtype=np.int64)
        nobody_missed = missed_by_all(fit, annotators, unseen.get(annotators.size, 0.0))
        item_confidence.append(item_all_right(posterior[keep], posterior[~keep], nobody_missed))
        item_right.append(bool(np.array_equal(keep, matched)) and missed == 0)
    if not gold_spans:
        return (1.0, 0.0), (1.0, 0.0)
    return (
        platt_fit(np.concatenate(object_confidence), np.concatenate(object_right).astype(np.float64)),
        platt_fit(np.asarray(item_confidence), np.asarray(item_right, dtype=np.float64)),
    )


def _joined(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)
