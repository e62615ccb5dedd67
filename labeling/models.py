"""Labeling jobs, their data objects and the storage locations requesters may use."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from marketplace.models import Batch, Organization, Task, Worker, Workteam


class StorageLocation(models.Model):
    """A bucket and prefix (``s3://bucket/prefix/``) or a folder inside the storage root
    (``file://folder/``) that an organization may read and write, registered by an operator.

    ``secret_access_key_encrypted`` holds the organization's own S3 secret, encrypted with
    ``FIELD_ENCRYPTION_KEY`` (empty: the server's credentials are used).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="storage_locations")
    uri_prefix = models.CharField(max_length=1024)
    access_key_id = models.CharField(max_length=128, blank=True)
    secret_access_key_encrypted = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "uri_prefix"], name="one_registration_per_prefix"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.uri_prefix}"


class LabelingJob(models.Model):
    """A requester's request to label a dataset; it posts one batch and owns its data objects."""

    class InputMode(models.TextChoices):
        # Every object is in the input manifest, read when the job starts.
        MANIFEST = "manifest"
        # Objects keep coming while the job runs (labeling.services.streaming): through
        # ``POST /labeling-jobs/{id}/objects`` and manifest files dropped under ``input_watch_uri``.
        STREAMING = "streaming"

    class Status(models.TextChoices):
        INITIALIZING = "initializing"
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"
        STOPPING = "stopping"
        STOPPED = "stopped"
        FAILED = "failed"

    requester = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="labeling_jobs")
    name = models.CharField(max_length=63)
    label_attribute_name = models.CharField(max_length=127)
    task_type = models.CharField(max_length=40)
    # Review types (verification, adjustment): the input lines' attribute holding the existing
    # annotation (``labeling.services.source_annotations``); blank for the other types.
    source_label_attribute_name = models.CharField(max_length=127, blank=True)
    # A chained job (``labeling.services.chaining``): the job whose output manifest, filtered by
    # ``chain_select`` (``{}``: no filter), is written as this job's input manifest at ingestion.
    chained_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="chained_jobs"
    )
    chain_select = models.JSONField(default=dict, blank=True)
    # Blank only for a streaming job started without a first manifest.
    input_manifest_uri = models.CharField(max_length=1024, blank=True)
    input_mode = models.CharField(max_length=16, choices=InputMode.choices, default=InputMode.MANIFEST)
    # Streaming: how many of the job's objects may be out with workers at once (the rest wait
    # ``held``); how long without a new object before the job ends by itself; the storage
    # prefix watched for new manifest files (blank: none); when the last object came in.
    max_concurrent_task_count = models.PositiveIntegerField(null=True, blank=True)
    streaming_idle_seconds = models.PositiveIntegerField(null=True, blank=True)
    input_watch_uri = models.CharField(max_length=1024, blank=True)
    last_object_at = models.DateTimeField(null=True, blank=True)
    output_uri = models.CharField(max_length=1024)
    gold_manifest_uri = models.CharField(max_length=1024, blank=True)
    label_category_config_uri = models.CharField(max_length=1024, blank=True)
    label_categories = models.JSONField(default=list)
    # A label category file's ``shortDisplayName`` per label name (written in NER output).
    label_short_names = models.JSONField(default=dict, blank=True)
    worker_visible_keys = models.JSONField(default=list)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    instructions = models.TextField(blank=True)
    workteam = models.ForeignKey(Workteam, on_delete=models.PROTECT, related_name="labeling_jobs")
    workers_per_object = models.PositiveSmallIntegerField()
    min_workers_per_object = models.PositiveSmallIntegerField()
    max_workers_per_object = models.PositiveSmallIntegerField()
    target_confidence = models.FloatField(null=True, blank=True)
    task_time_limit_seconds = models.PositiveIntegerField()
    task_availability_lifetime_seconds = models.PositiveIntegerField()
    reward_micros = models.BigIntegerField()
    max_human_labeled_objects = models.PositiveIntegerField(null=True, blank=True)
    max_percentage_labeled = models.PositiveSmallIntegerField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(default=0)
    auto_approval_delay_seconds = models.PositiveIntegerField()
    # The batch's quality control (marketplace.services.quality), given to it at ingestion.
    quality_rules = models.JSONField(default=dict, blank=True)
    auto_approval_policy = models.CharField(max_length=32, default="approve_all")
    # Resolved at creation (marketplace.services.requirements); the job's batch carries them.
    qualification_requirements = models.JSONField(default=list, blank=True)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INITIALIZING)
    failure_reason = models.TextField(blank=True)
    stop_requested = models.BooleanField(default=False)
    # Set when a stopping condition was met: the job then ends "completed", the rest unlabeled.
    stopping_condition_met = models.CharField(max_length=64, blank=True)
    batch = models.OneToOneField(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="labeling_job")
    objects_total = models.PositiveIntegerField(default=0)
    human_labeled = models.PositiveIntegerField(default=0)
    failed_objects = models.PositiveIntegerField(default=0)
    answers_saved = models.IntegerField(default=0)
    # How many answers the last consolidation saw: a sweep re-consolidates when the batch has more.
    answers_consolidated = models.PositiveIntegerField(default=0)
    consolidated_at = models.DateTimeField(null=True, blank=True)
    # A background pass (ingest or advance) holds the job until then; another may take over
    # once it has passed (the holder died). Rows are locked only for short writes.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Consecutive background passes that raised; the job fails after MAX_BACKGROUND_ERRORS.
    background_errors = models.PositiveSmallIntegerField(default=0)
    output_manifest_uri = models.CharField(max_length=1024, blank=True)
    # The output folder's last refresh while the job runs (labeling.services.output):
    # when, and how many answers the job's consolidation had seen then.
    output_refreshed_at = models.DateTimeField(null=True, blank=True)
    output_answers = models.PositiveIntegerField(default=0)
    # Objects labeled by automated labeling (``JobAutomation``): exactly the output lines with
    # ``"human-annotated": "no"``; an audited object counts as human-labeled.
    machine_labeled = models.PositiveIntegerField(default=0)
    # A job created through the AWS endpoint (CreateLabelingJob, aws/sagemaker/): the worker UI
    # template read from UiTemplateS3Uri, and the request's parameters Groundwork keeps no field
    # for (RoleArn, Lambda ARNs, Tags, ...), which DescribeLabelingJob answers back.
    ui_template = models.TextField(blank=True)
    ground_truth_request = models.JSONField(default=dict, blank=True)
    # A custom template (labeling.custom_templates, docs/templates.md): the HTML workers see in a
    # sandboxed frame instead of the task type's element ("" for none); for task type ``custom``
    # the requester's JSON Schema of an answer (null: any JSON object). The hooks are the
    # requester's HTTPS endpoints (labeling.services.hooks), signed with ``hook_secret_encrypted``.
    template = models.TextField(blank=True)
    answer_schema = models.JSONField(null=True, blank=True)
    pre_task_hook_url = models.CharField(max_length=2048, blank=True)
    consolidation_hook_url = models.CharField(max_length=2048, blank=True)
    hook_secret_encrypted = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["requester", "name"], name="job_name_unique_per_requester"),
        ]
        indexes = [
            models.Index(fields=["requester", "id"], name="job_by_requester"),
            models.Index(
                fields=["status"], condition=~Q(status__in=["completed", "stopped", "failed"]), name="job_active"
            ),
        ]

    ACTIVE_STATUSES = (Status.INITIALIZING, Status.IN_PROGRESS, Status.STOPPING)
    ENDED_STATUSES = (Status.COMPLETED, Status.STOPPED, Status.FAILED)

    @property
    def is_streaming(self) -> bool:
        return self.input_mode == self.InputMode.STREAMING

    @property
    def posted_batch(self) -> Batch:
        """The job's batch, for code that runs only once ingestion posted it (a job in progress,
        stopping or ended after posting); a job without one there is a bug, not a state."""
        if self.batch is None:
            raise RuntimeError(f"labeling job {self.pk} has no batch yet")
        return self.batch

    @property
    def label_counters(self) -> dict[str, int]:
        """Data objects by outcome, as Ground Truth's ``LabelCounters`` count them (REST and the
        AWS endpoint both report these); ``machine_labeled`` are automated labeling's."""
        labeled = self.human_labeled + self.machine_labeled
        return {
            "total_labeled": labeled,
            "human_labeled": self.human_labeled,
            "machine_labeled": self.machine_labeled,
            "failed": self.failed_objects,
            "unlabeled": max(0, self.objects_total - labeled - self.failed_objects),
        }


