"""Helpers shared by the tests of this package (test_storage.py, split by topic)."""

from __future__ import annotations

from labeling.models import StorageLocation
from labeling.services.storage_registration import storage_register

MiB = 1024 * 1024


def register(organization, uri_prefix: str, **credentials) -> StorageLocation:
    return storage_register(organization=organization, uri_prefix=uri_prefix, **credentials)
