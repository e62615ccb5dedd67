"""Plugging the labeling task types into the marketplace (called from ``AppConfig.ready``)."""

from __future__ import annotations

from marketplace.errors import DomainError
from marketplace.models import Task
from marketplace.task_types import TaskTypeHooks, register_task_type

from ..storage import access_storage
from . import TASK_TYPES, get_task_type
from .base import ObjectAnswers

# In the stored input of a job's task when the job has a custom template (docs/templates.md).
TEMPLATE_MARKER = "$template"


def _check_answer(task: Task, answer: dict) -> None:
    get_task_type(task.task_type).check_answer(answer, labels=task.labels, task_input=task.input)


def _is_correct(task: Task, answer: dict, truth: dict) -> bool:
    """One answer judged like a consolidated label: the answer alone, consolidated, must match
    ``truth`` by the type's own ``is_correct`` (IoU for boxes, pixel share for masks, ...)."""
    task_type = get_task_type(task.task_type)
    alone = ObjectAnswers(index=0, workers=(0,), answers=(answer,), task_input=task.input)
    result = task_type.consolidate([alone], n_workers=1, labels=task.labels, gold={}).objects[0].result
    return result is not None and task_type.is_correct(result, truth, labels=task.labels)


def _present_input(task: Task) -> dict:
    """``source`` as is, or for ``source-ref`` a presigned ``source-url`` made now and valid
    for the task's time limit; plus the job's visible keys (already all that ``input`` holds)."""
    shown = dict(task.input)
    source_ref = shown.pop("source-ref", None)
    if source_ref is not None:
        try:
            handle = access_storage(task.requester_id, source_ref, field="source-ref")
            shown["source-url"] = handle.presigned_get_url(expires_seconds=task.assignment_duration_seconds)
        except DomainError:  # unreachable, or no longer registered or valid
            # No URL rather than a broken one; the next offer of the task tries again.
            shown["source-url"] = None
    return shown


def _present_custom_input(task: Task) -> dict:
    """A ``custom`` task of a labeling job with a template (marked ``$template`` in its input,
    a key no manifest line may have) shows its ``source-ref`` as labeling tasks do; any other
    ``custom`` task (the tasks API's) is shown as it is."""
    if isinstance(task.input, dict) and TEMPLATE_MARKER in task.input:
        return _present_input(task)
    return task.input


def register_with_marketplace() -> None:
    # ``custom`` is the marketplace's own type (free-form tasks): a job's custom tasks only add
    # how their input is shown; answers are checked against the task's schema alone.
    register_task_type("custom", TaskTypeHooks(present_input=_present_custom_input))
    for name in TASK_TYPES:
        if name == "custom":
            continue
        register_task_type(
            name,
            TaskTypeHooks(
                check_answer=_check_answer,
                present_input=_present_input,
                is_correct=_is_correct,
            ),
        )
