"""Fixtures shared by the tests of this package."""

from __future__ import annotations

import pytest

from labeling.services.storage_registration import storage_register


@pytest.fixture
def bucket(s3, requester):
    """The test's bucket, registered whole for ``requester``."""
    storage_register(organization=requester.organization, uri_prefix=s3.uri())
    return s3


@pytest.fixture
def unreachable_s3(settings):
    """S3 settings pointing at a closed port: any S3 request would fail, so a test that passes
    with them shows that no S3 request was needed."""
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"
    settings.AWS_ACCESS_KEY_ID = "testing"
    settings.AWS_SECRET_ACCESS_KEY = "testing"
