"""Fixtures of the review task types' tests (verification, and the helpers' adjustment)."""

from __future__ import annotations

import pytest

from labeling.services.storage_registration import storage_register


@pytest.fixture
def bucket(s3, requester):
    """The test's bucket, registered whole for ``requester``."""
    storage_register(organization=requester.organization, uri_prefix=s3.uri())
    return s3
