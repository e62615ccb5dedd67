"""Calibrated confidences for drawn objects (bounding boxes, entity spans), job-wide.

Each item is first consolidated on its own (``GeometricTaskType``: clusters of matching boxes or
spans, job-wide worker weights). Every cluster is then a *candidate*: the box or span the item
would output. ``consolidation.geometric.detection`` fits, over all the job's candidates at once,
how often each worker draws a true object (recall, with a share of hard-to-see objects) and a
false one, anchored by the job's gold (candidates of gold items are known to be true or false,
and a gold object nobody drew counts as missed by all), by workers' records from earlier work,
and otherwise by the job's agreement structure. With 3 or more annotators per item (median) a
candidate's pattern is who drew anything in its cluster, and ``consolidation.geometric.reading``
fits apart whether its chosen reading is exact, part by part (a box: its class; a span: start,
end, label), some clusters contested (two readings many pick); false candidates may also be
decoys every annotator draws alike, which gold and gold records tell from hard objects (agreement
alone shows both as objects some annotators drew). With fewer, a candidate is exactly one reading
(a box in the cluster with the chosen class; a span with the same start, end and label) and its
pattern who drew exactly it. Then:

* an object's confidence is the probability that it is a true object: for a box, that it
  matches a true object at IoU >= 0.5 with the right class; for a span, that its start, end and
  label are exactly right;
* the rule: a candidate is output when more than half the annotators' weight drew it (as before;
  keeping by probability lost F1 on simulated crowds), so every output object was drawn by
  some worker; its confidence is its probability, at least ``MIN_CONFIDENCE``;
* the item's confidence is the probability that its output is exactly right: every output object
  right, every candidate left out not a real object, and no true object missed by every
  annotator.

Workers' gold records (``GoldTally`` from earlier jobs: their recall over every true object,
those a whole crowd missed included, the strays they draw per item, and those another annotator
of the item drew alike) anchor the rates whatever the redundancy, give the decoys
(``decoys_from_records``) and, with 3 or more annotators, count the objects nobody drew
(``unseen_from_records``): what agreement alone cannot see.

With gold, each factor is checked against the gold items (consolidated as if their truth were
unknown): a Platt map each for output objects' confidences, for left-out candidates' probability
of being real and for the items' confidences; and the rate of objects missed by every annotator
is scaled by how many the gold items show against how many the model expects there
(``_gold_missed_scale``), since objects nobody draws are what agreement cannot reveal.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from consolidation.geometric.detection import (
    DetectionFit,
    detection_fit,
    item_all_right,
    missed_by_all,
    unseen_from_records,
    unseen_rates,
)
from consolidation.geometric.reading import reading_fit
from consolidation.geometric.recalibration import platt_apply, platt_fit
from labeling.task_types.base import Consolidated, GeometricTaskType, GoldTally, ObjectAnswers, Parsed

# An object is output when more than half the annotators' quality weight drew it (strictly: a
# box one trusted worker drew against two others' silence is that worker's, not the crowd's).
MIN_SUPPORT = 0.5 + 1e-9
# A kept object's confidence is at least this: the model can put a majority-drawn object near
# zero (its drawers' records are very poor), but an output object at confidence 0 says nothing.
MIN_CONFIDENCE = 1e-3
# From this many annotators per item (median), an object's existence and its exact reading are
# modelled apart (``reading``): a near miss then counts as seeing the object. With fewer, there is
# too little agreement to tell a worker's exactness from their recall, and a candidate is exactly
# one reading.
READINGS_FROM_ANNOTATORS = 3
# Gold's count of objects missed by every annotator scales the model's rate of them, with the
# model's expectation worth this many objects (``_gold_missed_scale``).
GOLD_MISSED_PRIOR = 1.0
# A worker's gold record (``GoldTally`` from earlier jobs) is read from this many gold items.
GOLD_RECORD_MIN_ITEMS = 10


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
    # Per candidate, per part of a reading (a box: its class; a span: start, end, label), who
    # gave each value of that part in its cluster, the chosen value first.
    readings: tuple[tuple[tuple[frozenset[int], ...], ...], ...] = ()


@dataclass(frozen=True)
class TruthMatch:
    """One gold item's candidates against its truth: per candidate whether it is right
    (``matched``) and whether a true object is there at all (``real``: a box at IoU >= 0.5 of any
    class, a span overlapping a true one), one to one; and how many true objects no candidate
    matched (``missed``) or stood for (``missed_real``)."""

    matched: np.ndarray
    missed: int
    real: np.ndarray
    missed_real: int
    # (n_candidates, n_parts): whether each part of a real candidate's chosen reading is right
    # (NaN where the candidate is not real).
    parts_right: np.ndarray


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
    def _truth_matches(self, candidates: Candidates[Objects], truth: Parsed) -> TruthMatch:
        """The candidates against a parsed gold answer."""

    def _record_f1(self, accuracy: float) -> float:
        """The F1 a worker's record of scores (``_score``) stands for; by default the score."""
        return accuracy

    @abc.abstractmethod
    def _apart(self, candidates: Candidates[Objects], truth: Parsed) -> np.ndarray:
        """Per candidate, whether it is apart from every true object of ``truth``: no near miss
        of one (a box at IoU < ``APART_IOU`` with each, a span sharing no character)."""

    @abc.abstractmethod
    def _alike(self, candidates: Candidates[Objects], others: Candidates[Objects], among: np.ndarray) -> np.ndarray:
        """Per candidate, whether one of ``others`` that ``among`` selects is the same object
        (a box at IoU >= 0.5 of any class, a span overlapping it)."""

    @abc.abstractmethod
    def _reading_alternatives(self, labels: list[str]) -> tuple[float | None, ...]:
        """Per part of a reading, the number of other values (``reading.reading_fit``'s ``L``);
        ``None``: estimated from the job; 0: the part is always right (a one-class job)."""

    def _gold_tallies(self, answers: list[Parsed], truth: Parsed, labels: list[str]) -> list[GoldTally | None]:
        """Each answer's objects against the truth's, matched as gold items' candidates are
        (``_truth_matches``), and its strays apart from every true object that another
        annotator of the item drew alike (``_alike``)."""
        alone = [self._alone(answer, labels) for answer in answers]
        apart = [self._apart(candidates, truth) for candidates in alone]
        tallies: list[GoldTally | None] = []
        for mine, candidates in enumerate(alone):
            alike = np.zeros(apart[mine].shape, dtype=np.int64)  # per stray apart, the others that drew it alike
            for theirs, other in enumerate(alone):
                if theirs != mine:
                    alike += apart[mine] & self._alike(candidates, other, apart[theirs])
            match = self._truth_matches(candidates, truth)
            objects = int(match.matched.sum()) + match.missed
            tallies.append(
                GoldTally(
                    items=1,
                    objects=objects,
                    found=objects - match.missed_real,
                    found_exact=objects - match.missed,
                    drawn=len(candidates.drawers),
                    drawn_stray=int((~match.real).sum()),
                    drawn_inexact=int((~match.matched).sum()),
                    drawn_shared=int((alike > 0).sum()),
                    shared_by=int(alike.sum()),
                    peers=len(answers) - 1,
                )
            )
        return tallies

    def _alone(self, answer: Parsed, labels: list[str]) -> Candidates[Objects]:
        """One answer's objects as candidates, as if its worker were the item's only annotator."""
        return self._candidates(self._fit([answer], (0,), labels, None)[0])

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
        n_workers = weights.shape[0]
        sizes = [len(set(item.workers)) for item in answered]
        typical_annotators = float(np.median(sizes)) if sizes else 0.0
        by_readings = typical_annotators >= READINGS_FROM_ANNOTATORS
        items: list[_Item] = []
        offset = 0
        for item in answered:
            match = None
            if item.index in gold:
                answers = [self._parse(answer, labels) for answer in item.answers]
                candidates = self._candidates(self._fit(answers, item.workers, labels, weights)[0])
                match = self._truth_matches(candidates, self._parse(gold[item.index], labels))
            else:
                candidates = self._candidates(settled[item.index][3])
            items.append(_Item(item.index, offset, candidates, match))
            offset += len(candidates.drawers) + _missed(match, by_readings)
        layout = _layout(items, by_readings, offset)
        record_accuracy = np.full(n_workers, np.nan)
        record_recall = np.full(n_workers, np.nan)
        record_stray = np.full(n_workers, np.nan)
        record_answers = np.zeros(n_workers)
        for worker, (accuracy, count) in worker_records.items():
            if 0 <= worker < n_workers:
                record_accuracy[worker], record_answers[worker] = self._record_f1(accuracy), count
                record_recall[worker] = record_accuracy[worker]
        # A gold record (``GoldTally``: earlier gold counted against the truth) says more than an
        # F1 against the crowd, whatever the job's redundancy: recall over every true object,
        # those the whole crowd missed too, and strays drawn per item (with 3 or more annotators
        # of the existence model's kind: a box at IoU >= 0.5 of any class, an overlapping span;
        # with fewer of exact readings); and the decoys, from the strays another annotator drew
        # alike (what a worker draws alike with others is theirs, not the job's).
        record_decoys = np.full((4, n_workers), np.nan)
        for worker, tally in worker_gold_records.items():
            if not (0 <= worker < n_workers and tally.items >= GOLD_RECORD_MIN_ITEMS):
                continue
            shared = (tally.drawn_shared, tally.shared_by, tally.peers)
            record_decoys[:, worker] = [*(count / tally.items for count in shared), tally.items]
            if tally.objects > 0:
                record_recall[worker] = (tally.found if by_readings else tally.found_exact) / tally.objects
                record_stray[worker] = (tally.drawn_stray if by_readings else tally.drawn_inexact) / tally.items
                record_answers[worker] = tally.items
                if np.isnan(record_accuracy[worker]):
                    record_accuracy[worker] = record_recall[worker]
        fit = detection_fit(
            layout.pair_candidate,
            layout.pair_worker,
            layout.pair_drew,
            n_candidates=offset,
            answer_item=np.repeat(np.arange(len(answered)), [len(item.workers) for item in answered]),
            answer_worker=np.asarray([worker for item in answered for worker in item.workers], dtype=np.int64),
            n_workers=n_workers,
            known=layout.known,
            gold_items=[position for position, entry in enumerate(items) if entry.match is not None],
            # An F1 (``_record_f1``) is read as precision and recall; gold records give both.
            record_precision=record_accuracy,
            record_recall=record_recall,
            record_answers=record_answers,
            record_false_rate=record_stray,
            # The gold records' misses say how many objects are hard where the job shows who
            # sees what (3+ annotators); with 1 or 2 they stay a recall over the objects seen.
            record_mixture=by_readings,
            # With one annotator an item's objects all show one pattern (drawn), which says
            # nothing of how detectability spreads: one recall, the record's.
            mixture=typical_annotators >= 2,
            # Decoys are told from hard objects by gold, or by the gold records' strays another
            # annotator drew alike (which stand, gold or not, where any record has them).
            decoys=by_readings and bool(gold),
            record_decoys=(record_decoys[0], record_decoys[1], record_decoys[2], record_decoys[3]),
        )
        exact, model_exact = np.ones(offset), np.ones(offset)
        if by_readings and layout.drawn.size:
            # A reading is exact when each of its parts is (independent given the worker).
            for part, alternatives in enumerate(self._reading_alternatives(labels)):
                if alternatives == 0:
                    continue
                readings = reading_fit(
                    layout.parts[part].pair_reading,
                    layout.parts[part].pair_worker,
                    layout.parts[part].reading_cluster,
                    layout.parts[part].chosen,
                    n_workers=n_workers,
                    real=fit.posterior[layout.drawn],
                    known=layout.parts[part].known,
                    alternatives=alternatives,
                )
                exact[layout.drawn] *= readings.exact
                model_exact[layout.drawn] *= readings.model_exact
        probability = _Probabilities(
            real=fit.posterior,
            model_real=fit.model_posterior,
            right=fit.posterior * exact,
            model_right=fit.model_posterior * model_exact,
        )
        drawn_by = np.bincount(layout.pair_candidate, weights=layout.pair_drew, minlength=offset)
        asked = np.bincount(layout.pair_candidate, minlength=offset)
        unseen = unseen_rates(
            np.where(drawn_by > 0, fit.model_posterior, 0.0), drawn_by, asked, {n: sizes.count(n) for n in set(sizes)}
        )
        if by_readings and len(set(sizes)) == 1:
            # Objects nobody drew, as the gold records count them: the largest estimate stands.
            # Only where every item has as many annotators: where they differ (dynamic
            # redundancy), each count's items were chosen by their answers (those whose first
            # answers agreed closed early), and a count over them reads their agreement as
            # objects nobody drew (0.23 an image for the project crowd's two-answer images).
            recorded = unseen_from_records(
                fit.posterior,
                layout.pair_candidate,
                layout.pair_worker,
                layout.pair_drew,
                asked,
                answer_worker=np.asarray([worker for item in answered for worker in item.workers], dtype=np.int64),
                answer_annotators=np.repeat(sizes, [len(item.workers) for item in answered]),
                # Only a gold record's recall is over every true object.
                record_recall=np.where(np.isfinite(record_stray), record_recall, np.nan),
            )
            unseen = {n: max(rate, recorded.get(n, 0.0)) for n, rate in unseen.items()}
        missed_scale = _gold_missed_scale(fit, items, unseen, by_readings)
        object_map, item_map, left_map = _gold_maps(fit, items, probability, unseen, by_readings, missed_scale)
        calibrated = dict(settled)
        for entry in items:
            if entry.match is not None:
                continue
            candidates = entry.candidates
            span = slice(entry.offset, entry.offset + len(candidates.drawers))
            keep = candidates.support >= MIN_SUPPORT
            annotator_ids = np.asarray(candidates.annotators, dtype=np.int64)
            nobody_missed = missed_by_all(fit, annotator_ids, unseen.get(annotator_ids.size, 0.0)) ** missed_scale
            right, real = probability.right[span], probability.real[span]
            written = np.maximum(platt_apply(right[keep], object_map), MIN_CONFIDENCE)
            left_out = platt_apply(real[~keep], left_map)
            confidence = float(platt_apply(item_all_right(right[keep], left_out, nobody_missed), item_map))
            consolidated, result = self._render(candidates, keep, written.tolist())
            # The same objects as the second pass kept (same rule), so its worker scores stand.
            calibrated[entry.index] = (result, confidence, settled[entry.index][2], consolidated)
        return calibrated


