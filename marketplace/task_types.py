"""Task types beyond ``custom``: how another app's types check answers and show input.

The marketplace knows task types only by name. An app that defines types (``labeling``)
registers, at start-up, what the schema cannot say about an answer and how a task's stored
input becomes what a worker receives when the task is offered (a presigned URL made at that
moment, say). A type with no registration behaves like ``custom``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Task


@dataclass(frozen=True)
class TaskTypeHooks:
    # Raises InvalidInput naming "answer.<path>"; called after the task's answer_schema passed.
    check_answer: Callable[[Task, dict], None] | None = None
    # The worker's view of a task's input, made each time the task is offered.
    present_input: Callable[[Task], Any] | None = None
    # Whether a worker's (valid) answer matches a known one (a gold answer): ``(task, answer, truth)``.
    is_correct: Callable[[Task, dict, dict], bool] | None = None


_registry: dict[str, TaskTypeHooks] = {}


def register_task_type(name: str, hooks: TaskTypeHooks) -> None:
    """Register (or replace) the hooks of task type ``name``; call from ``AppConfig.ready``."""
    _registry[name] = hooks


def registered_task_types() -> list[str]:
    """The names of the registered task types (``custom`` needs no registration)."""
    return sorted(_registry)


def check_answer(task: Task, answer: dict) -> None:
    hooks = _registry.get(task.task_type)
    if hooks and hooks.check_answer:
        hooks.check_answer(task, answer)


def worker_input(task: Task) -> Any:
    """What a worker receives as the task's ``input``."""
    hooks = _registry.get(task.task_type)
    if hooks and hooks.present_input:
        return hooks.present_input(task)
    return task.input


def answer_is_correct(task: Task, answer: dict, truth: dict) -> bool:
    """Whether ``answer`` matches the known answer ``truth`` by the task type's notion of
    correct; for ``custom`` tasks (and types that registered none), equality of the JSON."""
    hooks = _registry.get(task.task_type)
    if hooks and hooks.is_correct:
        return hooks.is_correct(task, answer, truth)
    return answer == truth
