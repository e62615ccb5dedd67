"""The ``POST /api/v1/tasks`` parser as it was before issue 14 (commit 8be9a4b), frozen here
only so that ``bench/inputs.py`` can measure the declared inputs against it. Not used by the
service; do not import it elsewhere."""

from __future__ import annotations

from django.conf import settings

from marketplace.answer_schemas import answer_schema_problems, validation_budget
from marketplace.answer_validation import validate_answer
from marketplace.errors import InvalidInput
from marketplace.models import Batch, Task
from marketplace.models.tasks import MAX_SLOTS_PER_TASK
from marketplace.money import parse_amount_micros
from marketplace.task_spec import (
    ASSIGNMENT_DURATION_RANGE,
    AUTO_APPROVAL_DELAY_RANGE,
    LIFETIME_RANGE,
    PRIORITY_RANGE,
    TaskSpec,
)

MAX_TASKS_PER_CALL = 1000
TASK_FIELDS = {
    "title",
    "description",
    "task_type",
    "input",
    "answer_schema",
    "labels",
    "instructions",
    "slots",
    "reward",
    "assignment_duration_seconds",
    "lifetime_seconds",
    "auto_approval_delay_seconds",
    "priority",
    "workteam_id",
    "batch_id",
    "gold_answer",
    "quality_rules",
    "auto_approval_policy",
    "qualification_requirements",
}
QUALITY_RULE_FIELDS = ("min_gold_accuracy", "min_gold_answers", "exclude_answers", "min_seconds_per_assignment")
POLICIES = tuple(Batch.AutoApprovalPolicy.values)


