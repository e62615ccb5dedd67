"""Which Groundwork task type a Ground Truth job asks for: from the name of its built-in
``PRE-<Name>``/``ACS-<Name>`` Lambda ARN, or else from the crowd element of its UI template.
A type Groundwork does not have is a ``ValidationException`` naming it."""

from __future__ import annotations

import re

from ..errors import ValidationException

# Ground Truth's built-in task type names (the Lambda ARN suffix) → Groundwork's task types.
BUILT_IN = {
    "ImageMultiClass": "image_classification",
    "ImageMultiClassMultiLabel": "image_multilabel",
    "BoundingBox": "bounding_box",
    "SemanticSegmentation": "semantic_segmentation",
    "TextMultiClass": "text_classification",
    "TextMultiClassMultiLabel": "text_multilabel",
    "NamedEntityRecognition": "named_entity_recognition",
}
GROUND_TRUTH_NAMES = {task_type: name for name, task_type in BUILT_IN.items()}

# The crowd element of a custom template that decides the tool.
CROWD_ELEMENTS = {
    "crowd-image-classifier": "image_classification",
    "crowd-image-classifier-multi-select": "image_multilabel",
    "crowd-bounding-box": "bounding_box",
    "crowd-semantic-segmentation": "semantic_segmentation",
    "crowd-classifier": "text_classification",
    "crowd-classifier-multi-select": "text_multilabel",
    "crowd-entity-annotation": "named_entity_recognition",
}
# Crowd elements that lay out a page rather than being its labeling tool.
LAYOUT_ELEMENTS = {
    "crowd-alert",
    "crowd-badge",
    "crowd-button",
    "crowd-card",
    "crowd-checkbox",
    "crowd-fab",
    "crowd-form",
    "crowd-icon-button",
    "crowd-input",
    "crowd-instructions",
    "crowd-modal",
    "crowd-radio-button",
    "crowd-radio-group",
    "crowd-slider",
    "crowd-tab",
    "crowd-tabs",
    "crowd-text-area",
    "crowd-toast",
    "crowd-toggle-button",
}
_LAMBDA_NAME = re.compile(r":function:(?:PRE|ACS)-([A-Za-z0-9]+)$")
_HUMAN_TASK_UI = re.compile(r":human-task-ui/([A-Za-z0-9-]+)$")
_CROWD_ELEMENT = re.compile(r"<(crowd-[a-z0-9-]+)")


def built_in_name(lambda_arn: str | None) -> str | None:
    """``"BoundingBox"`` for ``arn:aws:lambda:…:function:PRE-BoundingBox``; ``None`` for a
    Lambda of one's own."""
    found = _LAMBDA_NAME.search(lambda_arn or "")
    return found.group(1) if found else None


def task_type_of(
    *, pre_lambda_arn: str | None, acs_lambda_arn: str | None, human_task_ui_arn: str | None, template: str
) -> str:
    """The Groundwork task type, from the first of: the ``PRE-`` Lambda's name, the ``ACS-``
    Lambda's name, the human task UI's name, the template's crowd element."""
    for source, name in (
        ("PreHumanTaskLambdaArn", built_in_name(pre_lambda_arn)),
        ("AnnotationConsolidationLambdaArn", built_in_name(acs_lambda_arn)),
        ("HumanTaskUiArn", (_HUMAN_TASK_UI.search(human_task_ui_arn or "") or [None, None])[1]),
    ):
        if name is None:
            continue
        if name in BUILT_IN:
            return BUILT_IN[name]
        raise ValidationException(
            f"{source}: Groundwork does not offer the Ground Truth task type {name} "
            f"(it offers {', '.join(sorted(BUILT_IN))})"
        )
    for element in _CROWD_ELEMENT.findall(template):
        if element in CROWD_ELEMENTS:
            return CROWD_ELEMENTS[element]
        if element not in LAYOUT_ELEMENTS:
            raise ValidationException(
                f"UiConfig.UiTemplateS3Uri: Groundwork does not offer the task type of <{element}> "
                f"(it offers {', '.join(f'<{name}>' for name in sorted(CROWD_ELEMENTS))})"
            )
    raise ValidationException(
        "cannot tell the task type: give a built-in PreHumanTaskLambdaArn (PRE-BoundingBox, ...) or a "
        "UiTemplateS3Uri whose template holds a crowd element such as <crowd-bounding-box>"
    )


_INSTRUCTIONS = re.compile(r"<(short|full)-instructions[^>]*>(.*?)</\1-instructions>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def template_instructions(template: str) -> str:
    """The text of a template's ``<short-instructions>`` and ``<full-instructions>`` (tags
    removed), which Groundwork shows workers as the job's instructions."""
    parts = [" ".join(_TAG.sub(" ", body).split()) for _, body in _INSTRUCTIONS.findall(template)]
    return "\n\n".join(part for part in parts if part)[:100_000]
