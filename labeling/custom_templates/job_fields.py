"""The job fields of custom templates and hooks (docs/templates.md), as ``POST
/api/v1/labeling-jobs`` checks them: each field on its own (``checked_template``,
``checked_hook_url``), then the rules between them and the rest of the job
(``custom_template_errors``), every refusal a 400 naming its field."""

from __future__ import annotations

from typing import Any

from marketplace.answer_schemas import answer_schema_problems
from marketplace.events.safe_url import WebhookUrlError, check_webhook_url
from marketplace.inputs.fields import refuse

from ..task_types import TASK_TYPES
from .templates import MAX_TEMPLATE_CHARS, TemplateError, check_template

CUSTOM = "custom"
HOOK_FIELDS = ("pre_task_hook_url", "consolidation_hook_url")
MAX_HOOK_URL_CHARS = 2048


def checked_template(value: Any) -> str:
    try:
        return check_template(value)
    except TemplateError as problem:
        raise refuse(str(problem)) from None


def checked_hook_url(value: Any) -> str:
    """An https URL webhooks could be sent to (the same guard and settings: docs/webhooks.md)."""
    if type(value) is not str or len(value) > MAX_HOOK_URL_CHARS:
        raise refuse(f"must be an https:// URL of at most {MAX_HOOK_URL_CHARS} characters")
    try:
        check_webhook_url(value)
    except WebhookUrlError as refused:
        raise refuse(str(refused)) from None
    return value


TEMPLATE_SHAPE = {"type": "string", "maxLength": MAX_TEMPLATE_CHARS, "description": "HTML (docs/templates.md)"}
HOOK_URL_SHAPE = {"type": "string", "format": "uri", "maxLength": MAX_HOOK_URL_CHARS}


def custom_template_errors(data: dict, task_type: str) -> list[tuple[str, str]]:
    """The rules between a job's template, answer schema and hooks and its other fields."""
    errors: list[tuple[str, str]] = []
    given = {field for field in ("template", "answer_schema", *HOOK_FIELDS) if data.get(field) is not None}
    if task_type == CUSTOM and "template" not in given:
        errors.append(("template", "is required for task type custom"))
    if "answer_schema" in given:
        if task_type and task_type != CUSTOM:
            errors.append(
                ("answer_schema", "only applies to task type custom (other types' answers have their format)")
            )
        else:
            errors += list(answer_schema_problems(data["answer_schema"], field="answer_schema").items())
    hooks = given & set(HOOK_FIELDS)
    known = TASK_TYPES.get(task_type)
    if data.get("input_mode") == "streaming":
        errors += [(field, "is not available for a streaming job") for field in sorted(hooks)]
    if hooks and data.get("automated_labeling") is not None:
        errors.append(("automated_labeling", "does not go with hooks"))
    if "consolidation_hook_url" in given:
        if data.get("target_confidence") is not None:
            errors.append(("target_confidence", "does not go with consolidation_hook_url (the hook decides the label)"))
        if data.get("gold_manifest_uri") is not None:
            errors.append(("gold_manifest_uri", "does not go with consolidation_hook_url"))
        if known is not None and known.writes_masks and not known.reviewed_types:
            errors.append(("consolidation_hook_url", f"is not available for {task_type} (its label is a mask)"))
    if known is not None and known.reviewed_types:
        # a review type's output carries its review records (adjustment-status, verification
        # feedback), which a hook's label would lose; an adjustment of masks also writes a mask
        errors += [(field, f"is not available for the review type {task_type}") for field in sorted(hooks)]
    if task_type == CUSTOM:
        if data.get("gold_manifest_uri") is not None and "consolidation_hook_url" not in given:
            errors.append(("gold_manifest_uri", "is not available for task type custom (answers have no known shape)"))
        if data.get("target_confidence") is not None and "consolidation_hook_url" not in given:
            errors.append(
                ("target_confidence", "is not available for task type custom (its answers have no confidence)")
            )
    return errors
