"""One round of a job's automated labeling (docs/automation.md, "Rounds").

A round trains on the human-consolidated labels (weighted by their calibrated confidence), lets
``labeling.automation.run_round`` calibrate and pick the threshold whose validated accuracy's
95% lower bound reaches the target, and then, in one transaction under the job row's lock:

- releases to humans an audit share of the objects above the threshold, the next objects by
  uncertainty (most uncertain first, and first in the claim order through task priority), the
  objects without usable features, and gold in proportion;
- machine-labels the other objects above the threshold: their held tasks close early (their
  escrow goes back at once) and each object gets the model's label, its calibrated confidence
  and the round's number;
- records the round.

Only held tasks are machine-labeled: no worker ever saw them, so no answer can arrive for an
object after the machine labeled it. A round that dies before its commit leaves nothing behind
but the ``training`` status; the next pass runs it again (the round number is checked under
the lock, so two never both apply).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import numpy as np
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from marketplace.errors import DomainError
from marketplace.locking import locked_steering_job
from marketplace.models import Task
from marketplace.services.batches import tasks_close_early
from marketplace.services.task_steering import tasks_prioritize

from ..automation import MIN_OBJECTS, RoundResult, audit_size, round_release_size, run_round
from ..models import AutomationRound, DataObject, JobAutomation, LabelingJob
from ..storage import access_storage
from .automation_features import feature_spec, object_features
from .automation_release import gold_share, release
from .chaining import chain_starting_model_load

logger = logging.getLogger(__name__)

Status = JobAutomation.Status
MIN_TRAINING_LABELS = 30
# Of the objects a round gives humans, this share is drawn at random (they may validate later
# rounds); the rest are the most uncertain (they only train: no random sample of the pool).
RANDOM_RELEASE_SHARE = 0.2
PRIORITY_LEVELS = 10
PROBABILITY_DECIMALS = 6


def retrain_every(objects_total: int) -> int:
    """New human labels between two rounds: half the work a round queues for humans, so the
    next round comes while humans still have work (``schedule.round_release_size``)."""
    return max(25, round_release_size(objects_total) // 2)


def human_labels(job: LabelingJob) -> int:
    """Non-gold objects labeled by humans (audited ones included)."""
    return DataObject.objects.filter(
        job=job, is_gold=False, status=DataObject.Status.LABELED, is_machine_labeled=False
    ).count()


def round_is_due(job: LabelingJob, automation: JobAutomation, *, humans_idle: bool) -> bool:
    """A round runs when humans have nothing left to do, or (after the initial sample) once
    ``retrain_every`` new human labels came in since the last one: not on every answer."""
    if humans_idle:
        return True
    if automation.status == Status.WAITING_FOR_SAMPLE:
        return False
    return human_labels(job) - automation.trained_on >= retrain_every(job.objects_total)


@dataclass
class _Plan:
    machine: list[tuple[int, int, dict, float]]  # (data object pk, task id, result, confidence)
    uncertain: list[int]  # data object pks released for their uncertainty
    audit: list[tuple[int, int, dict]]  # (pk, task id, the model's result)
    release: list[tuple[int, int]]  # (task id, priority)
    trained_on: int
    outcome: RoundResult | None


def round_run(job: LabelingJob, automation: JobAutomation) -> bool:
    """Run the next round; returns whether it gave humans work."""
    number = automation.rounds + 1
    JobAutomation.objects.filter(pk=automation.pk, status__in=JobAutomation.ACTIVE_STATUSES).update(
        status=Status.TRAINING
    )
    plan = _plan(job, automation, number)
    if plan is None:
        return False
    applied = _apply(job, automation, number, plan)
    if applied and plan.outcome is not None:
        _write_model(job, automation, number, plan.outcome)
    return applied and bool(plan.release)


def _result(probabilities: np.ndarray) -> dict:
    rounded = [round(float(p), PROBABILITY_DECIMALS) for p in probabilities]
    return {"label": int(np.argmax(probabilities)), "probabilities": rounded}


def _plan(job: LabelingJob, automation: JobAutomation, number: int) -> _Plan | None:
    rows = list(
        DataObject.objects.filter(job=job, is_gold=False)
        .order_by("pk")
        .values_list(
            "pk",
            "task_id",
            "task__status",
            "status",
            "result",
            "confidence",
            "is_machine_labeled",
            "source_line",
            "is_uncertainty_pick",
            "audit",
        )
    )
    labeled = [row for row in rows if row[3] == DataObject.Status.LABELED and not row[6] and row[4] is not None]
    candidates = [row for row in rows if row[2] == Task.Status.HELD and row[3] == DataObject.Status.PENDING]
    queued = sum(row[2] in (Task.Status.OPEN, Task.Status.FULL) and row[3] == DataObject.Status.PENDING for row in rows)
    task_of = {row[0]: row[1] for row in candidates}
    train = object_features(job, automation, [(row[0], row[7]) for row in labeled])
    usable = object_features(job, automation, [(row[0], row[7]) for row in candidates])
    if number == 1 and len(train.pks) + len(usable.pks) < MIN_OBJECTS:
        _too_few_features(job, automation, usable=len(train.pks) + len(usable.pks))
        return None
    by_pk = {row[0]: row for row in labeled}
    labels = np.asarray([int(cast(dict, by_pk[pk][4])["label"]) for pk in train.pks], dtype=np.int64)
    weights = np.asarray([float(by_pk[pk][5] or 0.0) for pk in train.pks])
    rng = np.random.default_rng([job.pk, number])
    outcome = None
    if len(train.pks) >= MIN_TRAINING_LABELS and len(np.unique(labels)) >= 2 and usable.pks:
        # A chained job's first round scores with its source's model (docs/labeling.md, "Chaining").
        columns = int(train.matrix.shape[1])  # type: ignore[attr-defined]
        starting = chain_starting_model_load(job, automation, n_columns=columns) if number == 1 else None
        outcome = run_round(
            labeled_features=train.matrix,
            labels=labels,
            weights=weights,
            unlabeled_features=usable.matrix,
            n_classes=len(job.label_categories),
            target_accuracy=automation.target_accuracy,
            rng=rng,
            kind=train.spec.kind,
            # Validation needs a random sample of the pool: objects picked for their uncertainty,
            # and audited ones (machine-qualified, so easy), train but never validate.
            validation_eligible=np.asarray([not by_pk[pk][8] and not by_pk[pk][9] for pk in train.pks], dtype=bool),
            class_names=job.label_categories,
            feature_recipe=feature_spec(job, automation).describe(),
            starting_model=starting,
        )
    machine: list[tuple[int, int, dict, float]] = []
    audit: list[tuple[int, int, dict]] = []
    undecided = np.arange(len(usable.pks))
    if outcome is not None:
        qualified = np.flatnonzero(outcome.machine_label)
        audited = set(rng.choice(qualified, size=audit_size(len(qualified)), replace=False).tolist())
        for i in qualified.tolist():
            pk = usable.pks[i]
            result = _result(outcome.probabilities[i])
            if i in audited:
                audit.append((pk, task_of[pk], result))
            else:
                machine.append((pk, task_of[pk], result, float(outcome.confidence[i])))
        undecided = np.flatnonzero(~np.asarray(outcome.machine_label, dtype=bool))
    # Top the humans' queue up to a round's worth: a share at random, the rest most uncertain.
    wanted = min(len(undecided), max(0, round_release_size(job.objects_total) - queued))
    at_random = wanted if outcome is None else math.ceil(RANDOM_RELEASE_SHARE * wanted)
    random_picks = rng.choice(undecided, size=at_random, replace=False).tolist() if at_random else []
    uncertain_picks: list[int] = []
    if outcome is not None:
        rest = np.setdiff1d(undecided, random_picks)
        order = rest[np.argsort(-np.asarray(outcome.uncertainty)[rest], kind="stable")]
        uncertain_picks = order[: wanted - at_random].tolist()
    chosen = [*uncertain_picks, *random_picks]
    release = [(task_of[usable.pks[i]], _level(rank, len(chosen))) for rank, i in enumerate(chosen)]
    featureless = sorted(set(task_of) - set(usable.pks))
    release += [(task_of[pk], PRIORITY_LEVELS // 2) for pk in featureless]
    release += [(task_id, PRIORITY_LEVELS - 1) for _, task_id, _ in audit]  # the audit's verdict early
    gold = gold_share(job, released=len(release) + len(machine), total=len(rows))
    release += [(task_id, int(rng.integers(PRIORITY_LEVELS))) for task_id in gold]  # gold looks like any task
    return _Plan(
        machine=machine,
        uncertain=[usable.pks[i] for i in uncertain_picks],
        audit=audit,
        release=release,
        trained_on=len(labeled),
        outcome=outcome,
    )


def _level(rank: int, count: int) -> int:
    """Priority level of the ``rank``-th most uncertain of ``count`` objects: top level first."""
    return PRIORITY_LEVELS - 1 - (rank * PRIORITY_LEVELS) // max(count, 1)


def _too_few_features(job: LabelingJob, automation: JobAutomation, *, usable: int) -> None:
    key = automation.prediction_key or automation.embedding_key
    with transaction.atomic():
        locked_steering_job(LabelingJob.objects.filter(pk=job.pk)).values_list("pk").get()
        JobAutomation.objects.filter(pk=automation.pk, status__in=JobAutomation.ACTIVE_STATUSES).update(
            status=Status.TOO_SMALL,
            reason=(
                f"only {usable} objects have usable features (the manifest attribute {key!r})"
                if key
                else f"only {usable} objects could be read for features"
            )
            + f"; automated labeling needs at least {MIN_OBJECTS}, so humans label every object",
            updated_at=timezone.now(),
        )


def _apply(job: LabelingJob, automation: JobAutomation, number: int, plan: _Plan) -> bool:
    """Write the round in one transaction: job row, then tasks (release, priorities, close),
    then the accounts the close releases escrow from; the objects and counters last."""
    batch = job.posted_batch
    now = timezone.now()
    with transaction.atomic():
        stopping = (
            locked_steering_job(LabelingJob.objects.filter(pk=job.pk))
            .values_list("stop_requested", "stopping_condition_met")
            .get()
        )
        current = JobAutomation.objects.get(pk=automation.pk)
        if any(stopping) or current.status not in JobAutomation.ACTIVE_STATUSES or current.rounds != number - 1:
            return False  # stopped, switched off, or another pass applied this round
        released = set(release(batch, [task_id for task_id, _ in plan.release]))
        tasks_prioritize(
            batch=batch,
            priorities={task_id: job.priority + level for task_id, level in plan.release if task_id in released},
        )
        machine_tasks = [task_id for _, task_id, _, _ in plan.machine]
        tasks_close_early(batch=batch, task_ids=machine_tasks)
        closed = set(
            Task.objects.filter(pk__in=machine_tasks, status=Task.Status.COMPLETE, slots_used=0).values_list(
                "pk", flat=True
            )
        )
        machine = [item for item in plan.machine if item[1] in closed]
        _write_objects(number, machine, [item for item in plan.audit if item[1] in released], now)
        DataObject.objects.filter(pk__in=plan.uncertain).update(is_uncertainty_pick=True)
        LabelingJob.objects.filter(pk=job.pk).update(machine_labeled=F("machine_labeled") + len(machine))
        outcome = plan.outcome
        current.rounds = number
        current.trained_on = plan.trained_on
        current.status = Status.LABELING
        if outcome is not None:
            current.threshold = outcome.threshold
            current.validated_accuracy = outcome.validated_accuracy
            current.accuracy_lower_bound = outcome.accuracy_lower_bound
            current.validation_size = outcome.validation_size
        current.reason = _reason(outcome, current.target_accuracy)
        current.saved_micros += len(machine) * job.workers_per_object * slot_cost_micros(job)
        current.save()
        totals = LabelingJob.objects.values_list("human_labeled", "machine_labeled").get(pk=job.pk)
        AutomationRound.objects.create(
            automation=current,
            number=number,
            ran_at=now,
            trained_on=plan.trained_on,
            threshold=None if outcome is None else outcome.threshold,
            validated_accuracy=0.0 if outcome is None else outcome.validated_accuracy,
            accuracy_lower_bound=0.0 if outcome is None else outcome.accuracy_lower_bound,
            validation_size=0 if outcome is None else outcome.validation_size,
            machine_labeled=len(machine),
            audit_picked=len(plan.audit),
            released=len(released),
            human_labeled_total=totals[0],
            machine_labeled_total=totals[1],
        )
    automation.refresh_from_db()
    return True


def _reason(outcome: RoundResult | None, target: float) -> str:
    if outcome is None:
        return "not enough human labels of two or more classes to train yet; humans label the next objects"
    if outcome.threshold is None:
        return (
            f"the model's validated accuracy did not reach {target} at any confidence threshold "
            "(95% lower bound); nothing was machine-labeled this round"
        )
    return (
        f"machine-labeling objects the model is at least {outcome.threshold:.3f} sure of: their accuracy on "
        f"{outcome.validation_size} validation objects is {outcome.validated_accuracy:.3f} "
        f"(95% lower bound {outcome.accuracy_lower_bound:.3f})"
    )


def slot_cost_micros(job: LabelingJob) -> int:
    cost = Task.objects.filter(batch=job.posted_batch).values_list("reward_micros", "fee_micros").first()
    return 0 if cost is None else cost[0] + cost[1]


def _write_objects(
    number: int, machine: list[tuple[int, int, dict, float]], audit: list[tuple[int, int, dict]], now: datetime
) -> None:
    """One prepared UPDATE per object (psycopg pipelines them), each only while the object is
    still pending."""
    field = DataObject._meta.get_field("result")
    table = connection.ops.quote_name(DataObject._meta.db_table)
    with connection.cursor() as cursor:
        if machine:
            cursor.executemany(
                f'UPDATE {table} SET "status" = %s, "result" = %s, "machine_result" = %s, "confidence" = %s, '
                '"is_machine_labeled" = TRUE, "machine_round" = %s, "labeled_at" = %s WHERE "id" = %s AND '
                '"status" = %s',
                [
                    (
                        DataObject.Status.LABELED,
                        field.get_db_prep_save(result, connection),
                        field.get_db_prep_save(result, connection),
                        confidence,
                        number,
                        now,
                        pk,
                        DataObject.Status.PENDING,
                    )
                    for pk, _, result, confidence in machine
                ],
            )
        if audit:
            cursor.executemany(
                f'UPDATE {table} SET "machine_result" = %s, "machine_round" = %s, "audit" = %s WHERE "id" = %s',
                [(field.get_db_prep_save(result, connection), number, "pending", pk) for pk, _, result in audit],
            )


def _write_model(job: LabelingJob, automation: JobAutomation, number: int, outcome: RoundResult) -> None:
    """The round's model beside the output (``<output>/<job>/models/``): ``model.npz`` (numeric
    arrays, readable without pickle) and ``model.json`` (its card, with the job and round). Each
    round overwrites the last, so the job's end leaves its final model. A storage failure is
    logged: the labels do not depend on it."""
    card = {**json.loads(outcome.model.card_json()), "job": job.name, "round": number}
    try:
        root = access_storage(job.requester, job.output_uri, field="output_uri").child(f"{job.name}/models")
        root.child("model.npz").put_bytes(outcome.model.npz_bytes(), content_type="application/octet-stream")
        root.child("model.json").put_bytes(
            json.dumps(card, indent=2, sort_keys=True).encode("utf-8"), content_type="application/json"
        )
    except DomainError as exc:
        logger.warning("labeling job %s: the round %d model was not written: %s", job.pk, number, exc.message)
