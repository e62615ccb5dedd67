"""The console's Messages page: what requesters wrote to the worker, as inert text."""

from __future__ import annotations

from .conftest import screenshot, sign_in
from .test_console_working import start_working


def test_messages_page_shows_requesters_messages_as_text(console_server, console_page, console_worker, post_tasks):
    # given: the worker answered one of the requester's tasks, and the requester wrote twice
    post_tasks(1, title="Judge", labels=["yes", "no"], slots=1)
    sign_in(console_page, console_worker)
    start_working(console_page)
    console_page.wait_for_selector("#task:not([hidden]) gw-classifier")
    console_page.keyboard.press("1")
    console_page.keyboard.press("Enter")
    console_page.wait_for_function("() => !document.getElementById('idle').hidden")
    with console_server.api(post_tasks.requester.api_key) as client:
        for subject, message in [
            ("Thanks for batch 7", "Your boxes were the tightest we saw.\nMore work is coming on Monday."),
            ("<img src=x onerror=window.__pwned=1>", "<b>not bold</b>"),
        ]:
            response = client.post(
                "/api/v1/worker-messages",
                json={"worker_ids": [console_worker.pk], "subject": subject, "message": message},
            )
            assert response.status_code == 201, response.text

    # when
    console_page.click("nav a:has-text('Messages')")
    console_page.wait_for_selector("#messages li.message")

    # then: newest first, the requester's name shown, markup left as text
    items = console_page.locator("#messages li.message")
    assert items.count() == 2
    assert items.nth(0).locator("h2").inner_text() == "<img src=x onerror=window.__pwned=1>"
    assert items.nth(0).locator(".message-body").inner_text() == "<b>not bold</b>"
    assert items.nth(1).locator("h2").inner_text() == "Thanks for batch 7"
    assert post_tasks.requester.organization.name in items.nth(1).inner_text()
    assert "More work is coming on Monday." in items.nth(1).locator(".message-body").inner_text()
    assert console_page.evaluate("() => window.__pwned") is None
    assert console_page.locator("nav a[aria-current=page]").inner_text() == "Messages"
    assert console_page.console_errors == []
    screenshot(console_page, "messages")