class DataObject(models.Model):
    """One line of the input manifest (or of the gold manifest, ``is_gold``), its task and its
    consolidated result.

    ``source_line`` is the manifest line as read, carried to the output unchanged.
    ``result`` holds what consolidation decided, in the task type's own shape (see
    ``labeling.task_types``); ``confidence`` is the object's calibrated confidence.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        LABELED = "labeled"
        FAILED = "failed"

    job = models.ForeignKey(LabelingJob, on_delete=models.PROTECT, related_name="data_objects")
    line_number = models.PositiveIntegerField()
    is_gold = models.BooleanField(default=False)
    source_line = models.TextField()
    gold_answer = models.JSONField(null=True, blank=True)
    task = models.OneToOneField(Task, on_delete=models.PROTECT, related_name="data_object")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    result = models.JSONField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    answers = models.PositiveSmallIntegerField(default=0)
    # Ground Truth's ``datasetObjectId``: the 0-based position among the job's input objects
    # (``None`` for gold objects, which are never written out).
    object_index = models.PositiveIntegerField(null=True, blank=True)
    # When the object got its label (its ``creation-date``), and how many submitted answers its
    # worker-response file holds.
    labeled_at = models.DateTimeField(null=True, blank=True)
    answers_written = models.PositiveSmallIntegerField(default=0)
    # Streaming jobs: the requester's own id for the object (repeats of it add nothing), and the
    # output part its labeled line went to (``labeling.services.streaming``; null: not yet).
    dataset_object_id = models.CharField(max_length=256, null=True, blank=True)
    output_part = models.PositiveIntegerField(null=True, blank=True)
    # Automated labeling (``JobAutomation``): ``machine_round`` is the round whose model labeled
    # the object (``result`` is then the model's, ``is_machine_labeled``), or the round that
    # picked it for the audit (``audit`` pending until humans labeled it, then agreed or
    # disagreed). ``machine_result`` keeps the model's label either way, for the audit and the record.
    is_machine_labeled = models.BooleanField(default=False)
    machine_round = models.PositiveIntegerField(null=True, blank=True)
    machine_result = models.JSONField(null=True, blank=True)
    audit = models.CharField(max_length=12, blank=True)
    # Released to humans for its uncertainty (active learning), not at random: such an object
    # trains the model but never validates it (validation needs a random sample of the pool).
    is_uncertainty_pick = models.BooleanField(default=False)
    # Why a failed object has no label when something else than its task said so (a hook that
    # kept failing: labeling.services.hooks); written in its output line's ``failure-reason``.
    failure_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            # Also the index the output walks, in input order.
            models.UniqueConstraint(fields=["job", "is_gold", "line_number"], name="one_object_per_line"),
            models.UniqueConstraint(
                fields=["job", "dataset_object_id"],
                condition=Q(dataset_object_id__isnull=False),
                name="one_object_per_dataset_object_id",
            ),
        ]
        indexes = [
            # A streaming job's labeled objects not yet in an output part.
            models.Index(
                fields=["job", "object_index"],
                condition=Q(status="labeled", output_part__isnull=True, is_gold=False),
                name="object_awaiting_part",
            ),
        ]


class WatchedInputFile(models.Model):
    """A manifest file a streaming job found under its ``input_watch_uri`` and read, once:
    the row is written in the transaction that adds the file's objects (or records why it was
    refused), so a file is never read twice and never half read."""

    job = models.ForeignKey(LabelingJob, on_delete=models.PROTECT, related_name="watched_files")
    key = models.CharField(max_length=1024)  # relative to the watched prefix
    objects_added = models.PositiveIntegerField(default=0)
    objects_repeated = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)  # why the file added nothing ("" when read)
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "key"], name="one_read_per_watched_file")]


class JobAutomation(models.Model):
    """A job's automated labeling (docs/automation.md): what the requester asked for, where the
    rounds are, and the last round's figures. One row per job that asked for it.

    ``status``: ``waiting_for_sample`` (humans label the initial random sample), ``training``
    (a round is running), ``labeling`` (rounds machine-label what their model proves it can and
    release the rest to humans), ``complete`` (every object was machine-labeled or released),
    ``stopped_by_audit``, ``switched_off``, ``too_small`` (below the documented minimum: the job
    runs without automation); ``reason`` says why in words."""

    class Status(models.TextChoices):
        WAITING_FOR_SAMPLE = "waiting_for_sample"
        TRAINING = "training"
        LABELING = "labeling"
        COMPLETE = "complete"
        STOPPED_BY_AUDIT = "stopped_by_audit"
        SWITCHED_OFF = "switched_off"
        TOO_SMALL = "too_small"

    ACTIVE_STATUSES = (Status.WAITING_FOR_SAMPLE, Status.TRAINING, Status.LABELING)

    job = models.OneToOneField(LabelingJob, on_delete=models.PROTECT, related_name="automation")
    target_accuracy = models.FloatField()
    embedding_key = models.CharField(max_length=255, blank=True)
    prediction_key = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.WAITING_FOR_SAMPLE)
    reason = models.TextField(blank=True)
    # A chained job's copy of its source job's last model (``model.npz``; the card beside it as
    # ``.json``): the job's first round scores with it instead of training (docs/labeling.md,
    # "Chaining"). Blank: the job trains its own from the start.
    starting_model_uri = models.CharField(max_length=1024, blank=True)
    rounds = models.PositiveIntegerField(default=0)
    # Human labels (non-gold objects) when the last round trained: the next trains after more.
    trained_on = models.PositiveIntegerField(default=0)
    threshold = models.FloatField(null=True, blank=True)
    validated_accuracy = models.FloatField(null=True, blank=True)
    accuracy_lower_bound = models.FloatField(null=True, blank=True)
    validation_size = models.PositiveIntegerField(default=0)
    audited = models.PositiveIntegerField(default=0)
    audit_agreed = models.PositiveIntegerField(default=0)
    # What the machine-labeled objects would have cost at workers_per_object (price plus fee).
    saved_micros = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"automation of job {self.job_id}: {self.status}"


class AutomationRound(models.Model):
    """One round of a job's automated labeling, kept for the record and the portal's chart:
    the labels each side had when it ran, what its model proved, and what it did."""

    automation = models.ForeignKey(JobAutomation, on_delete=models.PROTECT, related_name="round_rows")
    number = models.PositiveIntegerField()
    ran_at = models.DateTimeField()
    trained_on = models.PositiveIntegerField()
    threshold = models.FloatField(null=True, blank=True)
    validated_accuracy = models.FloatField()
    accuracy_lower_bound = models.FloatField()
    validation_size = models.PositiveIntegerField()
    machine_labeled = models.PositiveIntegerField()  # by this round
    audit_picked = models.PositiveIntegerField()
    released = models.PositiveIntegerField()
    # The job's totals just after the round (the chart's points).
    human_labeled_total = models.PositiveIntegerField()
    machine_labeled_total = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["automation", "number"], name="one_row_per_round")]


class WorkerGoldTally(models.Model):
    """One worker's answers on a job's gold objects counted against the truth
    (``task_types.GoldTally``, from ``Consolidation.worker_gold``), rewritten by each
    consolidation pass. Summed over a worker's earlier jobs of the same task type and label
    categories, it is the error pattern their record carries into a new job's consolidation
    (docs/consolidation.md): recall over every true object, strays per item and the decoys
    among them (strays another annotator drew alike) for boxes and spans, the lean of their
    outlines for masks."""

    job = models.ForeignKey(LabelingJob, on_delete=models.PROTECT, related_name="worker_gold_tallies")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="gold_tallies")
    items = models.PositiveIntegerField()
    true_objects = models.PositiveIntegerField(default=0)  # GoldTally.objects (``objects`` is the manager)
    found = models.PositiveIntegerField(default=0)
    found_exact = models.PositiveIntegerField(default=0)
    drawn = models.PositiveIntegerField(default=0)
    drawn_stray = models.PositiveIntegerField(default=0)
    drawn_inexact = models.PositiveIntegerField(default=0)
    drawn_shared = models.PositiveIntegerField(default=0)
    shared_by = models.PositiveIntegerField(default=0)
    peers = models.PositiveIntegerField(default=0)
    area_error = models.FloatField(default=0.0)
    boundary = models.FloatField(default=0.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "worker"], name="one_gold_tally_per_worker_job")]

    def __str__(self) -> str:
        return f"gold tally of worker {self.worker_id} in job {self.job_id}"
