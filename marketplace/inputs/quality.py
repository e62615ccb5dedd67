"""Quality control inputs of a batch (docs/quality.md): ``quality_rules`` and ``auto_approval_policy``.

Shared by ``POST /api/v1/tasks`` (``inputs.tasks``) and ``POST /api/v1/labeling-jobs``
(``labeling.inputs``): the rules a new batch takes.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from ..models import Batch
from .base import Input
from .fields import Choice, Flag, Number, StrictInt

QUALITY_RULE_FIELDS = ("min_gold_accuracy", "min_gold_answers", "exclude_answers", "min_seconds_per_assignment")
MAX_MIN_GOLD_ANSWERS = 10_000
MAX_MIN_SECONDS = 7 * 86400
POLICIES = tuple(Batch.AutoApprovalPolicy.values)


class QualityRules(Input):
    """A batch's quality rules; each may be left out (only the rules given are kept)."""

    unknown_field_message: ClassVar[str] = f"is not a known quality rule (known: {', '.join(QUALITY_RULE_FIELDS)})"
    not_an_object_message: ClassVar[str] = "must be an object"

    min_gold_accuracy: Annotated[float | None, Number(0.0, 1.0, "must be a number from 0 to 1")] = None
    min_gold_answers: Annotated[
        int | None,
        StrictInt(
            1,
            MAX_MIN_GOLD_ANSWERS,
            out_of_range=f"must be an integer from 1 to {MAX_MIN_GOLD_ANSWERS}",
            not_an_integer=f"must be an integer from 1 to {MAX_MIN_GOLD_ANSWERS}",
        ),
    ] = None
    exclude_answers: Annotated[bool | None, Flag()] = None
    min_seconds_per_assignment: Annotated[
        float | None, Number(0, MAX_MIN_SECONDS, f"must be a number from 0 to {MAX_MIN_SECONDS}")
    ] = None

    def rules(self) -> dict:
        """The rules given, as the batch stores them (``min_gold_accuracy`` as a float)."""
        given = self.model_dump(exclude_unset=True)
        if "min_gold_accuracy" in given:
            given["min_gold_accuracy"] = float(given["min_gold_accuracy"])
        return given


AutoApprovalPolicy = Annotated[str, Choice(POLICIES, labels=tuple(Batch.AutoApprovalPolicy.labels))]
"""``approve_all`` or ``reject_gold_failures`` (a field of this type is ``| None``: the default)."""
