"""Creating and stopping labeling jobs. Reading the manifest happens later, off the request
path (``labeling.services.ingest``); the job is ``initializing`` until then."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from marketplace.access import access_targetable_workteam
from marketplace.background import run_in_background
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.locking import lock_steering_job
from marketplace.models import Organization, Workteam
from marketplace.models.tasks import MAX_SLOTS_PER_TASK
from marketplace.services import quality
from marketplace.services.batches import batch_stop
from marketplace.services.requirements import parse_requirements, requirements_resolve
from marketplace.services.vendors import assignment_price
from marketplace.services.workteams import public_workforce
from marketplace.task_spec import ASSIGNMENT_DURATION_RANGE, AUTO_APPROVAL_DELAY_RANGE, LIFETIME_RANGE
from marketplace.validation import FieldErrors, int_in_range, optional_amount_micros, text_field

from ..background_jobs import advance_job, ingest_job
from ..models import LabelingJob
from ..storage import access_storage, parse_storage_uri
from ..task_types import TASK_TYPES, validate_label_categories

# Ground Truth's own rule for job names: letters, digits and single or repeated hyphens inside.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9](-*[A-Za-z0-9]){0,62}$")
ATTRIBUTE_PATTERN = re.compile(r"^[A-Za-z0-9](-*[A-Za-z0-9]){0,126}$")
RESERVED_KEYS = {"source", "source-ref"}
MAX_VISIBLE_KEYS = 50
JOB_FIELDS = {
    "name",
    "label_attribute_name",
    "task_type",
    "input_manifest_uri",
    "output_uri",
    "label_categories",
    "label_category_config_uri",
    "title",
    "description",
    "instructions",
    "workteam_id",
    "workers_per_object",
    "task_time_limit_seconds",
    "task_availability_lifetime_seconds",
    "reward",
    "target_confidence",
    "min_workers_per_object",
    "max_workers_per_object",
    "stopping_conditions",
    "gold_manifest_uri",
    "worker_visible_keys",
    "auto_approval_delay_seconds",
    "priority",
    "quality_rules",
    "auto_approval_policy",
    "qualification_requirements",
}
STOPPING_FIELDS = {"max_human_labeled_objects", "max_percentage_labeled"}
DEFAULT_WORKERS_PER_OBJECT = 3
DEFAULT_TASK_TIME_LIMIT_SECONDS = 300
MAX_UI_TEMPLATE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class JobSpec:
    """A validated ``POST /api/v1/labeling-jobs`` body (storage access not yet checked)."""

    fields: dict
    workteam_id: int | None
    label_category_config_uri: str
    priority: int
    auto_approval_delay_seconds: int


def _uri(data: dict, field: str, errors: FieldErrors, *, required: bool) -> str:
    value = data.get(field)
    if value is None:
        if required:
            errors.add(field, "is required")
        return ""
    try:
        parse_storage_uri(value, field=field)  # the storage's own rules, so every bad URI is in one 400
    except InvalidInput as exc:
        for message in exc.fields[field]:
            errors.add(field, message)
        return ""
    return value


def _name(data: dict, field: str, pattern: re.Pattern, errors: FieldErrors, limit: int) -> str:
    value = data.get(field)
    if value is None:
        errors.add(field, "is required")
    elif not isinstance(value, str) or not pattern.match(value):
        errors.add(
            field, f"must be 1 to {limit} letters, digits and hyphens, starting and ending with a letter or digit"
        )
    else:
        return value
    return ""


def _label_attribute(data: dict, task_type: str, errors: FieldErrors) -> str:
    attribute = _name(data, "label_attribute_name", ATTRIBUTE_PATTERN, errors, 127)
    if not attribute:
        return ""
    if attribute.endswith("-metadata"):
        errors.add("label_attribute_name", "must not end in -metadata")
    elif attribute in RESERVED_KEYS:
        errors.add("label_attribute_name", "must not be source or source-ref")
    elif task_type == "semantic_segmentation" and not attribute.endswith("-ref"):
        errors.add("label_attribute_name", "must end in -ref for semantic_segmentation (its value is a mask URI)")
    elif task_type != "semantic_segmentation" and attribute.endswith("-ref"):
        errors.add("label_attribute_name", "must not end in -ref except for semantic_segmentation")
    return attribute


def _visible_keys(data: dict, attribute: str, errors: FieldErrors) -> list[str]:
    keys = data.get("worker_visible_keys", [])
    if not isinstance(keys, list) or not all(isinstance(key, str) and key for key in keys):
        errors.add("worker_visible_keys", "must be a list of non-empty strings")
        return []
    if len(keys) > MAX_VISIBLE_KEYS:
        errors.add("worker_visible_keys", f"must list at most {MAX_VISIBLE_KEYS} keys")
    elif len(set(keys)) != len(keys):
        errors.add("worker_visible_keys", "must not repeat a key")
    for index, key in enumerate(keys):
        if key in RESERVED_KEYS or key.startswith("$") or key in (attribute, f"{attribute}-metadata"):
            errors.add(
                f"worker_visible_keys.{index}", "must not be source, source-ref, the label attribute, or start with $"
            )
    return keys


def _stopping_conditions(data: dict, errors: FieldErrors) -> tuple[int | None, int | None]:
    conditions = data.get("stopping_conditions", {})
    if not isinstance(conditions, dict):
        errors.add("stopping_conditions", "must be an object")
        return None, None
    for unknown in sorted(set(conditions) - STOPPING_FIELDS):
        errors.add(f"stopping_conditions.{unknown}", "is not a known stopping condition")
    nested = FieldErrors("stopping_conditions.")
    max_objects = int_in_range(conditions, "max_human_labeled_objects", None, (1, 2**31 - 1), nested)
    max_percentage = int_in_range(conditions, "max_percentage_labeled", None, (1, 100), nested)
    for field, messages in nested.errors.items():
        for message in messages:
            errors.add(field, message)
    return max_objects, max_percentage


def _redundancy(data: dict, errors: FieldErrors) -> tuple[int, int, int, float | None]:
    bounds = (1, MAX_SLOTS_PER_TASK)
    workers = int_in_range(data, "workers_per_object", DEFAULT_WORKERS_PER_OBJECT, bounds, errors) or 1
    target = data.get("target_confidence")
    if target is not None:
        if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target < 1:
            errors.add("target_confidence", "must be a number between 0 and 1 (exclusive)")
            target = None
        else:
            target = float(target)
    # Without a target every object gets exactly workers_per_object answers; with one, an
    # object may close after two agreeing answers (one answer is never trusted by default).
    if target is None:
        for field in ("min_workers_per_object", "max_workers_per_object"):
            if field in data:
                errors.add(field, "only applies with target_confidence (dynamic redundancy)")
    minimum = int_in_range(data, "min_workers_per_object", min(2, workers), bounds, errors) or 1
    maximum = int_in_range(data, "max_workers_per_object", workers, bounds, errors) or workers
    if minimum > workers:
        errors.add("min_workers_per_object", "must not exceed workers_per_object")
    if maximum < workers:
        errors.add("max_workers_per_object", "must be at least workers_per_object")
    return workers, minimum, maximum, target


def parse_job_spec(data: object) -> JobSpec:
    """Validate a job body; raises ``InvalidInput`` naming every bad field."""
    if not isinstance(data, dict):
        raise InvalidInput.for_field("non_field_errors", "the body must be a JSON object")
    errors = FieldErrors()
    for unknown in sorted(set(data) - JOB_FIELDS):
        errors.add(unknown, "is not a known field")
    name = _name(data, "name", NAME_PATTERN, errors, 63)
    task_type = data.get("task_type")
    if not isinstance(task_type, str) or task_type not in TASK_TYPES:
        errors.add("task_type", f"must be one of {', '.join(sorted(TASK_TYPES))}")
        task_type = ""
    attribute = _label_attribute(data, task_type, errors)
    input_uri = _uri(data, "input_manifest_uri", errors, required=True)
    output_uri = _uri(data, "output_uri", errors, required=True)
    gold_uri = _uri(data, "gold_manifest_uri", errors, required=False)
    config_uri = _uri(data, "label_category_config_uri", errors, required=False)
    labels: list[str] = []
    if ("label_categories" in data) == bool(config_uri) and "label_category_config_uri" not in errors.errors:
        errors.add("label_categories", "give either label_categories or label_category_config_uri")
    elif "label_categories" in data and task_type:
        try:
            labels = validate_label_categories(data["label_categories"], TASK_TYPES[task_type])
        except ValueError as exc:
            errors.add("label_categories", str(exc))
    workers, minimum, maximum, target = _redundancy(data, errors)
    max_objects, max_percentage = _stopping_conditions(data, errors)
    reward_micros = optional_amount_micros(data, "reward", errors)
    if reward_micros is None and data.get("workteam_id") is None:  # the public workforce: no offering price
        errors.add("reward", "is required")
    defaults = settings.GROUNDWORK
    time_limit = int_in_range(
        data, "task_time_limit_seconds", DEFAULT_TASK_TIME_LIMIT_SECONDS, ASSIGNMENT_DURATION_RANGE, errors
    )
    lifetime = int_in_range(
        data, "task_availability_lifetime_seconds", defaults["TASK_LIFETIME_SECONDS"], LIFETIME_RANGE, errors
    )
    delay = int_in_range(
        data, "auto_approval_delay_seconds", defaults["AUTO_APPROVAL_DELAY_SECONDS"], AUTO_APPROVAL_DELAY_RANGE, errors
    )
    priority = int_in_range(data, "priority", 0, (0, 100), errors)
    workteam_id = data.get("workteam_id")
    if workteam_id is not None and (isinstance(workteam_id, bool) or not isinstance(workteam_id, int)):
        errors.add("workteam_id", "must be an integer")
    fields = {
        "name": name,
        "label_attribute_name": attribute,
        "task_type": task_type,
        "input_manifest_uri": input_uri,
        "output_uri": output_uri,
        "gold_manifest_uri": gold_uri,
        "label_categories": labels,
        "worker_visible_keys": _visible_keys(data, attribute, errors),
        "title": text_field(data, "title", errors, required=True, max_length=200),
        "description": text_field(data, "description", errors, required=False, max_length=10_000),
        "instructions": text_field(data, "instructions", errors, required=False, max_length=100_000),
        "workers_per_object": workers,
        "min_workers_per_object": minimum,
        "max_workers_per_object": maximum,
        "target_confidence": target,
        "task_time_limit_seconds": time_limit or 0,
        "task_availability_lifetime_seconds": lifetime or 0,
        "reward_micros": reward_micros,
        "max_human_labeled_objects": max_objects,
        "max_percentage_labeled": max_percentage,
        # Passed to the job's batch at ingestion (marketplace.services.quality).
        "quality_rules": quality.parse_quality_rules(data, errors) or {},
        "auto_approval_policy": quality.parse_auto_approval_policy(data, errors) or "approve_all",
        "qualification_requirements": parse_requirements(data, errors) or [],
    }
    errors.raise_if_any()
    return JobSpec(
        fields=fields,
        workteam_id=workteam_id,
        label_category_config_uri=config_uri,
        priority=priority or 0,
        auto_approval_delay_seconds=delay or 0,
    )


def job_create(
    *, requester: Organization, spec: JobSpec, ui_template: str = "", ground_truth_request: dict | None = None
) -> LabelingJob:
    """Create an ``initializing`` job and schedule its ingestion after commit.

    Every URI must lie in storage registered for the requester (``Forbidden`` with code
    ``storage_not_allowed`` before anything is read or written); a name already used by this
    requester is ``Conflict(name_taken)``. ``ui_template`` and ``ground_truth_request`` are kept
    with a job created through the AWS endpoint (``LabelingJob`` says what they are).
    """
    fields = spec.fields
    for field in ("input_manifest_uri", "output_uri", "gold_manifest_uri"):
        if fields[field]:
            access_storage(requester, fields[field], field=field)
    if spec.label_category_config_uri:
        access_storage(requester, spec.label_category_config_uri, field="label_category_config_uri")
    workteam_id = public_workforce().pk if spec.workteam_id is None else spec.workteam_id
    try:
        workteam = access_targetable_workteam(requester, workteam_id)
    except NotFound:
        raise InvalidInput.for_field("workteam_id", "no such workteam") from None
    vendor_price_micros = workteam.offering.price_micros if workteam.kind == Workteam.Kind.VENDOR else None
    fields = {
        **fields,
        "qualification_requirements": requirements_resolve(
            requester=requester, requirements=fields["qualification_requirements"]
        ),
        # On a vendor workteam the offering's price, fixed now for the whole job.
        "reward_micros": assignment_price(fields["reward_micros"], vendor_price_micros),
    }
    try:
        with transaction.atomic():
            job = LabelingJob.objects.create(
                requester=requester,
                workteam=workteam,
                label_category_config_uri=spec.label_category_config_uri,
                priority=spec.priority,
                auto_approval_delay_seconds=spec.auto_approval_delay_seconds,
                ui_template=ui_template,
                ground_truth_request=ground_truth_request or {},
                **fields,
            )
            run_in_background(ingest_job, job.pk)
    except IntegrityError:
        raise Conflict(f"a labeling job named {fields['name']!r} already exists", code="name_taken") from None
    return job


def job_ui_template_read(*, requester: Organization, uri: str, field: str) -> str:
    """The worker UI template at ``uri`` (a Ground Truth ``UiTemplateS3Uri``), read through the
    requester's registered storage: UTF-8 text of at most ``MAX_UI_TEMPLATE_BYTES``. Raises
    ``InvalidInput`` naming ``field`` for a bad URI or text, ``Forbidden(storage_not_allowed)``
    and ``StorageUnavailable`` as every read does."""
    parse_storage_uri(uri, field=field)
    raw = access_storage(requester, uri, field=field).read_bytes(max_bytes=MAX_UI_TEMPLATE_BYTES)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput.for_field(field, "the template is not UTF-8 text") from None


def job_stop(*, job: LabelingJob) -> LabelingJob:
    """Stop a job (idempotent): its tasks take no new assignments; live ones may still be
    submitted until their deadlines, then the job writes its output and ends ``stopped``.

    A job still ``initializing`` is stopped once its manifest has been read. A job that has
    ended is a ``Conflict(job_ended)``, except that stopping a stopped job again is a no-op.
    """
    with transaction.atomic():
        locked = lock_steering_job(LabelingJob.objects.filter(pk=job.pk)).get()
        if locked.status in (LabelingJob.Status.STOPPING, LabelingJob.Status.STOPPED):
            return locked
        if locked.status not in (LabelingJob.Status.INITIALIZING, LabelingJob.Status.IN_PROGRESS):
            raise Conflict(f"the labeling job is {locked.status}", code="job_ended")
        locked.stop_requested = True
        if locked.status == LabelingJob.Status.IN_PROGRESS:
            locked.status = LabelingJob.Status.STOPPING
            batch_stop(batch=locked.batch)
        locked.save(update_fields=["status", "stop_requested", "updated_at"])
        run_in_background(advance_job, locked.pk)
    return locked
