"""Inputs of the labeling job operations: ``POST /api/v1/labeling-jobs`` (docs/labeling.md).

``JobCreate`` declares the body (the validator and the OpenAPI request schema); ``job_spec``
reads a body into the ``services.jobs.JobSpec`` that ``job_create`` takes. Rules between fields
(the label attribute against the task type, the redundancy bounds, one source of label
categories) are ``JobCreate.cross_field_errors``; whether the requester may use the storage and
the workteam, and the offering's price, are ``job_create``'s to check.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from django.conf import settings
from pydantic import ConfigDict, Field

from marketplace.errors import InvalidInput
from marketplace.inputs import Input, validate
from marketplace.inputs.fields import (
    INT32_MAX,
    Checked,
    Choice,
    Flag,
    Id,
    Json,
    Money,
    Number,
    StrictInt,
    Text,
    is_strict_int,
    refuse,
    refuse_fields,
    settings_default,
)
from marketplace.inputs.quality import AutoApprovalPolicy, QualityRules
from marketplace.inputs.requirements import Requirements, requirement_dicts
from marketplace.models.tasks import MAX_SLOTS_PER_TASK
from marketplace.task_spec import ASSIGNMENT_DURATION_RANGE, AUTO_APPROVAL_DELAY_RANGE, LIFETIME_RANGE, PRIORITY_RANGE

from .custom_templates.job_fields import (
    HOOK_URL_SHAPE,
    TEMPLATE_SHAPE,
    checked_hook_url,
    checked_template,
    custom_template_errors,
)
from .services.chaining import ChainSelect
from .services.jobs import AutomationSpec, JobSpec
from .services.streaming import (
    DEFAULT_IDLE_SECONDS,
    DEFAULT_MAX_CONCURRENT_TASK_COUNT,
    IDLE_SECONDS_RANGE,
    MAX_CONCURRENT_TASK_COUNT_RANGE,
    MAX_OBJECTS_PER_CALL,
)
from .storage import parse_storage_uri
from .task_types import TASK_TYPES, validate_label_categories

# Ground Truth's own rule for job names: letters, digits and single or repeated hyphens inside.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9](-*[A-Za-z0-9]){0,62}$")
ATTRIBUTE_PATTERN = re.compile(r"^[A-Za-z0-9](-*[A-Za-z0-9]){0,126}$")
RESERVED_KEYS = {"source", "source-ref"}
MAX_VISIBLE_KEYS = 50
DEFAULT_WORKERS_PER_OBJECT = 3
DEFAULT_TASK_TIME_LIMIT_SECONDS = 300
WORKERS_RANGE = (1, MAX_SLOTS_PER_TASK)
TASK_TYPE_NAMES = tuple(sorted(TASK_TYPES))
REVIEW_TASK_TYPE_NAMES = tuple(name for name in TASK_TYPE_NAMES if TASK_TYPES[name].reviewed_types)
INPUT_MODES = ("manifest", "streaming")
STREAMING_FIELDS = ("max_concurrent_task_count", "streaming_idle_seconds", "input_watch_uri")
REWARD_HELP = (
    'USD decimal string, e.g. "0.036"; required, except on a vendor workteam, where it is the '
    "offering's price (left out, or equal to it)"
)


def _named(pattern: re.Pattern, limit: int) -> Checked:
    message = f"must be 1 to {limit} letters, digits and hyphens, starting and ending with a letter or digit"

    def check(value: Any) -> str:
        if value is None:
            raise refuse("is required")
        if type(value) is not str or not pattern.match(value):
            raise refuse(message)
        return value

    return Checked(check, {"type": "string", "pattern": pattern.pattern, "maxLength": limit})


def _uri(field: str, description: str = "") -> Checked:
    def check(value: Any) -> str:
        if value is None:
            raise refuse("is required")
        try:
            parse_storage_uri(value, field=field)  # the storage's own grammar
        except InvalidInput as exc:
            raise refuse_fields({"": exc.fields[field]}) from None
        return value

    shape = {"type": "string", "description": description or "an s3:// or file:// URI"}
    return Checked(check, shape)


def _visible_keys(value: Any) -> list[str]:
    if type(value) is not list or not all(type(key) is str and key for key in value):
        raise refuse("must be a list of non-empty strings")
    if len(value) > MAX_VISIBLE_KEYS:
        raise refuse(f"must list at most {MAX_VISIBLE_KEYS} keys")
    if len(set(value)) != len(value):
        raise refuse("must not repeat a key")
    return value


def _in_range(value: object, bounds: tuple[int, int]) -> bool:
    return is_strict_int(value) and bounds[0] <= value <= bounds[1]


def _seconds(bounds: tuple[int, int]) -> StrictInt:
    return StrictInt(bounds[0], bounds[1], null_is_absent=True)


class StoppingConditions(Input):
    """When a job stops taking new objects (Ground Truth's ``StoppingConditions``)."""

    unknown_field_message: ClassVar[str] = "is not a known stopping condition"
    not_an_object_message: ClassVar[str] = "must be an object"

    max_human_labeled_objects: Annotated[int | None, StrictInt(1, INT32_MAX, null_is_absent=True)] = None
    max_percentage_labeled: Annotated[int | None, StrictInt(1, 100, null_is_absent=True)] = None


AUTOMATED_TASK_TYPES = ("image_classification", "text_classification")
DEFAULT_TARGET_ACCURACY = 0.95
TARGET_ACCURACY_RANGE = (0.5, 0.999)
MAX_KEY_CHARS = 255


def _manifest_key(value: Any) -> str:
    if type(value) is not str or not value:
        raise refuse("must be a non-empty string (an attribute of the manifest lines)")
    if len(value) > MAX_KEY_CHARS:
        raise refuse(f"must be at most {MAX_KEY_CHARS} characters")
    if value in RESERVED_KEYS or value.startswith("$"):
        raise refuse("must not be source, source-ref or start with $")
    return value


ManifestKey = Annotated[str, Checked(_manifest_key, {"type": "string", "minLength": 1, "maxLength": MAX_KEY_CHARS})]


class AutomatedLabelingRequest(Input):
    """Automated labeling of a classification job (docs/automation.md)."""

    unknown_field_message: ClassVar[str] = (
        "is not a known automated labeling setting (known: target_accuracy, embedding_key, prediction_key, enabled)"
    )
    not_an_object_message: ClassVar[str] = "must be an object"

    target_accuracy: Annotated[
        float | None,
        Number(
            *TARGET_ACCURACY_RANGE, f"must be a number from {TARGET_ACCURACY_RANGE[0]} to {TARGET_ACCURACY_RANGE[1]}"
        ),
    ] = Field(
        None,
        description="the accuracy machine labels must be proven (95% lower bound) to reach",
        json_schema_extra={"default": DEFAULT_TARGET_ACCURACY},
    )
    embedding_key: ManifestKey | None = Field(
        None, description="a manifest attribute holding a numeric vector per object: the model's features"
    )
    prediction_key: ManifestKey | None = Field(
        None,
        description="a manifest attribute holding your model's class probabilities (a list in label order, "
        "or an object by label), which Groundwork calibrates",
    )
    enabled: Annotated[bool | None, Flag()] = Field(None, json_schema_extra={"default": True})

    def automation(self) -> AutomationSpec | None:
        """What the job keeps, or ``None`` when ``enabled`` is false."""
        if self.enabled is False:
            return None
        target = DEFAULT_TARGET_ACCURACY if self.target_accuracy is None else float(self.target_accuracy)
        return AutomationSpec(
            target_accuracy=target, embedding_key=self.embedding_key or "", prediction_key=self.prediction_key or ""
        )


def _verdict(value: Any) -> str:
    if type(value) is not str or not value:
        raise refuse("must be a non-empty string: one of the verification job's verdict categories")
    return value


class ChainSelectRequest(Input):
    """Which objects of the chained job a chained job takes (docs/labeling.md, "Chaining")."""

    model_config = ConfigDict(title="ChainSelect")
    unknown_field_message: ClassVar[str] = "is not a known selection (known: below_confidence, verdict)"
    not_an_object_message: ClassVar[str] = (
        'must be an object: {"below_confidence": <number>} or {"verdict": "<category>"}'
    )

    below_confidence: Annotated[float | None, Number(0, 1, "must be a number from 0 to 1")] = Field(
        None, description="only the objects whose confidence is below this (and those the chained job did not label)"
    )
    verdict: Annotated[str | None, Checked(_verdict, {"type": "string", "minLength": 1})] = Field(
        None, description="label_verification source only: the objects judged with this verdict category"
    )

    def selection(self) -> ChainSelect:
        below = None if self.below_confidence is None else float(self.below_confidence)
        return ChainSelect(below_confidence=below, verdict=self.verdict)


class JobCreate(Input):
    """``POST /api/v1/labeling-jobs`` (docs/labeling.md)."""

    model_config = ConfigDict(title="LabelingJobCreate")  # its name in the OpenAPI document

    missing_messages: ClassVar[dict[str, str]] = {"task_type": f"must be one of {', '.join(TASK_TYPE_NAMES)}"}

    name: Annotated[str, _named(NAME_PATTERN, 63)]
    task_type: Annotated[
        str, Checked(lambda value: _task_type(value), {"type": "string", "enum": list(TASK_TYPE_NAMES)})
    ]
    label_attribute_name: Annotated[str, _named(ATTRIBUTE_PATTERN, 127)]
    source_label_attribute_name: Annotated[str, _named(ATTRIBUTE_PATTERN, 127)] | None = Field(
        None,
        description="review types (label_verification, the adjustments): the input manifest attribute "
        "holding the existing annotation, a Ground Truth output record (docs/labeling.md)",
    )
    input_mode: Annotated[str, Choice(INPUT_MODES)] = Field(
        "manifest", description="streaming: the job takes objects while it runs (docs/labeling.md)"
    )
    input_manifest_uri: Annotated[str, _uri("input_manifest_uri")] | None = Field(
        None,
        description="required, except for a streaming job (then the first objects, if given) and a chained job "
        "(then it is the chained job's output manifest)",
    )
    chain_from_job_id: Id | None = Field(
        None,
        description="chain: the input is this completed or stopped job's output manifest (docs/labeling.md, Chaining)",
    )
    chain_select: ChainSelectRequest | None = Field(
        None, description="chain: take only some of the chained job's objects (one of below_confidence, verdict)"
    )
    output_uri: Annotated[str, _uri("output_uri")]
    max_concurrent_task_count: Annotated[
        int | None, StrictInt(*MAX_CONCURRENT_TASK_COUNT_RANGE, null_is_absent=True)
    ] = Field(
        None,
        description="streaming: how many objects may be out with workers at once",
        json_schema_extra={"default": DEFAULT_MAX_CONCURRENT_TASK_COUNT},
    )
    streaming_idle_seconds: Annotated[int | None, _seconds(IDLE_SECONDS_RANGE)] = Field(
        None,
        description="streaming: the job ends once no object came for this long and every object is done",
        json_schema_extra={"default": DEFAULT_IDLE_SECONDS},
    )
    input_watch_uri: (
        Annotated[
            str, _uri("input_watch_uri", "streaming: an s3:// or file:// prefix whose new manifest files the job reads")
        ]
        | None
    ) = None
    gold_manifest_uri: Annotated[str, _uri("gold_manifest_uri")] | None = None
    label_category_config_uri: Annotated[str, _uri("label_category_config_uri")] | None = None
    label_categories: Annotated[
        Any,
        Json(
            description="the category names; or give label_category_config_uri "
            "(label_verification: its verdicts, by default correct and incorrect)"
        ),
    ] = None
    workers_per_object: Annotated[int | None, StrictInt(*WORKERS_RANGE, null_is_absent=True)] = Field(
        None, json_schema_extra={"default": DEFAULT_WORKERS_PER_OBJECT}
    )
    target_confidence: Annotated[
        float | None, Number(0, 1, "must be a number between 0 and 1 (exclusive)", exclusive=True)
    ] = Field(None, description="dynamic redundancy: stop asking once the answers agree this much")
    min_workers_per_object: Annotated[int | None, StrictInt(*WORKERS_RANGE, null_is_absent=True)] = None
    max_workers_per_object: Annotated[int | None, StrictInt(*WORKERS_RANGE, null_is_absent=True)] = None
    stopping_conditions: StoppingConditions = Field(default_factory=StoppingConditions)
    reward: Annotated[int | None, Money(REWARD_HELP)] = None
    task_time_limit_seconds: Annotated[int | None, _seconds(ASSIGNMENT_DURATION_RANGE)] = Field(
        None, json_schema_extra={"default": DEFAULT_TASK_TIME_LIMIT_SECONDS}
    )
    task_availability_lifetime_seconds: Annotated[int | None, _seconds(LIFETIME_RANGE)] = Field(
        None, json_schema_extra=settings_default("TASK_LIFETIME_SECONDS")
    )
    auto_approval_delay_seconds: Annotated[int | None, _seconds(AUTO_APPROVAL_DELAY_RANGE)] = Field(
        None, json_schema_extra=settings_default("AUTO_APPROVAL_DELAY_SECONDS")
    )
    priority: Annotated[int | None, StrictInt(*PRIORITY_RANGE, null_is_absent=True)] = Field(
        None, json_schema_extra={"default": 0}
    )
    workteam_id: Id | None = Field(None, description="the public workforce when left out")
    worker_visible_keys: Annotated[
        list[str],
        Checked(
            _visible_keys,
            {"type": "array", "items": {"type": "string", "minLength": 1}, "maxItems": MAX_VISIBLE_KEYS},
        ),
    ] = Field(default_factory=list)
    title: Annotated[str, Text(200, required=True)]
    description: Annotated[str, Text(10_000)] = ""
    instructions: Annotated[str, Text(100_000)] = ""
    quality_rules: QualityRules | None = Field(None, description="see docs/quality.md")
    auto_approval_policy: AutoApprovalPolicy | None = None
    qualification_requirements: Requirements | None = Field(
        None, description="who may take the job's tasks (docs/qualifications.md)"
    )
    automated_labeling: AutomatedLabelingRequest | None = Field(
        None, description="image_classification and text_classification only (docs/automation.md)"
    )
    template: Annotated[str, Checked(checked_template, TEMPLATE_SHAPE)] | None = Field(
        None, description="a custom template workers see instead of the task type's element (docs/templates.md)"
    )
    answer_schema: Annotated[Any, Json(description="task type custom: a JSON Schema every answer must match")] = None
    pre_task_hook_url: Annotated[str, Checked(checked_hook_url, HOOK_URL_SHAPE)] | None = Field(
        None, description="your https endpoint turning a manifest line into the task input (docs/templates.md)"
    )
    consolidation_hook_url: Annotated[str, Checked(checked_hook_url, HOOK_URL_SHAPE)] | None = Field(
        None, description="your https endpoint turning an object's answers into its label (docs/templates.md)"
    )

    @classmethod
    def cross_field_errors(cls, data: dict) -> list[tuple[str, str]]:
        task_type = data.get("task_type")
        task_type = task_type if type(task_type) is str and task_type in TASK_TYPES else ""
        attribute = data.get("label_attribute_name")
        attribute = attribute if type(attribute) is str and ATTRIBUTE_PATTERN.match(attribute) else ""
        return [
            *_streaming_errors(data),
            *_chain_errors(data),
            *_attribute_errors(attribute, task_type),
            *_source_attribute_errors(data, attribute, task_type),
            *_category_errors(data, task_type),
            *_redundancy_errors(data),
            *_visible_key_errors(data, attribute),
            *_automation_errors(data, task_type, attribute),
            *custom_template_errors(data, task_type),
            *([("reward", "is required")] if "reward" not in data and data.get("workteam_id") is None else []),
        ]

    def spec(self) -> JobSpec:
        """The job to create, with the defaults (the settings' as they are now) filled in."""
        defaults = settings.GROUNDWORK
        workers = _or(self.workers_per_object, DEFAULT_WORKERS_PER_OBJECT)
        task_type = TASK_TYPES[self.task_type]
        labels: list[str] = []
        if self.label_categories is not None:
            labels = validate_label_categories(self.label_categories, task_type)
        elif not self.label_category_config_uri:  # a type with default categories (verdicts)
            labels = list(task_type.default_labels)
        fields = {
            "name": self.name,
            "label_attribute_name": self.label_attribute_name,
            "source_label_attribute_name": self.source_label_attribute_name or "",
            "task_type": self.task_type,
            "input_manifest_uri": self.input_manifest_uri or "",
            "input_mode": self.input_mode,
            "output_uri": self.output_uri,
            "gold_manifest_uri": self.gold_manifest_uri or "",
            "label_categories": labels,
            "worker_visible_keys": self.worker_visible_keys,
            "title": self.title,
            "description": self.description,
            "instructions": self.instructions,
            "workers_per_object": workers,
            "min_workers_per_object": _or(self.min_workers_per_object, min(2, workers)),
            "max_workers_per_object": _or(self.max_workers_per_object, workers),
            "target_confidence": None if self.target_confidence is None else float(self.target_confidence),
            "task_time_limit_seconds": _or(self.task_time_limit_seconds, DEFAULT_TASK_TIME_LIMIT_SECONDS),
            "task_availability_lifetime_seconds": _or(
                self.task_availability_lifetime_seconds, defaults["TASK_LIFETIME_SECONDS"]
            ),
            "reward_micros": self.reward,
            "max_human_labeled_objects": self.stopping_conditions.max_human_labeled_objects,
            "max_percentage_labeled": self.stopping_conditions.max_percentage_labeled,
            # Passed to the job's batch at ingestion (marketplace.services.quality).
            "quality_rules": {} if self.quality_rules is None else self.quality_rules.rules(),
            "auto_approval_policy": self.auto_approval_policy or "approve_all",
            "qualification_requirements": requirement_dicts(self.qualification_requirements) or [],
            **self._streaming_fields(),
            "template": self.template or "",
            "answer_schema": self.answer_schema,
            "pre_task_hook_url": self.pre_task_hook_url or "",
            "consolidation_hook_url": self.consolidation_hook_url or "",
        }
        return JobSpec(
            fields=fields,
            workteam_id=self.workteam_id,
            label_category_config_uri=self.label_category_config_uri or "",
            priority=_or(self.priority, 0),
            auto_approval_delay_seconds=_or(self.auto_approval_delay_seconds, defaults["AUTO_APPROVAL_DELAY_SECONDS"]),
            automation=None if self.automated_labeling is None else self.automated_labeling.automation(),
            chain_from_job_id=self.chain_from_job_id,
            chain_select=ChainSelect() if self.chain_select is None else self.chain_select.selection(),
        )

    def _streaming_fields(self) -> dict:
        streaming = self.input_mode == "streaming"
        return {
            "max_concurrent_task_count": _or(self.max_concurrent_task_count, DEFAULT_MAX_CONCURRENT_TASK_COUNT)
            if streaming
            else None,
            "streaming_idle_seconds": _or(self.streaming_idle_seconds, DEFAULT_IDLE_SECONDS) if streaming else None,
            "input_watch_uri": self.input_watch_uri or "",
        }


def job_spec(data: object) -> JobSpec:
    """A job body as a ``JobSpec``; ``InvalidInput`` names every bad field."""
    return validate(JobCreate, data).spec()


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _task_type(value: Any) -> str:
    if type(value) is not str or value not in TASK_TYPES:
        raise refuse(f"must be one of {', '.join(TASK_TYPE_NAMES)}")
    return value


def _streaming_errors(data: dict) -> list[tuple[str, str]]:
    """A manifest job needs its manifest and takes no streaming field; a streaming job's watched
    prefix must not hold its own output (it would read its output parts as new objects)."""
    if data.get("input_mode", "manifest") != "streaming":
        errors = [
            (field, "only applies to a streaming job (input_mode streaming)")
            for field in STREAMING_FIELDS
            if data.get(field) is not None
        ]
        if data.get("input_manifest_uri") is None and data.get("chain_from_job_id") is None:
            errors.append(("input_manifest_uri", "is required"))
        return errors
    if data.get("automated_labeling") is not None:
        return [("automated_labeling", "is not available for a streaming job")]
    watched, output = data.get("input_watch_uri"), data.get("output_uri")
    try:
        watched_at = parse_storage_uri(watched, field="input_watch_uri").as_folder() if watched else None
        output_at = parse_storage_uri(output, field="output_uri").as_folder() if output else None
    except InvalidInput:
        return []  # the field's own error says why
    if watched_at is not None and output_at is not None and watched_at.scheme == output_at.scheme:
        same_bucket = watched_at.bucket == output_at.bucket
        if same_bucket and (watched_at.key.startswith(output_at.key) or output_at.key.startswith(watched_at.key)):
            return [("input_watch_uri", "must not overlap output_uri (the job would read its own output)")]
    return []


def _chain_errors(data: dict) -> list[tuple[str, str]]:
    """A chained job's input is the chained job's output: no manifest of its own, no streaming;
    a selection only with a chain, and exactly one rule in it."""
    select = data.get("chain_select")
    if data.get("chain_from_job_id") is None:
        return [("chain_select", "only applies with chain_from_job_id")] if select is not None else []
    errors = []
    if data.get("input_manifest_uri") is not None:
        errors.append(
            ("input_manifest_uri", "must be left out with chain_from_job_id (the chained job's output is the input)")
        )
    if data.get("input_mode") == "streaming":
        errors.append(("chain_from_job_id", "is not available for a streaming job"))
    known = ("below_confidence", "verdict")
    if (
        isinstance(select, dict)
        and set(select) <= set(known)
        and sum(select.get(key) is not None for key in known) != 1
    ):
        errors.append(("chain_select", "give exactly one of below_confidence and verdict"))
    return errors


def _attribute_errors(attribute: str, task_type: str) -> list[tuple[str, str]]:
    field = "label_attribute_name"
    if not attribute:
        return []
    if attribute.endswith("-metadata"):
        return [(field, "must not end in -metadata")]
    if attribute in RESERVED_KEYS:
        return [(field, "must not be source or source-ref")]
    # A type that writes masks (segmentation and its adjustment) writes a mask URI there.
    writes_masks = bool(task_type) and TASK_TYPES[task_type].writes_masks
    if writes_masks and not attribute.endswith("-ref"):
        return [(field, f"must end in -ref for {task_type} (its value is a mask URI)")]
    if not writes_masks and attribute.endswith("-ref"):
        return [(field, "must not end in -ref except for semantic_segmentation")]
    return []


def _source_attribute_errors(data: dict, attribute: str, task_type: str) -> list[tuple[str, str]]:
    """A review type reads the annotation it reviews from ``source_label_attribute_name`` (with
    ``chain_from_job_id`` it defaults to the chained job's); its own label attribute must
    differ, as in Ground Truth. Other types take no source attribute."""
    field = "source_label_attribute_name"
    source = data.get(field)
    if not task_type:
        return []
    reviews = TASK_TYPES[task_type].reviewed_types
    if not reviews:
        return [(field, f"only applies to a review task type ({', '.join(REVIEW_TASK_TYPE_NAMES)})")] if source else []
    if source is None:
        return [] if data.get("chain_from_job_id") is not None else [(field, f"is required for {task_type}")]
    if type(source) is not str or not ATTRIBUTE_PATTERN.match(source):
        return []  # the field's own error says why
    if source.endswith("-metadata") or source in RESERVED_KEYS:
        return [(field, "must name a label attribute, not source, source-ref or a -metadata key")]
    if source == attribute:
        return [(field, "must differ from label_attribute_name (the job writes its own attribute beside it)")]
    return []


def _category_errors(data: dict, task_type: str) -> list[tuple[str, str]]:
    config_uri = data.get("label_category_config_uri")
    if config_uri is not None:
        try:
            parse_storage_uri(config_uri, field="label_category_config_uri")
        except InvalidInput:
            return []  # the field's own error says why
    chained = data.get("chain_from_job_id") is not None  # may take the chained job's (chaining checks)
    has_default = bool(task_type) and bool(TASK_TYPES[task_type].default_labels)
    if ("label_categories" in data) == bool(config_uri) and not (
        (has_default or chained or task_type == "custom") and not config_uri
    ):
        return [("label_categories", "give either label_categories or label_category_config_uri")]
    if "label_categories" in data and task_type:
        try:
            validate_label_categories(data["label_categories"], TASK_TYPES[task_type])
        except ValueError as exc:
            return [("label_categories", str(exc))]
    return []


def _redundancy_errors(data: dict) -> list[tuple[str, str]]:
    """Without a target every object gets exactly workers_per_object answers; with one, an
    object may close after two agreeing answers (one answer is never trusted by default)."""

    def given(field: str, default: int, otherwise: int) -> int:
        value = data.get(field)
        if value is None:
            return default
        return value if _in_range(value, WORKERS_RANGE) else otherwise

    errors = []
    target = data.get("target_confidence")
    has_target = type(target) in (int, float) and 0 < target < 1  # type: ignore[operator]
    if not has_target:
        errors += [
            (field, "only applies with target_confidence (dynamic redundancy)")
            for field in ("min_workers_per_object", "max_workers_per_object")
            if field in data
        ]
    workers = given("workers_per_object", DEFAULT_WORKERS_PER_OBJECT, 1)
    if given("min_workers_per_object", min(2, workers), 1) > workers:
        errors.append(("min_workers_per_object", "must not exceed workers_per_object"))
    if given("max_workers_per_object", workers, workers) < workers:
        errors.append(("max_workers_per_object", "must be at least workers_per_object"))
    return errors


def _visible_key_errors(data: dict, attribute: str) -> list[tuple[str, str]]:
    keys = data.get("worker_visible_keys", [])
    if type(keys) is not list or not all(type(key) is str and key for key in keys):
        return []  # the field's own error says why
    own = (attribute, f"{attribute}-metadata")
    return [
        (f"worker_visible_keys.{index}", "must not be source, source-ref, the label attribute, or start with $")
        for index, key in enumerate(keys)
        if key in RESERVED_KEYS or key.startswith("$") or key in own
    ]


def _objects(value: Any) -> list:
    if type(value) is not list or not value:
        raise refuse("must be a non-empty list of manifest lines (JSON objects)")
    if len(value) > MAX_OBJECTS_PER_CALL:
        raise refuse(f"must hold at most {MAX_OBJECTS_PER_CALL} objects per call")
    return value


class ObjectsAdd(Input):
    """``POST /api/v1/labeling-jobs/{id}/objects``: objects for a streaming job. Each object is
    a manifest line (``source`` or ``source-ref``, the job's visible keys, an optional
    ``dataset_object_id``), checked by the service as an input manifest's line is."""

    model_config = ConfigDict(title="LabelingJobObjectsAdd")

    objects: Annotated[
        list,
        Checked(
            _objects,
            {
                "type": "array",
                "items": {"type": "object", "description": "one manifest line"},
                "minItems": 1,
                "maxItems": MAX_OBJECTS_PER_CALL,
            },
        ),
    ]


def objects_to_add(data: object) -> list:
    """The objects of a ``POST .../objects`` body; ``InvalidInput`` naming ``objects``."""
    return validate(ObjectsAdd, data).objects


def _automation_errors(data: dict, task_type: str, attribute: str) -> list[tuple[str, str]]:
    settings_given = data.get("automated_labeling")
    if not isinstance(settings_given, dict):
        return []  # absent, or the field's own error says why
    if task_type and task_type not in AUTOMATED_TASK_TYPES:
        return [("automated_labeling", f"is only for {' and '.join(AUTOMATED_TASK_TYPES)} jobs")]
    errors = []
    if settings_given.get("embedding_key") is not None and settings_given.get("prediction_key") is not None:
        errors.append(("automated_labeling.prediction_key", "give either embedding_key or prediction_key, not both"))
    own = (attribute, f"{attribute}-metadata")
    for key in ("embedding_key", "prediction_key"):
        if attribute and settings_given.get(key) in own:
            errors.append((f"automated_labeling.{key}", "must not be the label attribute"))
    return errors


class AutomationSwitch(Input):
    """``POST /api/v1/labeling-jobs/{id}/automated-labeling`` (docs/automation.md)."""

    model_config = ConfigDict(title="AutomatedLabelingSwitch")

    enabled: Annotated[bool, Checked(lambda value: _switch_off(value), {"type": "boolean", "enum": [False]})]


def _switch_off(value: Any) -> bool:
    if value is None:
        raise refuse("is required")
    if value is not False:
        raise refuse("must be false: automated labeling can be switched off while a job runs, not back on")
    return value
