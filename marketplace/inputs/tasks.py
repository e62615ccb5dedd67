"""Inputs of the task operations: ``POST /api/v1/tasks`` (one task or a list of up to 1,000)
and ``POST /api/v1/tasks/{id}/slots``.

``task_specs(body)`` validates a body into ``task_spec.TaskSpec`` values; what needs the
database (the batch and workteam the requester may use, the price of a vendor's offering, a gold
answer against its task type) is ``tasks_post``'s to check.
"""

from __future__ import annotations

from typing import Annotated, Any

from django.conf import settings
from pydantic import ConfigDict, Field, RootModel, TypeAdapter, model_validator

from ..answer_schemas import answer_schema_problems, validation_budget
from ..errors import InvalidInput
from ..models import Task
from ..models.tasks import MAX_SLOTS_PER_TASK
from ..questions import QUESTION_TASK_TYPE, question_task_fields
from ..task_spec import ASSIGNMENT_DURATION_RANGE, AUTO_APPROVAL_DELAY_RANGE, LIFETIME_RANGE, PRIORITY_RANGE, TaskSpec
from ..validation import FieldErrors
from .base import Input, validate, validate_list
from .fields import Checked, Choice, Id, Json, Money, StrictInt, Text, refuse, refuse_fields, settings_default
from .quality import AutoApprovalPolicy, QualityRules
from .requirements import Requirements, requirement_dicts

MAX_TASKS_PER_CALL = 1000
REWARD_HELP = (
    'USD decimal string, at most 6 fractional digits, e.g. "0.05"; required, except on a vendor '
    "workteam, where it is the offering's price (left out, or equal to it)"
)


def _answer_schema(value: Any) -> dict:
    problems = answer_schema_problems(value, field="")
    if problems:
        raise refuse_fields({path.lstrip("."): [problem] for path, problem in problems.items()})
    return value


def _labels(value: Any) -> list[str]:
    if type(value) is not list or not all(type(x) is str and x for x in value):
        raise refuse("must be a list of non-empty strings")
    if len(set(value)) != len(value):
        raise refuse("must not repeat a label")
    return value


def seconds(bounds: tuple[int, int]) -> StrictInt:
    """Seconds within ``bounds``; ``null`` is taken as left out (the default)."""
    return StrictInt(bounds[0], bounds[1], null_is_absent=True)


class TaskCreate(Input):
    """One task of ``POST /api/v1/tasks``. ``workteam_id``, ``auto_approval_delay_seconds``,
    ``quality_rules``, ``auto_approval_policy`` and ``qualification_requirements`` are the
    batch's: every task of one call must agree on them."""

    title: Annotated[str, Text(200, required=True)]
    description: Annotated[str, Text(10_000)] = ""
    instructions: Annotated[str, Text(100_000)] = ""
    task_type: Annotated[str, Choice(tuple(Task.TaskType.values), labels=tuple(Task.TaskType.labels))] = (
        Task.TaskType.CUSTOM
    )
    input: Annotated[Any, Json()] = Field(default_factory=dict)
    answer_schema: (
        Annotated[dict, Checked(_answer_schema, {"type": "object", "description": "optional JSON Schema for answers"})]
        | None
    ) = None
    labels: Annotated[
        list[str],
        Checked(_labels, {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}),
    ] = Field(default_factory=list)
    slots: Annotated[int | None, StrictInt(1, MAX_SLOTS_PER_TASK, null_is_absent=True)] = Field(
        None, json_schema_extra={"default": 1}
    )
    reward: Annotated[int | None, Money(REWARD_HELP)] = None
    assignment_duration_seconds: Annotated[int | None, seconds(ASSIGNMENT_DURATION_RANGE)] = Field(
        None, json_schema_extra=settings_default("ASSIGNMENT_DURATION_SECONDS")
    )
    lifetime_seconds: Annotated[int | None, seconds(LIFETIME_RANGE)] = Field(
        None, json_schema_extra=settings_default("TASK_LIFETIME_SECONDS")
    )
    priority: Annotated[int | None, StrictInt(*PRIORITY_RANGE, null_is_absent=True)] = Field(
        None, json_schema_extra={"default": 0}
    )
    auto_approval_delay_seconds: Annotated[int | None, seconds(AUTO_APPROVAL_DELAY_RANGE)] = Field(
        None, json_schema_extra=settings_default("AUTO_APPROVAL_DELAY_SECONDS")
    )
    workteam_id: Id | None = Field(None, description="the public workforce when left out")
    batch_id: Id | None = None
    gold_answer: Annotated[
        Any, Json(description="a known answer: makes this a gold task (never shown to workers; docs/quality.md)")
    ] = None
    quality_rules: QualityRules | None = Field(None, description="the new batch's quality rules (docs/quality.md)")
    auto_approval_policy: AutoApprovalPolicy | None = Field(
        None, description="the new batch's; approve_all when left out"
    )
    qualification_requirements: Requirements | None = Field(
        None, description="batch-level: who may take the batch's tasks (docs/qualifications.md)"
    )

    @model_validator(mode="after")
    def _question(self) -> TaskCreate:
        """An ``mturk_question``'s input is a Question's XML: checked, and shown as it will be."""
        if self.task_type != QUESTION_TASK_TYPE:
            return self
        errors = FieldErrors()
        task_input, answer_schema = question_task_fields(
            {"input": self.input, "answer_schema": self.answer_schema}, errors
        )
        if errors.errors:
            raise refuse_fields(errors.errors)
        return self.model_copy(update={"input": task_input, "answer_schema": answer_schema})

    @classmethod
    def cross_field_errors(cls, data: dict) -> list[tuple[str, str]]:
        if "reward" not in data and data.get("workteam_id") is None and data.get("batch_id") is None:
            return [("reward", "is required")]  # the public workforce: no offering price
        return []

    def spec(self) -> TaskSpec:
        """The task to post, with the defaults (the settings' as they are now) filled in."""
        defaults = settings.GROUNDWORK
        return TaskSpec(
            title=self.title,
            description=self.description,
            task_type=self.task_type,
            input=self.input,
            answer_schema=self.answer_schema,
            labels=self.labels,
            instructions=self.instructions,
            slots=1 if self.slots is None else self.slots,
            reward_micros=self.reward,
            assignment_duration_seconds=_or(self.assignment_duration_seconds, defaults["ASSIGNMENT_DURATION_SECONDS"]),
            lifetime_seconds=_or(self.lifetime_seconds, defaults["TASK_LIFETIME_SECONDS"]),
            priority=_or(self.priority, 0),
            workteam_id=self.workteam_id,
            auto_approval_delay_seconds=self.auto_approval_delay_seconds,
            gold_answer=self.gold_answer,
            quality_rules=None if self.quality_rules is None else self.quality_rules.rules(),
            auto_approval_policy=self.auto_approval_policy,
            qualification_requirements=requirement_dicts(self.qualification_requirements),
        )


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


