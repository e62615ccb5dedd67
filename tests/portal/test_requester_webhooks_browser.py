"""In headless Chromium: a requester admin adds a webhook endpoint for a real receiver on
127.0.0.1 (the secret shown once), sees a refused URL explained on its field, watches the
delivery log fill (a failure, then a success) with each attempt, redelivers an event, rotates
the secret, disables and enables the endpoint, redelivers since a time and deletes it. Each
step's page is saved to the screenshot folder (``portal-requester-webhooks*.png``) and checked
as every portal page is (nothing wider than the window, no figure wrapping)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from marketplace.events.endpoints import endpoint_secrets
from marketplace.models import Delivery, Membership, WebhookEndpoint
from tests.marketplace.events.receiver import Receiver, Reply
from tests.marketplace.webhook_api.helpers import emit, send_now

from .test_portal_screenshots import WIDTH, look

pytestmark = pytest.mark.django_db(transaction=True)


def off_the_page_thread(work: Callable[[], object]) -> None:
    """Run ``work`` (the arrangement a test makes: events written and sent) on a thread of its
    own, as the portal screenshots build their world: Playwright runs an event loop on this one."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # reported on the test's thread
            failures.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not failures, failures


def test_a_requester_manages_a_webhook_endpoint_in_the_portal(
    browser, live_server, screenshot_dir, settings, make_requester
):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    acme = make_requester("Acme ML")
    Membership.objects.filter(user__username=acme.admin_username).update(password_change_required=False)
    context = browser.new_context(base_url=live_server.url, viewport={"width": WIDTH, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/portal/login")
    page.fill("#id_username", acme.admin_username)
    page.fill("#id_password", acme.admin_password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/requester/")

    with Receiver() as receiver:
        # the empty page, reached from the navigation
        page.click("header nav >> text=Webhooks")
        page.wait_for_url("**/portal/requester/webhooks")
        assert "No webhook endpoints yet" in look(page, screenshot_dir, "requester-webhooks-empty")

        # a URL on a private address is refused on its field, nothing added
        page.fill("#id_url", "https://10.0.0.7/hooks")
        page.check("#new-endpoint input[value='task.completed']")
        page.click("#new-endpoint button[type=submit]")
        page.wait_for_selector("#field-url.has-error")
        errors = look(page, screenshot_dir, "requester-webhooks-refused")
        assert "resolves to 10.0.0.7, a private address" in errors
        assert WebhookEndpoint.objects.count() == 0

        # when: the admin adds the receiver for completed tasks and approved answers
        page.fill("#id_url", receiver.url())
        page.check("#new-endpoint input[value='assignment.approved']")
        page.fill("#id_description", "label pipeline")
        page.click("#new-endpoint button[type=submit]")
        page.wait_for_selector("#new-secret")
        # then: the secret, once
        secret = page.inner_text("#secret-value").strip()
        endpoint = WebhookEndpoint.objects.get()
        assert secret.startswith("whsec_") and endpoint_secrets(endpoint) == [secret]
        assert endpoint.events == ["task.completed", "assignment.approved"]
        text = look(page, screenshot_dir, "requester-webhooks-added")
        assert "label pipeline" in text and "Active" in text
        page.goto("/portal/requester/webhooks")
        assert secret not in page.content()

        # and events arrive: the first fails once, then both are delivered
        receiver.script("/hook", Reply(500, body=b'{"ok": false, "reason": "database busy"}'))

        def deliver() -> None:
            emit(acme.organization.pk, "task.completed", key="task:1", id=1, title="Cat or dog?")
            emit(acme.organization.pk, "assignment.approved", key="assignment:9", id=9)
            send_now(endpoint.pk)
            Delivery.objects.filter(status=Delivery.Status.PENDING).update(next_attempt_at=endpoint.created_at)
            send_now(endpoint.pk)

        off_the_page_thread(deliver)
        assert sorted(Delivery.objects.values_list("status", flat=True)) == ["succeeded", "succeeded"]
        page.click(f"#endpoints a[href$='/webhooks/{endpoint.pk}']")
        page.wait_for_selector("#deliveries")
        text = look(page, screenshot_dir, "requester-webhook-endpoint")
        assert "HTTP 500" in text and "HTTP 200" in text and "database busy" in text
        assert page.inner_text("[data-figure=delivered]") == "2"

        # redeliver one event
        first_event = Delivery.objects.order_by("pk").first().event
        page.click(f"tr[data-event-id='{first_event.public_id}'] button:has-text('Redeliver')")
        page.wait_for_selector("text=will be sent again")
        assert Delivery.objects.get(event=first_event).status == Delivery.Status.PENDING

        # rotate the secret, keeping the old one a day
        page.select_option("#rotate select", str(24 * 3600))
        page.click("#rotate button[type=submit]")
        page.wait_for_selector("#new-secret")
        rotated = page.inner_text("#secret-value").strip()
        endpoint.refresh_from_db()
        assert rotated != secret and endpoint_secrets(endpoint) == [rotated, secret]
        text = look(page, screenshot_dir, "requester-webhook-rotated")
        assert "signed with both the new and the old secret" in text

        # disable, then enable
        page.click("#endpoint-actions button:has-text('Disable')")
        page.wait_for_selector("text=nothing is sent to it until you enable it")
        assert page.inner_text("#endpoint-status") == "Disabled"
        look(page, screenshot_dir, "requester-webhook-disabled")
        page.click("#endpoint-actions button:has-text('Enable')")
        page.wait_for_selector("text=deliveries resume")
        assert page.inner_text("#endpoint-status") == "Active"

        # redeliver everything since a time
        page.fill("#redeliver-since input[name=since]", "2026-01-01T00:00")
        page.click("#redeliver-since button[type=submit]")
        page.wait_for_selector("text=2 events since 2026-01-01 00:00 UTC will be sent again.")

        # delete it
        page.goto("/portal/requester/webhooks")
        page.click(f"tr[data-endpoint-id='{endpoint.pk}'] button:has-text('Delete')")
        page.wait_for_selector("text=deleted with its delivery log")
        assert "No webhook endpoints yet" in page.inner_text("main")
        assert WebhookEndpoint.objects.count() == 0
    context.close()