class FieldErrors:
    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(f"{self.prefix}{field}", []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            first = next(iter(self.errors))
            raise InvalidInput(f"{first}: {self.errors[first][0]}", fields=self.errors)


def int_in_range(data, field, default, bounds, errors):
    value = data.get(field, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(field, "must be an integer")
        return None
    low, high = bounds
    if not low <= value <= high:
        errors.add(field, f"must be between {low} and {high}")
        return None
    return value


def text_field(data, field, errors, *, required, max_length):
    value = data.get(field, "")
    if not isinstance(value, str):
        errors.add(field, "must be a string")
        return ""
    if required and not value.strip():
        errors.add(field, "is required")
    elif len(value) > max_length:
        errors.add(field, f"must be at most {max_length} characters")
    return value


def optional_amount_micros(data, field, errors):
    if field not in data:
        return None
    try:
        return parse_amount_micros(data[field])
    except ValueError as exc:
        errors.add(field, str(exc))
        return 0


def _number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_quality_rules(data, errors, *, field="quality_rules"):
    if field not in data or data[field] is None:
        return None
    rules = data[field]
    if not isinstance(rules, dict):
        errors.add(field, "must be an object")
        return None
    parsed = {}
    for unknown in sorted(set(rules) - set(QUALITY_RULE_FIELDS)):
        errors.add(f"{field}.{unknown}", "is not a known quality rule")
    if "min_gold_accuracy" in rules:
        value = rules["min_gold_accuracy"]
        if not _number(value) or not 0.0 <= value <= 1.0:
            errors.add(f"{field}.min_gold_accuracy", "must be a number from 0 to 1")
        else:
            parsed["min_gold_accuracy"] = float(value)
    if "min_gold_answers" in rules:
        value = rules["min_gold_answers"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
            errors.add(f"{field}.min_gold_answers", "must be an integer from 1 to 10000")
        else:
            parsed["min_gold_answers"] = value
    if "exclude_answers" in rules:
        if not isinstance(rules["exclude_answers"], bool):
            errors.add(f"{field}.exclude_answers", "must be true or false")
        else:
            parsed["exclude_answers"] = rules["exclude_answers"]
    if "min_seconds_per_assignment" in rules:
        value = rules["min_seconds_per_assignment"]
        if not _number(value) or not 0 <= value <= 7 * 86400:
            errors.add(f"{field}.min_seconds_per_assignment", "must be a number from 0 to 604800")
        else:
            parsed["min_seconds_per_assignment"] = value
    return parsed


def parse_auto_approval_policy(data, errors, *, field="auto_approval_policy"):
    value = data.get(field)
    if value is None:
        return None
    if value not in POLICIES:
        errors.add(field, f"must be one of {', '.join(POLICIES)}")
        return None
    return value


def parse_gold_answer(data, errors, *, probe, field="gold_answer"):
    if field not in data or data[field] is None:
        return None
    try:
        validate_answer(probe, data[field])
    except InvalidInput as exc:
        for path, messages in exc.fields.items():
            for message in messages:
                errors.add(field + path[len("answer") :], message)
        return None
    return data[field]


def parse_task_spec(data, *, prefix=""):
    if not isinstance(data, dict):
        raise InvalidInput.for_field(prefix.rstrip(".") or "non_field_errors", "must be a JSON object")
    errors = FieldErrors(prefix)
    for unknown in sorted(set(data) - TASK_FIELDS):
        errors.add(unknown, "is not a known field")
    defaults = settings.GROUNDWORK
    title = text_field(data, "title", errors, required=True, max_length=200)
    description = text_field(data, "description", errors, required=False, max_length=10_000)
    instructions = text_field(data, "instructions", errors, required=False, max_length=100_000)
    task_type = data.get("task_type", Task.TaskType.CUSTOM)
    if task_type not in Task.TaskType.values:
        errors.add("task_type", f"must be one of {', '.join(Task.TaskType.values)}")
    task_input = data.get("input", {})
    answer_schema = data.get("answer_schema")
    if answer_schema is not None:
        for path, problem in answer_schema_problems(answer_schema).items():
            errors.add(path, problem)
    labels = data.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
        errors.add("labels", "must be a list of non-empty strings")
        labels = []
    elif len(set(labels)) != len(labels):
        errors.add("labels", "must not repeat a label")
    slots = int_in_range(data, "slots", 1, (1, MAX_SLOTS_PER_TASK), errors)
    reward_micros = optional_amount_micros(data, "reward", errors)
    if reward_micros is None and data.get("workteam_id") is None and data.get("batch_id") is None:
        errors.add("reward", "is required")
    duration = int_in_range(
        data, "assignment_duration_seconds", defaults["ASSIGNMENT_DURATION_SECONDS"], ASSIGNMENT_DURATION_RANGE, errors
    )
    lifetime = int_in_range(data, "lifetime_seconds", defaults["TASK_LIFETIME_SECONDS"], LIFETIME_RANGE, errors)
    priority = int_in_range(data, "priority", 0, PRIORITY_RANGE, errors)
    delay = int_in_range(data, "auto_approval_delay_seconds", None, AUTO_APPROVAL_DELAY_RANGE, errors)
    workteam_id = data.get("workteam_id")
    if workteam_id is not None and (isinstance(workteam_id, bool) or not isinstance(workteam_id, int)):
        errors.add("workteam_id", "must be an integer")
    batch_id = data.get("batch_id")
    if batch_id is not None and (isinstance(batch_id, bool) or not isinstance(batch_id, int)):
        errors.add("batch_id", "must be an integer")
    probe = Task(task_type=task_type, answer_schema=answer_schema, labels=labels, input=task_input)
    usable = not {f"{prefix}{field}" for field in ("task_type", "answer_schema", "labels")} & set(errors.errors)
    gold_answer = parse_gold_answer(data, errors, probe=probe) if usable else None
    quality_rules = parse_quality_rules(data, errors)
    policy = parse_auto_approval_policy(data, errors)
    errors.raise_if_any()
    return TaskSpec(
        title=title,
        description=description,
        task_type=task_type,
        input=task_input,
        answer_schema=answer_schema,
        labels=labels,
        instructions=instructions,
        slots=slots or 1,
        reward_micros=reward_micros,
        assignment_duration_seconds=duration or 0,
        lifetime_seconds=lifetime or 0,
        priority=priority or 0,
        workteam_id=workteam_id,
        auto_approval_delay_seconds=delay,
        gold_answer=gold_answer,
        quality_rules=quality_rules,
        auto_approval_policy=policy,
        qualification_requirements=None,  # the old parse_requirements: none in the bench body
    )


def parse_task_specs(payload):
    with validation_budget():
        if isinstance(payload, dict):
            return [parse_task_spec(payload)], payload.get("batch_id")
        if not isinstance(payload, list) or not payload or len(payload) > MAX_TASKS_PER_CALL:
            raise InvalidInput.for_field("non_field_errors", "a task object or a list of 1 to 1,000")
        specs, errors = [], {}
        for index, item in enumerate(payload):
            try:
                specs.append(parse_task_spec(item, prefix=f"{index}."))
            except InvalidInput as exc:
                errors.update(exc.fields)
        if errors:
            first = next(iter(errors))
            raise InvalidInput(f"{first}: {errors[first][0]}", fields=errors)
        return specs, payload[0].get("batch_id")
