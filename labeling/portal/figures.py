"""Every figure the portal shows, named once and defined once in words.

A figure is computed by exactly one selector and every page that shows it calls that selector:

- objects labeled, answers submitted / wanted, live, backlog, answers in the last hour and day:
  ``labeling.selectors.progress.job_progress``, over ``marketplace.selectors.batches.
  batch_answers`` (which the vendor dashboard's rows and the requester's batch list read too);
- labeled objects per label, confidence of labeled objects: ``labeling.selectors.objects.
  label_counts``, ``labeling.selectors.objects.confidence_histogram``;
- per worker in a job (answers, approval rate, gold and estimated accuracy in the job):
  ``labeling.selectors.progress.worker_contributions``;
- a worker's quality score and approval rate over all its work: ``marketplace.selectors.
  reputation.worker_reputation_values`` (both team pages; the API's ``score.low`` and
  ``approval_rate``);
- a vendor team's answers per hour, in the last hour and the last day:
  ``marketplace.selectors.vendors.vendor_throughput`` (the card and the chart);
- a requester's balance: ``marketplace.selectors.ledger.requester_balance`` (as
  ``GET /api/v1/balance``);
- a job's automated labeling (status, proof, audit, money saved, labels over time, rounds):
  ``labeling.selectors.automation`` (as the API's ``automated_labeling``).

``DEFINITIONS`` holds what each measures, as the pages print it (``{% definition "name" %}``):
a reader never has to guess whether two numbers with the same name are the same thing.
"""

from __future__ import annotations

DEFINITIONS: dict[str, str] = {
    "objects_labeled": (
        "Objects labeled: input objects whose consolidated label is final, of all the objects in the input "
        "manifest (gold checks are not counted)."
    ),
    "answers": (
        "Answers submitted of the answers wanted: each task asks for answers from a number of different "
        "workers (its slots); gold checks are tasks too."
    ),
    "backlog": "Answers still to come: the free and claimed slots of tasks still open.",
    "labels": (
        "Labeled objects per label: objects whose label is final (objects still collecting answers are not "
        "counted); an object with several labels counts once for each."
    ),
    "confidence": (
        "Confidence: the calibrated probability that an object's consolidated label is right, from the "
        "answers and how reliable each worker proved. One bar per tenth, labeled objects only."
    ),
    "quality_score": (
        "Quality score: a cautious estimate of how often the worker is right, over all its work (gold "
        "checks, agreement with consolidated labels, reviews): the low end of the range the evidence "
        "supports with 95 % certainty, so a worker with few answers scores low until it has more."
    ),
    "approval_rate": (
        "Approval rate: approved answers of the worker's reviewed answers (automatic approval included), "
        "over all its work. It tells whether the worker was paid, not whether it was right."
    ),
    "estimated_accuracy": (
        "Estimated accuracy in this job: the share of the worker's answers in this job that consolidation "
        "believes right, from how often it agrees with the consolidated labels (and gold checks)."
    ),
    "gold_accuracy": "Gold accuracy in this job: correct answers to gold checks, of those the worker answered.",
    "approval_rate_in_job": "Approval rate in this job: approved answers of the worker's reviewed answers in this job.",
    "throughput": (
        "Answers your workers submitted on every job and batch (finished ones included) in each of the last "
        "24 hours; the last bar is the last hour."
    ),
    "balance_available": "Available: money you can spend on new work and bonuses.",
    "balance_on_hold": (
        "On hold: money reserved in escrow for work you posted (every slot that can still be answered, at "
        "price plus fee); it is spent as answers are approved and released when slots cannot be filled."
    ),
}


def definition(name: str) -> str:
    """The words for figure ``name`` (a ``KeyError`` for a figure nobody defined)."""
    return DEFINITIONS[name]