@dataclass(frozen=True)
class _Item:
    """One answered item in the job-wide fit: its candidates start at ``offset``; gold items
    carry their ``match`` against the truth (and their missed true objects follow their
    candidates, as candidates nobody drew)."""

    index: int
    offset: int
    candidates: Candidates
    match: TruthMatch | None


@dataclass(frozen=True)
class _Probabilities:
    """Per candidate: real (an object is there), right (real and its chosen reading exact), each
    as written (gold at its truth) and as the model sees it."""

    real: np.ndarray
    model_real: np.ndarray
    right: np.ndarray
    model_right: np.ndarray


@dataclass(frozen=True)
class _PartLayout:
    """The reading model's arrays for one part: readings (values of the part) per cluster, who
    gave each, each cluster's chosen value and, on gold, whether it is right."""

    reading_cluster: np.ndarray
    pair_reading: np.ndarray
    pair_worker: np.ndarray
    chosen: np.ndarray
    known: np.ndarray


@dataclass(frozen=True)
class _Layout:
    pair_candidate: np.ndarray
    pair_worker: np.ndarray
    pair_drew: np.ndarray
    known: np.ndarray
    drawn: np.ndarray  # candidate index of each drawn candidate (reading-model cluster)
    parts: tuple[_PartLayout, ...]


