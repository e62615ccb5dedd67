"""Fixtures shared by the tests of this package."""

from __future__ import annotations

import pytest


@pytest.fixture
def organization(requester):
    return requester.organization
