"""Custom-template tests: the requester's hooks on a real HTTP server on 127.0.0.1, with the
operator settings that let hooks go there (as webhook tests do) and retries short enough to watch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labeling.services.storage_registration import storage_register

from .hook_server import HookServer


@pytest.fixture
def hook_settings(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.LABELING_HOOK_ATTEMPTS = 3
    settings.LABELING_HOOK_RETRY_BASE_SECONDS = 0.01
    settings.LABELING_HOOK_TIMEOUT_SECONDS = 0.5
    return settings


@pytest.fixture
def hooks(hook_settings) -> Iterator[HookServer]:
    with HookServer() as server:
        yield server


@pytest.fixture
def bucket(s3, requester):
    storage_register(organization=requester.organization, uri_prefix=s3.uri())
    return s3