_TASK_LIST = TypeAdapter(list[TaskCreate])


class TaskCreateOneOrMany(
    RootModel[TaskCreate | Annotated[list[TaskCreate], Field(min_length=1, max_length=MAX_TASKS_PER_CALL)]]
):
    """One task (a JSON object), or up to 1,000 (a JSON list: all or nothing, in order)."""

    # Not a validator of its own: ``task_specs`` checks each item with ``TaskCreate``.


def task_spec(data: object) -> TaskSpec:
    """One task body (an object) as a ``TaskSpec``; ``InvalidInput`` names every bad field."""
    with validation_budget():
        return validate(TaskCreate, data).spec()


def task_specs(body: object) -> tuple[list[TaskSpec], int | None]:
    """One task (an object) or up to 1,000 (a list), and the ``batch_id`` the body names (the
    same across a list). Every answer schema of the call is judged within one work budget
    (``answer_schemas.validation_budget``)."""
    with validation_budget():
        if isinstance(body, dict):
            created = validate(TaskCreate, body)
            return [created.spec()], created.batch_id
        if not isinstance(body, list):
            raise InvalidInput.for_field("non_field_errors", "the body must be a task object or a list of them")
        if not body:
            raise InvalidInput.for_field("non_field_errors", "the list of tasks must hold at least one task")
        if len(body) > MAX_TASKS_PER_CALL:
            raise InvalidInput.for_field("non_field_errors", f"at most {MAX_TASKS_PER_CALL} tasks per call")
        try:
            created_list = validate_list(TaskCreate, _TASK_LIST, body)
        except InvalidInput as exc:
            fields = {**exc.fields, **_batch_id_mismatches(body)}
            raise InvalidInput(exc.message, fields=fields) from None
        mismatches = _batch_id_mismatches(body)
        if mismatches:
            first = next(iter(mismatches))
            raise InvalidInput(f"{first}: {mismatches[first][0]}", fields=mismatches)
        return [item.spec() for item in created_list], created_list[0].batch_id


def _batch_id_mismatches(body: list) -> dict[str, list[str]]:
    named = [(index, item.get("batch_id")) for index, item in enumerate(body) if isinstance(item, dict)]
    return {
        f"{index}.batch_id": ["must be the same for every task of one call"]
        for index, batch_id in named
        if batch_id != named[0][1]
    }


class TaskAddSlots(Input):
    """``POST /api/v1/tasks/{id}/slots``."""

    model_config = ConfigDict(title="AddSlots")  # its name in the OpenAPI document

    # The task's own ceiling (MAX_SLOTS_PER_TASK in all) is the service's: it knows the slots it has.
    add: Annotated[
        int, StrictInt(1, out_of_range="must be a positive integer", not_an_integer="must be a positive integer")
    ]
