"""Reading a round's images on threads gives every thread's database connection back to the pool
(a leak failed digits jobs by their third round on PostgreSQL: bench/automation.py)."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np
import pytest
from django.conf import settings
from django.db import connection
from PIL import Image

from labeling.automation import FeatureSpec
from labeling.services.automation_features import READ_THREADS, _image_rows
from labeling.services.storage_registration import storage_register
from tests.conftest import is_postgres

pytestmark = pytest.mark.django_db(transaction=True)  # the reading threads must see the rows


def _png(value: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((8, 8), value, dtype=np.uint8), mode="L").save(buffer, "PNG")
    return buffer.getvalue()


def test_rounds_of_image_reading_do_not_hold_connections(make_requester):
    if not is_postgres():
        pytest.skip("the connection pool is PostgreSQL's")
    # given: a requester's registered folder with more images than reading threads
    requester = make_requester()
    folder = f"feature-reading-{requester.organization.pk}/"
    storage_register(organization=requester.organization, uri_prefix=f"file://{folder}")
    for index in range(READ_THREADS + 4):
        (settings.STORAGE_ROOT / folder / f"{index}.png").write_bytes(_png(index * 10))
    lines = [(index, f'{{"source-ref": "file://{folder}{index}.png"}}') for index in range(READ_THREADS + 4)]
    pool = connection.pool
    # when: more rounds than the pool could lend each round's threads a connection for good
    rounds = pool.max_size // READ_THREADS + 2
    for number in range(rounds):
        job = SimpleNamespace(pk=-1000 - number, requester=requester.organization)  # a fresh image cache each round
        rows = _image_rows(job, FeatureSpec("image"), lines)
        # then: every image was read, and no reading thread kept its connection
        assert len(rows.pks) == READ_THREADS + 4
        stats = pool.get_stats()
        assert stats["pool_size"] - stats["pool_available"] <= 1, (number, stats)
