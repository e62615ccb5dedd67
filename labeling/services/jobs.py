"""Creating and stopping labeling jobs. Reading the manifest happens later, off the request
path (``labeling.services.ingest``); the job is ``initializing`` until then."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from marketplace.access import access_targetable_workteam
from marketplace.background import run_in_background
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.locking import locked_steering_job
from marketplace.models import Organization, Workteam
from marketplace.services.batches import batch_stop
from marketplace.services.requirements import requirements_resolve
from marketplace.services.vendors import assignment_price
from marketplace.services.workteams import public_workforce

from ..background_jobs import advance_job, ingest_job
from ..models import JobAutomation, LabelingJob
from ..storage import access_storage, parse_storage_uri
from .chaining import ChainSelect, chained_job_fields
from .hooks import hook_secret_new
from .job_events import job_status_changed

MAX_UI_TEMPLATE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class AutomationSpec:
    """Automated labeling asked for at creation (``labeling.inputs.AutomatedLabeling``)."""

    target_accuracy: float
    embedding_key: str = ""
    prediction_key: str = ""


@dataclass(frozen=True)
class JobSpec:
    """A validated ``POST /api/v1/labeling-jobs`` body (``labeling.inputs.job_spec``); storage
    access, the workteam and the price are not yet checked."""

    fields: dict
    workteam_id: int | None
    label_category_config_uri: str
    priority: int
    auto_approval_delay_seconds: int
    automation: AutomationSpec | None = None
    # A chained job (``labeling.services.chaining``): its source and which of its objects it takes.
    chain_from_job_id: int | None = None
    chain_select: ChainSelect = dataclasses.field(default_factory=ChainSelect)


def job_create(
    *, requester: Organization, spec: JobSpec, ui_template: str = "", ground_truth_request: dict | None = None
) -> LabelingJob:
    """Create an ``initializing`` job and schedule its ingestion after commit.

    Every URI must lie in storage registered for the requester (``Forbidden`` with code
    ``storage_not_allowed`` before anything is read or written); a name already used by this
    requester is ``Conflict(name_taken)``. ``ui_template`` and ``ground_truth_request`` are kept
    with a job created through the AWS endpoint (``LabelingJob`` says what they are). A chained
    job's source is checked first (``chaining.chained_job_fields``: 404 or 409 naming
    ``chain_from_job_id``, 400 for a body that does not fit it).
    """
    fields = spec.fields
    if spec.chain_from_job_id is not None:
        fields = chained_job_fields(
            requester=requester,
            fields=fields,
            chain_from_job_id=spec.chain_from_job_id,
            select=spec.chain_select,
            has_category_file=bool(spec.label_category_config_uri),
        )
    for field in ("input_manifest_uri", "output_uri", "gold_manifest_uri", "input_watch_uri"):
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
        # The hooks' signing secret (docs/templates.md), shown once in the creation's response.
        "hook_secret_encrypted": hook_secret_new()[1]
        if fields.get("pre_task_hook_url") or fields.get("consolidation_hook_url")
        else "",
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
            if spec.automation is not None:
                JobAutomation.objects.create(
                    job=job,
                    target_accuracy=spec.automation.target_accuracy,
                    embedding_key=spec.automation.embedding_key,
                    prediction_key=spec.automation.prediction_key,
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
        locked = locked_steering_job(LabelingJob.objects.filter(pk=job.pk)).get()
        if locked.status in (LabelingJob.Status.STOPPING, LabelingJob.Status.STOPPED):
            return locked
        if locked.status not in (LabelingJob.Status.INITIALIZING, LabelingJob.Status.IN_PROGRESS):
            raise Conflict(f"the labeling job is {locked.status}", code="job_ended")
        locked.stop_requested = True
        if locked.status == LabelingJob.Status.IN_PROGRESS:
            locked.status = LabelingJob.Status.STOPPING
            batch_stop(batch=locked.posted_batch)
        locked.save(update_fields=["status", "stop_requested", "updated_at"])
        if locked.status == LabelingJob.Status.STOPPING:
            job_status_changed(job_id=locked.pk, requester_id=locked.requester_id)
        run_in_background(advance_job, locked.pk)
    return locked
