from django.db import models
from django.db.models import F, Q

from .organizations import Organization
from .workers import Worker
from .workteams import Workteam

MAX_SLOTS_PER_TASK = 50


class Batch(models.Model):
    """A requester's group of tasks posted together; carries the policies every task follows."""

    class AutoApprovalPolicy(models.TextChoices):
        # Approve every submitted answer once the delay passes. Disagreeing with the crowd is
        # never by itself a reason to withhold pay (DESIGN.md "State machines").
        APPROVE_ALL = "approve_all"
        # Reject (with feedback explaining it) an answer that failed its gold check; approve the rest.
        REJECT_GOLD_FAILURES = "reject_gold_failures"

    requester = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="batches")
    workteam = models.ForeignKey(Workteam, on_delete=models.PROTECT, related_name="batches")
    auto_approval_delay_seconds = models.PositiveIntegerField()
    auto_approval_policy = models.CharField(
        max_length=32, choices=AutoApprovalPolicy.choices, default=AutoApprovalPolicy.APPROVE_ALL
    )
    # min_gold_accuracy, min_gold_answers, exclude_answers, min_seconds_per_assignment (docs/quality.md)
    quality_rules = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    # A batch another service manages (a labeling job's): the tasks API adds no tasks to it.
    is_sealed = models.BooleanField(default=False)
    # The platform fee, fixed when the batch is posted (DESIGN.md "Money"): per assignment,
    # max(fee_minimum, round_half_up(price × fee_rate)), the rate in parts per million.
    fee_rate_ppm = models.PositiveIntegerField(default=0)
    fee_minimum_micros = models.BigIntegerField(default=0)
    # On a vendor workteam, the offering's price when the batch was posted: every task of the
    # batch costs it (plus the fee), and the vendor earns it. Null elsewhere (the task's reward).
    vendor_price_micros = models.BigIntegerField(null=True, blank=True)
    # [{"qualification_type_id", "comparator", "values"}] (marketplace.services.requirements);
    # the flag lets a claim skip the requirements check with one cheap indexed query.
    qualification_requirements = models.JSONField(default=list, blank=True)
    has_requirements = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["workteam"], condition=Q(has_requirements=True, is_active=True), name="batch_with_requirements"
            ),
        ]


class Task(models.Model):
    """The unit of work offered to workers, wanting answers from ``slots`` distinct workers.

    ``slots_used`` counts live, submitted and settled assignments (rule 2 holds by a check
    constraint on it); ``slots_submitted`` counts submitted and settled ones, ``slots_settled``
    approved and rejected ones. ``requester`` and ``workteam`` repeat the batch's so the claim
    query reads one table.

    Escrow (``marketplace.services.escrow``): each assignment costs ``reward_micros`` (the price)
    plus ``fee_micros``; ``escrow_slots`` such costs are held in the batch's escrow account for
    this task. ``reserve_slots`` is the worst case the task was posted for (more than ``slots``
    when dynamic redundancy may add slots).
    """

    class Status(models.TextChoices):
        OPEN = "open"
        FULL = "full"
        COMPLETE = "complete"
        EXPIRED = "expired"
        STOPPED = "stopped"
        # Posted and paid for (escrow reserved as for an open task) but not offered yet: never
        # claimed, never expired, until ``services.batches.tasks_release`` opens it (a streaming
        # labeling job's objects beyond its concurrency limit; automated labeling's wait).
        HELD = "held"

    class TaskType(models.TextChoices):
        CUSTOM = "custom"
        # A Mechanical Turk Question (HTMLQuestion, ExternalQuestion, QuestionForm): marketplace.questions
        MTURK_QUESTION = "mturk_question"

    # No index of their own: task_by_batch and task_by_requester start with them (every index
    # costs each task write not updated in place an entry; a claim and a submit each write one).
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="tasks", db_index=False)
    requester = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="tasks", db_index=False)
    workteam = models.ForeignKey(Workteam, on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Free text: "custom" from the tasks API, or a type another app registered (marketplace.task_types).
    task_type = models.CharField(max_length=40, default=TaskType.CUSTOM)
    input = models.JSONField(default=dict)
    answer_schema = models.JSONField(null=True, blank=True)
    labels = models.JSONField(default=list)
    # A gold task's known answer (never shown to workers): submissions to it are checked against it.
    gold_answer = models.JSONField(null=True, blank=True)
    instructions = models.TextField(blank=True)
    slots = models.PositiveSmallIntegerField()
    slots_used = models.PositiveSmallIntegerField(default=0)
    slots_submitted = models.PositiveSmallIntegerField(default=0)
    reward_micros = models.BigIntegerField()
    fee_micros = models.BigIntegerField(default=0)
    reserve_slots = models.PositiveSmallIntegerField(default=0)
    escrow_slots = models.PositiveSmallIntegerField(default=0)
    slots_settled = models.PositiveSmallIntegerField(default=0)
    assignment_duration_seconds = models.PositiveIntegerField()
    lifetime_seconds = models.PositiveIntegerField()
    expires_at = models.DateTimeField()
    priority = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The requester's own bookkeeping of its review (MTurk's Reviewing HIT status,
    # services.task_review): no effect on dispatch or money.
    is_under_review = models.BooleanField(default=False)
    # Set when the requester disposed of the task (MTurk's DeleteHIT): it is kept (its
    # assignments and ledger rows point at it) but left out of MTurk's ListHITs.
    disposed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(slots__gte=1, slots__lte=MAX_SLOTS_PER_TASK), name="task_slots_range"),
            models.CheckConstraint(condition=Q(slots_used__lte=F("slots")), name="task_slots_used_within_slots"),
            models.CheckConstraint(
                condition=Q(slots_submitted__lte=F("slots_used")), name="task_submitted_within_used"
            ),
            models.CheckConstraint(condition=Q(priority__lte=100), name="task_priority_range"),
            models.CheckConstraint(
                condition=Q(slots_settled__lte=F("slots_submitted")), name="task_settled_within_submitted"
            ),
            models.CheckConstraint(condition=Q(escrow_slots__lte=MAX_SLOTS_PER_TASK), name="task_escrow_slots_range"),
        ]
        indexes = [
            # The claim walks one requester's open work, highest priority then oldest first.
            models.Index(
                F("requester"),
                F("priority").desc(),
                F("id"),
                condition=Q(status="open"),
                name="task_open_queue",
            ),
            models.Index(fields=["expires_at"], condition=Q(status__in=["open", "full"]), name="task_live_expiry"),
            # "Has this workteam any open work?" (the realtime dispatcher's timer asks it)
            models.Index(fields=["workteam"], condition=Q(status="open"), name="task_open_by_workteam"),
            models.Index(fields=["requester", "id"], name="task_by_requester"),
            models.Index(fields=["batch", "id"], name="task_by_batch"),
            # "Has this batch open work?" (which batches with requirements a claim must check)
            models.Index(fields=["batch"], condition=Q(status="open"), name="task_open_by_batch"),
        ]


