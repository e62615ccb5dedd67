"""Checking an answer against its task: a worker's submission, or a requester's gold answer.

First the task's own ``answer_schema`` (JSON Schema, run under ``answer_schemas``' work budget),
then the task type's rules (``task_types.check_answer``, which labeling's types extend). Every
problem is named under ``answer.<path>`` in one ``InvalidInput`` (400).
"""

from __future__ import annotations

from .answer_schemas import ValidationBudgetExceeded, answer_errors
from .errors import InvalidInput
from .jsonbody import printable_key
from .models import Task
from .task_types import check_answer

MAX_ANSWER_ERRORS = 50
MAX_ERROR_MESSAGE_CHARS = 300


def _shortened(message: str) -> str:
    if len(message) <= MAX_ERROR_MESSAGE_CHARS:
        return message
    return message[: MAX_ERROR_MESSAGE_CHARS - 1] + "…"


def validate_answer(task: Task, answer: object) -> None:
    """Check an answer against the task type's schema; raises ``InvalidInput`` on ``answer.*``."""
    if not isinstance(answer, dict):
        raise InvalidInput.for_field("answer", "must be a JSON object")
    if task.answer_schema:
        try:
            problems = sorted(
                answer_errors(task.answer_schema, answer), key=lambda e: [str(p) for p in e.absolute_path]
            )
        except ValidationBudgetExceeded as exc:
            raise InvalidInput.for_field(
                "answer", f"is too costly to check against the task's answer_schema ({exc})"
            ) from None
        except Exception as exc:  # a schema that passed the posting checks and still cannot run
            raise InvalidInput.for_field(
                "answer", f"cannot be checked: the task's answer_schema fails ({exc.__class__.__name__})"
            ) from None
        if problems:
            fields: dict[str, list[str]] = {}
            for problem in problems[:MAX_ANSWER_ERRORS]:
                path = ".".join(["answer", *(printable_key(str(part)) for part in problem.absolute_path)])
                # jsonschema quotes the value in its messages: kept short, the answer may be huge
                fields.setdefault(path, []).append(_shortened(problem.message))
            first = next(iter(fields))
            raise InvalidInput(f"{first}: {fields[first][0]}", fields=fields)
    check_answer(task, answer)
