"""Inputs of requester-defined qualification types and their grants (docs/qualifications.md):
``POST /api/v1/qualification-types``, its description update (MTurk's
UpdateQualificationType) and ``POST /api/v1/qualification-types/{id}/workers``.

Whether a name is free, a type may be granted, a worker exists is the service's to check.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field

from ..models import QualificationType
from ..services.qualifications import (
    DEFAULT_RETRY_DELAY_SECONDS,
    INTEGER_RANGE,
    MAX_TEST_QUESTIONS,
    REPUTATION_METRICS,
    RETRY_DELAY_RANGE,
    RULE_COMPARATORS,
)
from .base import Input
from .fields import Checked, Choice, Id, StrictInt, Text, refuse

INT32 = StrictInt(*INTEGER_RANGE)
INT32_MESSAGE = "must be an integer (32-bit)"


def _not_null(value: Any) -> Any:
    if value is None:
        raise refuse("is required")
    return value


Given = Annotated[Any, Checked(_not_null)]  # any JSON value but null (a test's input and answer)


class AutoGrantRule(Input):
    """Granted while the worker's reputation metric passes the rule."""

    not_an_object_message: ClassVar[str] = "must be an object with metric, comparator and threshold"
    missing_messages: ClassVar[dict[str, str]] = {
        "metric": f"must be one of {', '.join(REPUTATION_METRICS)}",
        "comparator": f"must be one of {', '.join(RULE_COMPARATORS)}",
    }

    metric: Annotated[str, Choice(REPUTATION_METRICS)]
    comparator: Annotated[str, Choice(RULE_COMPARATORS)]
    threshold: Annotated[int, INT32]


class QualificationTestQuestion(Input):
    """One question of a qualification test: a task input and its right answer."""

    not_an_object_message: ClassVar[str] = "must be an object with input and answer"

    input: Given
    answer: Given


def _questions(value: Any) -> Any:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_TEST_QUESTIONS:
        raise refuse(f"must be a list of 1 to {MAX_TEST_QUESTIONS} questions")
    return value


class QualificationTestDefinition(Input):
    """Granted to the workers who pass the test (``passing_score`` percent right)."""

    not_an_object_message: ClassVar[str] = "must be an object with questions and passing_score"

    questions: Annotated[
        list[QualificationTestQuestion],
        BeforeValidator(_questions),
        Field(min_length=1, max_length=MAX_TEST_QUESTIONS),
    ]
    passing_score: Annotated[int, StrictInt(1, 100)]
    retry_delay_seconds: Annotated[int | None, StrictInt(*RETRY_DELAY_RANGE, null_is_absent=True)] = None

    @property
    def retry_delay(self) -> int:
        return DEFAULT_RETRY_DELAY_SECONDS if self.retry_delay_seconds is None else self.retry_delay_seconds


class QualificationTypeCreate(Input):
    """A type of the requester's own: granted by hand unless it has an ``auto_grant`` rule or a
    ``test`` (not both)."""

    name: Annotated[str, Text(200, required=True)]
    description: Annotated[str, Text(10_000)] = ""
    auto_grant: AutoGrantRule | None = None
    test: QualificationTestDefinition | None = None

    @classmethod
    def cross_field_errors(cls, data: dict) -> list[tuple[str, str]]:
        if data.get("auto_grant") is not None and data.get("test") is not None:
            return [("test", "a type is granted by a test or by an auto_grant rule, not both")]
        return []

    def grant_fields(self) -> dict:
        """The type's grant method and its rule or test, as the model stores them."""
        if self.auto_grant is not None:
            rule = self.auto_grant
            return {
                "grant_method": QualificationType.GrantMethod.AUTO,
                "auto_metric": rule.metric,
                "auto_comparator": rule.comparator,
                "auto_threshold": rule.threshold,
            }
        if self.test is not None:
            test = self.test
            return {
                "grant_method": QualificationType.GrantMethod.TEST,
                "test_questions": [{"input": q.input, "answer": q.answer} for q in test.questions],
                "test_passing_score": test.passing_score,
                "test_retry_delay_seconds": test.retry_delay,
            }
        return {"grant_method": QualificationType.GrantMethod.MANUAL}


class QualificationTypeDescribe(Input):
    """A new description of one of the requester's types."""

    description: Annotated[str, Text(10_000)] = ""


class QualificationGrantCreate(Input):
    """Grant the type to a worker with an integer value (1 when left out)."""

    missing_messages: ClassVar[dict[str, str]] = {"worker_id": "must be an integer"}

    worker_id: Id
    value: Annotated[int, StrictInt(*INTEGER_RANGE, out_of_range=INT32_MESSAGE, not_an_integer=INT32_MESSAGE)] = 1
