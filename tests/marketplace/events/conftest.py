"""Webhook tests: a real receiver on 127.0.0.1 (``receiver.Receiver``), with the operator's
settings that allow it (plain HTTP, the loopback network) and retry delays short enough to
watch. Senders run on their own threads with their own connections, so delivery tests use
transactional databases."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator

import pytest

from marketplace import background
from marketplace.encryption import encrypt_secret
from marketplace.events.outbox import forget_subscriptions
from marketplace.events.signing import new_secret
from marketplace.events.sweep import senders, webhooks_sweep
from marketplace.models import Organization, WebhookEndpoint

from .receiver import Receiver


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.05
    settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS = 0.2
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    forget_subscriptions()
    yield settings
    # Let this test's senders finish before its rows go.
    end = time.monotonic() + 15
    while not senders.idle() and time.monotonic() < end:
        time.sleep(0.02)
    forget_subscriptions()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def make_endpoint(
    organization: Organization, url: str, *, events: list[str] | None = None
) -> tuple[WebhookEndpoint, str]:
    """An active endpoint and its signing secret (as the API shows it once)."""
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        organization=organization, url=url, events=events or ["*"], secret_encrypted=encrypt_secret(secret)
    )
    return endpoint, secret


def deliver_until(done: Callable[[], bool], *, timeout: float = 15.0) -> bool:
    """Run the webhook sweep (what beat or the in-process loop does every few seconds) until
    ``done()`` holds or ``timeout`` passes."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        webhooks_sweep()
        if done():
            return True
        time.sleep(0.05)
    return done()


def run_nudges() -> int:
    """Run the webhook jobs that commits queued for the in-process worker (which tests do not
    start), as that worker would; other queued work is left out. Returns how many ran."""
    ran = 0
    while True:
        try:
            job, args = background._queue.get_nowait()
        except queue.Empty:
            return ran
        if job.name.startswith("marketplace.events."):
            job(*args)
            ran += 1