def _missed(match: TruthMatch | None, by_readings: bool) -> int:
    if match is None:
        return 0
    return match.missed_real if by_readings else match.missed


def _layout(items: list[_Item], by_readings: bool, n_candidates: int) -> _Layout:
    """The pairs of the detection model (who answered each candidate's item and whether they
    drew it: any reading of its cluster when ``by_readings``, else exactly it) and of the
    reading model, per part."""
    pair_candidate, pair_worker, pair_drew = [], [], []
    known = np.full(n_candidates, np.nan)
    drawn: list[int] = []
    n_parts = max((len(parts) for entry in items for parts in entry.candidates.readings), default=0)
    parts: list[dict[str, list]] = [
        {"reading_cluster": [], "pair_reading": [], "pair_worker": [], "chosen": [], "known": []}
        for _ in range(n_parts if by_readings else 0)
    ]
    for entry in items:
        candidates, match = entry.candidates, entry.match
        annotators = candidates.annotators
        patterns = [frozenset().union(*groups[0]) for groups in candidates.readings] if by_readings else []
        drew = patterns or list(candidates.drawers)
        drew = drew + [frozenset()] * _missed(match, by_readings)
        for position, who in enumerate(drew):
            for worker in annotators:
                pair_candidate.append(entry.offset + position)
                pair_worker.append(worker)
                pair_drew.append(worker in who)
        if match is not None:
            truth = match.real if by_readings else match.matched
            known[entry.offset : entry.offset + len(drew)] = np.concatenate(
                [truth.astype(np.float64), np.ones(len(drew) - len(truth))]
            )
        if not by_readings:
            continue
        for position, by_part in enumerate(candidates.readings):
            cluster = len(drawn)
            drawn.append(entry.offset + position)
            for part, groups in enumerate(by_part):
                arrays = parts[part]
                arrays["chosen"].append(len(arrays["reading_cluster"]))
                for group in groups:
                    reading = len(arrays["reading_cluster"])
                    arrays["pair_reading"].extend([reading] * len(group))
                    arrays["pair_worker"].extend(sorted(group))
                    arrays["reading_cluster"].append(cluster)
                arrays["known"].append(np.nan if match is None else float(match.parts_right[position, part]))
    ints = lambda values: np.asarray(values, dtype=np.int64)  # noqa: E731
    return _Layout(
        pair_candidate=ints(pair_candidate),
        pair_worker=ints(pair_worker),
        pair_drew=np.asarray(pair_drew, dtype=bool),
        known=known,
        drawn=ints(drawn),
        parts=tuple(
            _PartLayout(
                reading_cluster=ints(arrays["reading_cluster"]),
                pair_reading=ints(arrays["pair_reading"]),
                pair_worker=ints(arrays["pair_worker"]),
                chosen=ints(arrays["chosen"]),
                known=np.asarray(arrays["known"], dtype=np.float64),
            )
            for arrays in parts
        ),
    )


