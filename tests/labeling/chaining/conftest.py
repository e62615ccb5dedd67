"""Fixtures of the chaining tests: the test's bucket, registered for the requester, and workers
without rate limits."""

from __future__ import annotations

import pytest

from labeling.services.storage_registration import storage_register


@pytest.fixture
def bucket(s3, requester):
    """The test's bucket, registered whole for ``requester``."""
    storage_register(organization=requester.organization, uri_prefix=s3.uri())
    return s3


@pytest.fixture(autouse=True)
def _fast_workers(settings):
    """Simulated workers answer many tasks a second: no rate limit gets in the way; the output
    is written once, at the end."""
    settings.GROUNDWORK = {
        **settings.GROUNDWORK,
        "WORKER_RATE_PER_SECOND": 1e6,
        "WORKER_RATE_BURST": 10**6,
        "LABELING_OUTPUT_REFRESH_SECONDS": 3600,
    }
