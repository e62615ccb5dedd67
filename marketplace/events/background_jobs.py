"""Celery jobs of the webhooks: thin wrappers over ``delivery``, taking ids, safe to
run twice and in several workers at once (``marketplace.background_jobs`` imports them so
Celery's discovery finds them; ``CELERY_BEAT_SCHEDULE`` names the sweep)."""

from celery import shared_task

from ..background import sweep_report_log
from .sweep import webhooks_deliver, webhooks_sweep


@shared_task(name="marketplace.events.background_jobs.deliver_webhooks", ignore_result=True)
def deliver_webhooks(*endpoint_ids: int) -> int:
    """Fan out new events and start their senders (on this process's sender threads), and
    senders for ``endpoint_ids`` (deliveries made due again: a redelivery, an endpoint enabled)."""
    return webhooks_deliver(endpoint_ids=endpoint_ids)


@shared_task(name="marketplace.events.background_jobs.sweep_webhooks", ignore_result=True)
def sweep_webhooks() -> dict:
    report = webhooks_sweep()
    sweep_report_log("webhooks", report)
    return vars(report)
