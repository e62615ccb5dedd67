"""Named entities in a text: answer ``{"entities": [{"label", "start", "end"}]}``.

Offsets are character offsets into the task's ``source`` (Python string indexes, i.e. Unicode
code points), ``end`` exclusive; an empty list says "no entity". A span must be non-empty, end
within the text, and not repeat another span of the same answer exactly.

Each text is consolidated by ``consolidation.geometric.consolidate_spans`` (see
``GeometricTaskType`` for gold and worker weights). ``result`` is ``{"entities": [{"label":
<class id>, "start", "end", "confidence"}]}``, in text order.

Confidence (see ``drawn``): each span's is the probability that its start, end and label are
exactly right; a span is output when more than half the annotators' weight marked it (only a
reading some worker drew exactly), written with that probability. The text's is the
probability that its spans are exactly right: every output span right, every span left out
wrong, and no entity missed by every annotator. A worker's score on a text is the F1 of their
spans against the consolidated ones, a match being the same label, start and end; 1.0 when both
are empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from consolidation.geometric import consolidate_spans
from labeling.task_types.base import base_schema, label_index, rounded
from labeling.task_types.drawn import Candidates, DrawnObjectsTaskType, TruthMatch
from marketplace.errors import InvalidInput

MAX_ENTITIES = 1000
# The input manifest allows 100,000 characters per line, so no offset can be larger.
MAX_OFFSET = 100_000

_Span = tuple[int, int, int]  # start, end, class id


@dataclass(frozen=True)
class _Spans:
    spans: list[_Span]
    candidates: Candidates | None = None  # every cluster's reading, kept or not


class NamedEntityRecognition(DrawnObjectsTaskType[list[_Span], _Spans, list[_Span]]):
    """``named_entity_recognition`` on inline ``source`` text."""

    name = "named_entity_recognition"
    ground_truth_type = "groundtruth/text-span"
    source_keys = ("source",)
    min_labels = 1
    method_name = "consolidate_spans"

    def answer_schema(self, labels: list[str]) -> dict:
        entity = {
            "type": "object",
            "properties": {
                "label": {"type": "string", "enum": list(labels)},
                "start": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
                "end": {"type": "integer", "minimum": 1, "maximum": MAX_OFFSET},
            },
            "required": ["label", "start", "end"],
            "additionalProperties": False,
        }
        return base_schema({"entities": {"type": "array", "items": entity, "maxItems": MAX_ENTITIES}}, ["entities"])

    def check_answer(self, answer: dict, *, labels: list[str], task_input: dict) -> None:
        """``end > start``, ``end <= len(source)`` (when the task has ``source`` text) and no
        span given twice (same label, start and end)."""
        source = task_input.get("source")
        seen: dict[tuple[str, int, int], int] = {}
        for position, entity in enumerate(answer["entities"]):
            start, end = entity["start"], entity["end"]
            if end <= start:
                raise InvalidInput.for_field(f"answer.entities.{position}.end", f"must be greater than start ({start})")
            if isinstance(source, str) and end > len(source):
                raise InvalidInput.for_field(
                    f"answer.entities.{position}.end", f"must be at most the text's length ({len(source)})"
                )
            key = (entity["label"], start, end)
            if key in seen:
                raise InvalidInput.for_field(f"answer.entities.{position}", f"repeats entity {seen[key]}")
            seen[key] = position

    def _parse(self, answer: dict, labels: list[str]) -> list[_Span]:
        index_of = label_index(labels)
        spans = []
        for entity in answer["entities"]:
            start, end = int(entity["start"]), int(entity["end"])
            if end <= start or start < 0:
                raise ValueError(f"span {start}..{end} is empty or negative")
            spans.append((start, end, index_of[entity["label"]]))
        return sorted(set(spans))

    def _fit(
        self, answers: list[list[_Span]], workers: tuple[int, ...], labels: list[str], weights: np.ndarray | None
    ) -> tuple[_Spans, dict, float]:
        rows = np.array([span for answer in answers for span in answer], dtype=np.int64).reshape(-1, 3)
        marker = np.repeat(np.asarray(workers, dtype=np.int64), [len(answer) for answer in answers])
        fitted = consolidate_spans(
            rows[:, 0],
            rows[:, 1],
            rows[:, 2],
            marker,
            annotators=np.asarray(workers, dtype=np.int64),
            worker_quality=weights,
            return_all=True,
        )
        every = list(zip(fitted.start.tolist(), fitted.end.tolist(), fitted.labels.tolist(), strict=True))
        # Who gave each reading of each cluster (exactly, and per part: start, end, label), the
        # chosen one first.
        exact: list[dict[_Span, set[int]]] = [{span: set()} for span in every]
        parts: list[list[dict[int, set[int]]]] = [[{value: set()} for value in span] for span in every]
        for cluster, span, worker in zip(
            fitted.members.tolist(), map(tuple, rows.tolist()), marker.tolist(), strict=True
        ):
            if cluster >= 0:
                exact[cluster].setdefault(span, set()).add(worker)
                for part, value in enumerate(span):
                    parts[cluster][part].setdefault(value, set()).add(worker)
        readings = tuple(
            tuple(tuple(frozenset(group) for group in by_value.values()) for by_value in by_part) for by_part in parts
        )
        drawers = tuple(frozenset(next(iter(by_span.values()))) for by_span in exact)
        candidates = Candidates(every, tuple(sorted(set(workers))), drawers, np.asarray(fitted.support), readings)
        # Provisional (the first pass's worker weights, replaced job-wide by ``drawn``): the
        # clusters most of the annotators' weight drew, with that share as confidence.
        keep = fitted.support >= 0.5
        consolidated, result = self._render(candidates, keep, fitted.support[keep].tolist())
        return consolidated, result, float(np.prod(fitted.support[keep]))

    def _candidates(self, consolidated: _Spans) -> Candidates[list[_Span]]:
        assert consolidated.candidates is not None
        return consolidated.candidates

    def _render(
        self, candidates: Candidates[list[_Span]], keep: np.ndarray, confidences: list[float]
    ) -> tuple[_Spans, dict]:
        chosen = [span for span, kept in zip(candidates.objects, keep.tolist(), strict=True) if kept]
        return _Spans(chosen, candidates), _result(chosen, confidences)

    def _truth_matches(self, candidates: Candidates[list[_Span]], truth: list[_Span]) -> TruthMatch:
        expected = set(truth)
        matched = np.array([span in expected for span in candidates.objects], dtype=bool)
        # Real: the chosen reading overlaps a true span no earlier candidate claimed.
        unclaimed = sorted(expected - set(candidates.objects))
        real = matched.copy()
        parts_right = np.full((len(candidates.objects), 3), np.nan)
        for position, span in enumerate(candidates.objects):
            if real[position]:
                parts_right[position] = 1.0
                continue
            for other in unclaimed:
                if other[0] < span[1] and span[0] < other[1]:
                    real[position] = True
                    parts_right[position] = [float(mine == theirs) for mine, theirs in zip(span, other, strict=True)]
                    unclaimed.remove(other)
                    break
        return TruthMatch(matched, len(expected - set(candidates.objects)), real, len(unclaimed), parts_right)

    def _apart(self, candidates: Candidates[list[_Span]], truth: list[_Span]) -> np.ndarray:
        return ~_overlapping(candidates.objects, truth)

    def _alike(
        self, candidates: Candidates[list[_Span]], others: Candidates[list[_Span]], among: np.ndarray
    ) -> np.ndarray:
        return _overlapping(
            candidates.objects, [span for span, kept in zip(others.objects, among, strict=True) if kept]
        )

    def _reading_alternatives(self, labels: list[str]) -> tuple[float | None, ...]:
        # Start and end: how many other offsets workers land on, estimated; label: the others.
        return (None, None, float(len(labels) - 1))

    def _from_truth(self, truth: list[_Span], answers: list[list[_Span]], labels: list[str]) -> tuple[_Spans, dict]:
        return _Spans(truth), _result(truth, [1.0] * len(truth))

    def _score(self, answer: list[_Span], consolidated: _Spans) -> float:
        if not answer and not consolidated.spans:
            return 1.0
        return 2.0 * len(set(answer) & set(consolidated.spans)) / (len(answer) + len(consolidated.spans))

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
        entities = result["entities"]
        value = {
            "annotations": {
                "labels": [_label_entry(name, short_names) for name in labels],
                "entities": [
                    {
                        "label": labels[int(entity["label"])],
                        "startOffset": int(entity["start"]),
                        "endOffset": int(entity["end"]),
                    }
                    for entity in entities
                ],
            }
        }
        metadata = {
            **self.common_metadata(job_name=job_name, creation_date=creation_date, human_annotated=human_annotated),
            "entities": [{"confidence": rounded(entity["confidence"])} for entity in entities],
        }
        return value, metadata

    def answer_content(self, answer: dict, *, labels: list[str]) -> dict:
        """``{"crowd-entity-annotation": {"entities": [{"endOffset", "label", "startOffset"}]}}``."""
        return {
            "crowd-entity-annotation": {
                "entities": [
                    {"endOffset": entity["end"], "label": entity["label"], "startOffset": entity["start"]}
                    for entity in answer["entities"]
                ]
            }
        }

    def is_correct(self, result: dict, truth: dict, *, labels: list[str]) -> bool:
        """The same set of (label, start, end)."""
        got = {(int(e["start"]), int(e["end"]), int(e["label"])) for e in result["entities"]}
        return got == set(self._parse(truth, labels))


def _label_entry(name: str, short_names: Mapping[str, str] | None) -> dict:
    """``{"label"}``, with the label category file's ``shortDisplayName`` when it gave one."""
    short = (short_names or {}).get(name)
    return {"label": name, "shortDisplayName": short} if short else {"label": name}


def _result(spans: list[_Span], confidences: list[float]) -> dict:
    return {
        "entities": [
            {"label": int(label), "start": int(start), "end": int(end), "confidence": round(confidence, 6)}
            for (start, end, label), confidence in zip(spans, confidences, strict=True)
        ]
    }


def _overlapping(spans: list[_Span], others: list[_Span]) -> np.ndarray:
    """Per span, whether it shares a character with one of ``others``."""
    return np.array([any(other[0] < span[1] and span[0] < other[1] for other in others) for span in spans], dtype=bool)
