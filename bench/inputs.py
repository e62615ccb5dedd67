"""Validating a 1,000-task ``POST /api/v1/tasks`` body: the old hand-written parser, the declared
input (pydantic, chosen) and the same declaration as a DRF serializer (rejected).

Run from the project root:  python bench/inputs.py [--tasks 1000] [--repeat 7]

Prints the best and median wall time of validating one body (``--tasks`` tasks, each with a
title, description, input, labels, an answer schema shared by all, slots, reward, priority and
quality rules) into the values the service takes. Needs no database.

- **old parser**: ``parse_task_specs`` as it was before issue 14 (``bench/inputs_legacy.py``,
  a frozen copy kept only to measure against): hand-written checks per field.
- **pydantic (chosen)**: ``marketplace.inputs.tasks.task_specs``; the declaration is also the
  OpenAPI request schema (``marketplace.inputs.openapi``).
- **DRF serializer (rejected)**: the same fields and messages as ``serializers.Serializer``
  fields with the same strict checks (``many=True``), the natural DRF way.

Measured on the session's 2-core machine under load (best of 11, 1,000 tasks): the old parser
56 ms, pydantic 22 ms, DRF 67 ms (medians 129, 97 and 247 ms). DRF's per-field machinery (``run_validation``,
``validate_empty_values``, ``OrderedDict`` building, error wrapping) costs more than the checks
themselves, so the declared edge would have made the biggest request slower; pydantic's core
runs the loop over fields and items in Rust and calls our checks only where they are ours.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django  # noqa: E402

django.setup()

from rest_framework import serializers  # noqa: E402

from bench.inputs_legacy import parse_task_specs as legacy_parse_task_specs  # noqa: E402
from marketplace.answer_schemas import answer_schema_problems, validation_budget  # noqa: E402
from marketplace.inputs.tasks import task_specs  # noqa: E402
from marketplace.money import parse_amount_micros  # noqa: E402

ANSWER_SCHEMA = {
    "type": "object",
    "required": ["label"],
    "properties": {"label": {"enum": ["cat", "dog", "bird"]}, "note": {"type": "string", "maxLength": 200}},
    "additionalProperties": False,
}


def body(tasks: int) -> list[dict]:
    return [
        {
            "title": f"Which animal is in picture {index}?",
            "description": "Pick the animal you see.",
            "input": {"image": f"s3://bench/images/{index:05d}.jpg", "hint": "look closely"},
            "labels": ["cat", "dog", "bird"],
            "answer_schema": ANSWER_SCHEMA,
            "slots": 3,
            "reward": "0.05",
            "priority": 10,
            "assignment_duration_seconds": 600,
            "quality_rules": {"min_gold_accuracy": 0.7, "min_gold_answers": 3},
        }
        for index in range(tasks)
    ]


# --- the rejected alternative: the same declaration as a DRF serializer ------------------------


class StrictInteger(serializers.Field):
    def __init__(self, *, low: int, high: int, **kwargs) -> None:
        self.low, self.high = low, high
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if type(value) is not int:
            raise serializers.ValidationError("must be an integer")
        if not self.low <= value <= self.high:
            raise serializers.ValidationError(f"must be between {self.low} and {self.high}")
        return value


class Text(serializers.Field):
    def __init__(self, *, max_length: int, blank: bool = True, **kwargs) -> None:
        self.max_length, self.blank = max_length, blank
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if type(value) is not str:
            raise serializers.ValidationError("must be a string")
        if not self.blank and not value.strip():
            raise serializers.ValidationError("is required")
        if len(value) > self.max_length:
            raise serializers.ValidationError(f"must be at most {self.max_length} characters")
        return value


class Money(serializers.Field):
    def to_internal_value(self, value):
        try:
            return parse_amount_micros(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


class AnyJson(serializers.Field):
    def to_internal_value(self, value):
        return value


class AnswerSchema(serializers.Field):
    def to_internal_value(self, value):
        problems = answer_schema_problems(value)
        if problems:
            raise serializers.ValidationError(list(problems.values()))
        return value


class Labels(serializers.Field):
    def to_internal_value(self, value):
        if type(value) is not list or not all(type(x) is str and x for x in value):
            raise serializers.ValidationError("must be a list of non-empty strings")
        if len(set(value)) != len(value):
            raise serializers.ValidationError("must not repeat a label")
        return value


class QualityRulesSerializer(serializers.Serializer):
    min_gold_accuracy = serializers.FloatField(min_value=0, max_value=1, required=False)
    min_gold_answers = StrictInteger(low=1, high=10_000, required=False)
    exclude_answers = serializers.BooleanField(required=False)
    min_seconds_per_assignment = serializers.FloatField(min_value=0, max_value=7 * 86400, required=False)


class TaskCreateSerializer(serializers.Serializer):
    title = Text(max_length=200, blank=False)
    description = Text(max_length=10_000, required=False)
    instructions = Text(max_length=100_000, required=False)
    task_type = serializers.ChoiceField(choices=["custom"], default="custom")
    input = AnyJson(required=False)
    answer_schema = AnswerSchema(required=False, allow_null=True)
    labels = Labels(required=False)
    slots = StrictInteger(low=1, high=50, default=1)
    reward = Money(required=False)
    assignment_duration_seconds = StrictInteger(low=30, high=7 * 86400, required=False)
    lifetime_seconds = StrictInteger(low=30, high=365 * 86400, required=False)
    auto_approval_delay_seconds = StrictInteger(low=0, high=30 * 86400, required=False)
    priority = StrictInteger(low=0, high=100, default=0)
    workteam_id = StrictInteger(low=-(2**63), high=2**63 - 1, required=False, allow_null=True)
    batch_id = StrictInteger(low=-(2**63), high=2**63 - 1, required=False, allow_null=True)
    gold_answer = AnyJson(required=False, allow_null=True)
    quality_rules = QualityRulesSerializer(required=False, allow_null=True)
    auto_approval_policy = serializers.ChoiceField(
        choices=["approve_all", "reject_gold_failures"], required=False, allow_null=True
    )
    qualification_requirements = AnyJson(required=False, allow_null=True)

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields))
        values = super().to_internal_value(data)
        if unknown:
            raise serializers.ValidationError({field: ["is not a known field"] for field in unknown})
        return values


def drf_validate(payload: list[dict]) -> list[dict]:
    with validation_budget():
        serializer = TaskCreateSerializer(data=payload, many=True)
        if not serializer.is_valid():
            raise AssertionError(serializer.errors)
        return serializer.validated_data


# --- the measurement ---------------------------------------------------------------------------


def measure(function, payload, repeat: int) -> tuple[float, float]:
    function(payload)  # warm: imports, compiled schemas
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(payload)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    payload = body(args.tasks)
    # every contender accepts the body and yields one value per task
    assert len(legacy_parse_task_specs(payload)[0]) == len(task_specs(payload)[0]) == len(drf_validate(payload))
    print(f"validating one POST /api/v1/tasks body of {args.tasks} tasks, best and median of {args.repeat}:")
    print(f"{'contender':<32} | {'best ms':>8} | {'median ms':>9}")
    for name, function in [
        ("old parser (hand-written)", legacy_parse_task_specs),
        ("pydantic declaration (chosen)", task_specs),
        ("DRF serializer (rejected)", drf_validate),
    ]:
        best, median = measure(function, payload, args.repeat)
        print(f"{name:<32} | {best * 1000:>8.1f} | {median * 1000:>9.1f}")


if __name__ == "__main__":
    main()
