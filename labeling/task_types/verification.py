"""Label verification: a worker judges an existing label (or boxes): answer
``{"verdict": "correct", "comment": "..."}`` (``comment`` optional, at most
``MAX_COMMENT_CHARS``).

The task's input is the base object (``source-ref`` or ``source``) plus the existing annotation
(``labeling.services.source_annotations``: ``existing_type``, ``existing_annotation`` in the base
type's answer format, ``existing_labels``). The job's own label categories are its verdicts
(``DEFAULT_VERDICTS`` unless the requester names others), so a verdict is a single-label
classification over them: consolidation is exactly ``SingleLabelClassification``'s (calibrated
Dawid-Skene, gold honoured, worker records as priors), on the verdicts.

Output is Ground Truth's ``groundtruth/label-verification`` record: the verdict's class id as a
string (``"1"``, as Ground Truth writes it), ``class-name``, the calibrated ``confidence``, and,
only when workers commented, ``worker-feedback``: ``[{"comment": ...}]`` in submission order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from labeling.task_types.base import Consolidation, GoldTally, ObjectAnswers, base_schema
from labeling.task_types.classification import SingleLabelClassification
from marketplace.errors import InvalidInput

DEFAULT_VERDICTS = ("correct", "incorrect")
MAX_COMMENT_CHARS = 2000
# What a verification reviews: classifications and boxes (CONTRACTS.md).
VERIFIED_TYPES = ("image_classification", "text_classification", "bounding_box")


class LabelVerification(SingleLabelClassification):
    """``label_verification``: one verdict per object from at least two categories."""

    reviewed_types = VERIFIED_TYPES
    default_labels = DEFAULT_VERDICTS
    uses_answers_in_output = True  # worker-feedback lists the comments

    def __init__(self) -> None:
        super().__init__(
            name="label_verification",
            ground_truth_type="groundtruth/label-verification",
            source_keys=("source-ref", "source"),
        )

    def answer_schema(self, labels: list[str]) -> dict:
        return base_schema(
            {
                "verdict": {"type": "string", "enum": list(labels)},
                "comment": {"type": "string", "maxLength": MAX_COMMENT_CHARS},
            },
            ["verdict"],
        )

    def check_answer(self, answer: dict, *, labels: list[str], task_input: dict) -> None:
        """A comment, when given, says something (not only blanks)."""
        if "comment" in answer and not answer["comment"].strip():
            raise InvalidInput.for_field("answer.comment", "must not be blank; leave it out instead")

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
        """The verdicts consolidated as single labels (see ``SingleLabelClassification``)."""
        as_labels = [
            ObjectAnswers(
                index=item.index,
                workers=item.workers,
                answers=tuple({"label": answer["verdict"]} for answer in item.answers),
                task_input=item.task_input,
            )
            for item in objects
        ]
        return super().consolidate(
            as_labels,
            n_workers=n_workers,
            labels=labels,
            gold={index: {"label": answer.get("verdict")} for index, answer in gold.items()},
            worker_records=worker_records,
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
        """A classification's record with the class id as a string (``label-verification``
        writes it so) and the workers' comments as ``worker-feedback``."""
        chosen, metadata = super().output_value(
            result, labels=labels, job_name=job_name, creation_date=creation_date, human_annotated=human_annotated
        )
        comments = [answer["comment"] for answer in answers if answer.get("comment")]
        if comments:
            metadata["worker-feedback"] = [{"comment": comment} for comment in comments]
        return str(chosen), metadata

    def answer_content(self, answer: dict, *, labels: list[str]) -> dict:
        """``{"crowd-classifier": {"label": <verdict>}}`` (Ground Truth's verification template is a
        classifier over the verdicts), plus ``"comment"`` when the worker left one."""
        content: dict = {"crowd-classifier": {"label": answer["verdict"]}}
        if answer.get("comment"):
            content["comment"] = answer["comment"]
        return content

    def is_correct(self, result: dict, truth: dict, *, labels: list[str]) -> bool:
        """The same verdict."""
        return labels[int(result["label"])] == truth.get("verdict")
