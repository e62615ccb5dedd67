"""A streaming labeling job's page in a real browser: where its objects come from."""

from __future__ import annotations

import pytest

from marketplace.models import Membership
from tests.labeling.streaming.helpers import add_ok, register, start, text

from .test_requester_browser import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_streaming_jobs_page_says_where_its_objects_come_from(
    page, live_server, screenshot_dir, make_requester, storage_root
):
    # given: a streaming job watching a prefix, with three objects in
    acme = make_requester("Acme ML")
    Membership.objects.filter(user__username=acme.admin_username).update(password_change_required=False)
    register(acme)
    job = start(acme, name="reviews-live", max_concurrent_task_count=2, input_watch_uri="file://acme/inbox/")
    add_ok(acme, job["id"], [text(i) for i in range(3)])

    # when
    sign_in(page, acme.admin_username, acme.admin_password)
    page.goto(f"/portal/requester/jobs/{job['id']}")
    page.screenshot(path=str(screenshot_dir / "requester-streaming-job.png"), full_page=True)

    # then
    body = page.inner_text("main")
    assert "Input: streaming, objects added over the API and from new files under file://acme/inbox/" in body
    assert "at most 2 out at once" in body
