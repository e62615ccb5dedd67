"""Fixtures of the webhook API tests: receivers on this machine allowed, one running."""

from __future__ import annotations

import pytest

from marketplace.events.outbox import forget_subscriptions
from tests.marketplace.events.receiver import Receiver


@pytest.fixture(autouse=True)
def local_receivers(settings):
    """Plain HTTP to 127.0.0.0/8 allowed, as ``./scripts/serve`` allows it (docs/webhooks.md)."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    forget_subscriptions()
    yield
    forget_subscriptions()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running