def _gold_missed_scale(fit: DetectionFit, items: list[_Item], unseen: dict[int, float], by_readings: bool) -> float:
    """How many more (or fewer) true objects the gold items show missed by all their annotators
    than the model expects there: ``(observed + 1) / (expected + 1)`` (a Gamma-Poisson
    posterior mean with one object's weight on the model), 1 without gold."""
    observed = expected = 0.0
    for entry in items:
        if entry.match is None:
            continue
        annotators = np.asarray(entry.candidates.annotators, dtype=np.int64)
        expected -= float(np.log(missed_by_all(fit, annotators, unseen.get(annotators.size, 0.0))))
        observed += _missed(entry.match, by_readings)
    if expected == 0.0 and observed == 0.0:
        return 1.0
    return (observed + GOLD_MISSED_PRIOR) / (expected + GOLD_MISSED_PRIOR)


def _gold_maps(
    fit: DetectionFit,
    items: list[_Item],
    probability: _Probabilities,
    unseen: dict[int, float],
    by_readings: bool,
    missed_scale: float,
) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    """Platt maps fitted on the gold items consolidated as if their truth were unknown (each the
    identity without enough gold): for output objects' confidences (right or not), for left-out
    candidates' probability of being a real object (one is when a true object is there), and
    for items' confidences (exactly right or not) computed with the left-out map applied."""
    gold = [entry for entry in items if entry.match is not None]
    if not gold:
        return (1.0, 0.0), (1.0, 0.0), (1.0, 0.0)
    kept_right: list[np.ndarray] = []
    left_real: list[np.ndarray] = []
    nobody_missed: list[float] = []
    object_right: list[np.ndarray] = []
    left_truth: list[np.ndarray] = []
    item_right: list[bool] = []
    for entry in gold:
        candidates, match = entry.candidates, entry.match
        assert match is not None
        span = slice(entry.offset, entry.offset + len(candidates.drawers))
        right, real = probability.model_right[span], probability.model_real[span]
        keep = candidates.support >= MIN_SUPPORT
        kept_right.append(right[keep])
        object_right.append(match.matched[keep])
        left_real.append(real[~keep])
        left_truth.append((match.real if by_readings else match.matched)[~keep])
        annotators = np.asarray(candidates.annotators, dtype=np.int64)
        nobody_missed.append(missed_by_all(fit, annotators, unseen.get(annotators.size, 0.0)) ** missed_scale)
        item_right.append(bool(np.array_equal(keep, match.matched)) and match.missed == 0)
    object_map = platt_fit(np.concatenate(kept_right), np.concatenate(object_right).astype(np.float64))
    left_map = platt_fit(np.concatenate(left_real), np.concatenate(left_truth).astype(np.float64))
    item_confidence = [
        item_all_right(right, platt_apply(left, left_map), missed)
        for right, left, missed in zip(kept_right, left_real, nobody_missed, strict=True)
    ]
    item_map = platt_fit(np.asarray(item_confidence), np.asarray(item_right, dtype=np.float64))
    return object_map, item_map, left_map
