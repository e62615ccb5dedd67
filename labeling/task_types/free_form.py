"""Task type ``custom`` of a labeling job: a custom template's free-form answers
(docs/templates.md "Answers and consolidation").

An answer is any JSON object (or one matching the job's ``answer_schema``, which the task
carries). No built-in consolidator fits an answer of unknown shape, so, without a consolidation
hook, an object is labeled with its workers' answers as they are, written out per worker in
submission order: ``{"annotations": [<answer>, ...]}``, with no confidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .base import (
    JSON_SCHEMA_DIALECT,
    Consolidation,
    GoldTally,
    ObjectAnswers,
    ObjectResult,
    TaskType,
    checked_objects,
)


class FreeForm(TaskType):
    name = "custom"
    ground_truth_type = "groundtruth/custom"
    source_keys = ("source", "source-ref")
    min_labels = 0
    uses_answers_in_output = True

    def answer_schema(self, labels: list[str]) -> dict:
        return {"$schema": JSON_SCHEMA_DIALECT, "type": "object"}

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
        results = tuple(
            ObjectResult(item.index, {"answers": len(item.answers)} if item.answers else None, None) for item in objects
        )
        return Consolidation(objects=results, worker_accuracy={}, method="none (answers written per worker)")

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
        metadata = self.common_metadata(job_name=job_name, creation_date=creation_date, human_annotated=human_annotated)
        return {"annotations": list(answers)}, metadata

    def answer_content(self, answer: dict, *, labels: list[str]) -> dict:
        return answer

    def is_correct(self, result: dict, truth: dict, *, labels: list[str]) -> bool:
        return False  # a custom job takes no gold (job creation refuses it)
