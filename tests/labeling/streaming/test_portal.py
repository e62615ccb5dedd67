"""A streaming job's page in the requester portal says where its objects come from."""

from __future__ import annotations

import pytest

from tests.portal.requester_factories import admin_client

from .helpers import add_ok, register, start, text

pytestmark = pytest.mark.django_db


def test_the_job_page_describes_a_streaming_jobs_input(make_requester, storage_root):
    # given
    requester = make_requester()
    register(requester)
    job = start(requester, max_concurrent_task_count=7, input_watch_uri="file://acme/inbox/")
    add_ok(requester, job["id"], [text(0)])

    # when
    page = admin_client(requester).get(f"/portal/requester/jobs/{job['id']}").content.decode()

    # then
    assert (
        "Input: streaming, objects added over the API and from new files under <code>file://acme/inbox/</code>; "
        "at most 7 out at once"
    ) in page
