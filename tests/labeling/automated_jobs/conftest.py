"""Fixtures of the automated labeling tests: the storage bucket and workers without rate limits."""

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
    """A simulated worker answers hundreds of tasks in a second: no rate limit gets in the way."""
    settings.GROUNDWORK = {
        **settings.GROUNDWORK,
        "WORKER_RATE_PER_SECOND": 1e6,
        "WORKER_RATE_BURST": 10**6,
        "LABELING_OUTPUT_REFRESH_SECONDS": 3600,  # written once, at the end
    }