class RequesterDispatchState(models.Model):
    """When a requester's work was last handed out: requesters are served least recently first."""

    requester = models.OneToOneField(Organization, primary_key=True, on_delete=models.PROTECT)
    last_served_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["last_served_at"], name="dispatch_state_by_served")]


class Assignment(models.Model):
    """One worker's claim on one task (DESIGN.md "State machines")."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted"
        SUBMITTED = "submitted"
        APPROVED = "approved"
        REJECTED = "rejected"
        RETURNED = "returned"
        EXPIRED = "expired"

    # No index of their own: one_assignment_per_worker_per_task and assignment_by_worker_status
    # start with them (as for Task's batch and requester).
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="assignments", db_index=False)
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="assignments", db_index=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACCEPTED)
    answer = models.JSONField(null=True, blank=True)
    feedback = models.TextField(blank=True)
    accepted_at = models.DateTimeField()
    deadline = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    auto_approve_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    # Quality control (marketplace.services.quality): the gold check's outcome (null: not a
    # gold task) and why the answer was flagged for review ("" when not flagged).
    gold_correct = models.BooleanField(null=True, blank=True)
    flagged_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            # Rule 1: a worker holds at most one assignment per task, ever.
            models.UniqueConstraint(fields=["task", "worker"], name="one_assignment_per_worker_per_task"),
        ]
        indexes = [
            models.Index(fields=["worker", "status"], name="assignment_by_worker_status"),
            models.Index(fields=["deadline"], condition=Q(status="accepted"), name="assignment_live_deadline"),
            models.Index(fields=["auto_approve_at"], condition=Q(status="submitted"), name="assignment_auto_approval"),
        ]

    LIVE_STATUSES = (Status.ACCEPTED,)
    SLOT_HOLDING_STATUSES = (Status.ACCEPTED, Status.SUBMITTED, Status.APPROVED, Status.REJECTED)


class TaskWorkerExclusion(models.Model):
    """A worker who may never be offered this task (a review task over an annotation the
    worker made: a worker never verifies or adjusts its own work). Written with the tasks, read
    by dispatch's eligibility rule as one anti-join; the unique pair's index (task first)
    serves it."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="worker_exclusions")
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="task_exclusions")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "worker"], name="one_exclusion_per_task_worker")]
