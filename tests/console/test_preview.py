"""The portal's "preview as a worker": one task of a job in the console's UI, nothing claimed
or recorded; a vendor previews every object alike, in the job page's order (gold ones too: a
gold task looks like any other); other organizations get the 404."""

from __future__ import annotations

import pytest

from marketplace.models import Assignment, Membership
from tests.portal.conftest import signed_in
from tests.portal.vendor_world import make_vendor, post_job, subscribe

from .conftest import screenshot

LINES = [{"source": "first review: great"}, {"source": "second review: awful"}]
GOLD = [{"source": "GOLD-ONLY object: great", "species": {"label": "cat"}}]


@pytest.mark.django_db
def test_the_requester_previews_a_task_and_nothing_is_recorded(storage_root, make_requester):
    requester = make_requester("Initech")
    job = post_job(requester, None, storage_root, lines=LINES, instructions="Read **carefully**.")
    client = signed_in(requester.admin_username, requester.admin_password)

    job_page = client.get(f"/portal/requester/jobs/{job.pk}")
    first = client.get(f"/portal/requester/jobs/{job.pk}/preview")
    second = client.get(f"/portal/requester/jobs/{job.pk}/preview?n=2")

    assert f'href="/portal/requester/jobs/{job.pk}/preview"' in job_page.content.decode()
    assert first.status_code == 200 and "first review: great" in first.content.decode()
    assert "second review: awful" in second.content.decode()
    assert "unsafe-inline" not in first["Content-Security-Policy"]
    assert "script-src 'self'" in first["Content-Security-Policy"]
    assert Assignment.objects.count() == 0


@pytest.mark.django_db
def test_a_vendor_previews_every_object_alike_in_task_order(storage_root, make_requester):
    requester, other = make_requester("Initech"), make_requester("Other")
    vendor = make_vendor()
    subscribe(requester, vendor)
    job = post_job(requester, vendor, storage_root, lines=LINES, gold_lines=GOLD)
    vendor_client = vendor.client()
    Membership.objects.filter(user__username=vendor.created.admin_username).update(password_change_required=False)

    pages = [vendor_client.get(f"/portal/vendor/jobs/{job.pk}/preview?n={n}").content.decode() for n in (1, 2, 3, 9)]
    foreign = signed_in(other.admin_username, other.admin_password).get(f"/portal/requester/jobs/{job.pk}/preview")

    order = [item.task.input["source"] for item in job.data_objects.select_related("task").order_by("task_id")]
    assert [next(text for text in order if text in page) for page in pages] == [*order, order[-1]]
    assert all("gold" not in page.lower().replace("gold-only", "") for page in pages)  # nothing marks it
    assert foreign.status_code == 404
    assert Assignment.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_preview_renders_the_console_element_in_the_browser(
    console_server, console_page, make_requester, storage_root
):
    # given: a requester's job, its admin signed in to the portal
    requester = make_requester("Initech")
    job = post_job(requester, None, storage_root, lines=LINES, instructions="Pick the **animal**.")
    Membership.objects.filter(user__username=requester.admin_username).update(password_change_required=False)
    page = console_page
    page.goto("/portal/login")
    page.fill("#id_username", requester.admin_username)
    page.fill("#id_password", requester.admin_password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/requester/")

    # when: it opens the preview from the job page and answers by keyboard
    page.goto(f"/portal/requester/jobs/{job.pk}")
    page.click("#preview-link")
    page.console_errors.clear()  # the portal's own pages have no favicon (a 404 logged)
    page.wait_for_selector("#task-ui gw-classifier")
    page.keyboard.press("2")
    page.keyboard.press("Enter")

    # then: the answer it would send is shown; nothing was claimed or recorded
    page.wait_for_selector("#answer:not([hidden])")
    assert '"label": "dog"' in page.locator("#answer").inner_text()
    assert page.locator("#instructions-body strong").inner_text() == "animal"
    screenshot(page, "portal-preview")
    assert Assignment.objects.count() == 0
    assert page.console_errors == []
