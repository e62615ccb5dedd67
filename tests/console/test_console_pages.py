"""Console pages in Chromium: hostile requester content stays inert, history and
qualification tests, home at 375 px, the portal/console separation in a real browser."""

from __future__ import annotations

import pytest

from marketplace.models import Assignment, QualificationGrant

from .conftest import screenshot, sign_in
from .test_console_working import start_working, wait_for_task

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'


def test_hostile_instructions_labels_and_text_stay_inert(console_server, console_page, console_worker, post_tasks):
    # given: a task whose instructions, labels and input try to run script
    post_tasks(
        1,
        title=f"Hostile {HOSTILE}",
        slots=1,
        labels=[HOSTILE, "<b>bold</b>"],
        input={"text": HOSTILE, "link": "javascript:window.__pwned=1"},
        instructions=(
            f"# Read me {HOSTILE}\n\nClick [here](javascript:window.__pwned=1) or "
            "[the guide](https://example.com/guide).\n\n- **one**\n- `two`\n\n" + HOSTILE
        ),
    )
    sign_in(console_page, console_worker)

    # when: the worker opens it and picks the hostile label
    start_working(console_page)
    wait_for_task(console_page, "Hostile")
    console_page.keyboard.press("1")
    console_page.wait_for_timeout(300)
    screenshot(console_page, "work-hostile")

    # then: no script ran; the markup shows as text; only the https link is a link
    assert console_page.evaluate("() => window.__pwned") is None
    assert console_page.locator("img[src=x]").count() == 0
    assert console_page.locator("script:not([src])").count() == 0
    instructions = console_page.locator("#instructions-body")
    assert HOSTILE in instructions.inner_text()
    links = instructions.locator("a")
    assert links.count() == 1 and links.first.get_attribute("href") == "https://example.com/guide"
    assert links.first.get_attribute("rel") == "noopener noreferrer nofollow"
    assert instructions.locator("h3").inner_text() == f"Read me {HOSTILE}"
    assert instructions.locator("li strong").inner_text() == "one"
    assert HOSTILE in console_page.locator("#task-title").inner_text()
    console_page.keyboard.press("Enter")
    console_page.wait_for_selector("#message:has-text('Submitted')")
    assert Assignment.objects.get(worker=console_worker).answer == {"label": HOSTILE}
    assert console_page.evaluate("() => window.__pwned") is None


def test_history_shows_status_reward_and_feedback(console_server, console_page, console_worker, post_tasks):
    # given: two answers, one rejected with feedback
    post_tasks(2, title="Judge", labels=["yes", "no"], slots=1, reward="0.25")
    sign_in(console_page, console_worker)
    start_working(console_page)
    for _ in range(2):
        console_page.wait_for_selector("#task:not([hidden]) gw-classifier")
        title = console_page.locator("#task-title").inner_text()
        console_page.keyboard.press("1")
        console_page.keyboard.press("Enter")
        console_page.wait_for_function(
            "t => document.getElementById('task-title').textContent !== t || !document.getElementById('idle').hidden",
            arg=title,
        )
    console_page.wait_for_function("() => !document.getElementById('idle').hidden")
    rejected = Assignment.objects.filter(worker=console_worker).order_by("id").first()
    with console_server.api(post_tasks.requester.api_key) as client:
        assert (
            client.post(
                f"/api/v1/assignments/{rejected.pk}/reject", json={"feedback": "Please read <the> guide"}
            ).status_code
            == 200
        )

    # when
    console_page.goto("/console/history")
    console_page.wait_for_selector("#history table")

    # then
    rows = console_page.locator("#history tbody tr")
    assert rows.count() == 2
    texts = [rows.nth(i).inner_text() for i in range(2)]
    assert any("rejected" in text and "Please read <the> guide" in text and "$0.25" in text for text in texts)
    assert any("waiting for approval" in text and "approved automatically on" in text for text in texts)
    screenshot(console_page, "history")

    console_page.goto("/console/")
    console_page.wait_for_selector("[data-field=pending]:has-text('$0.25')")
    assert "approved automatically on" in console_page.locator("[data-field=pending_hint]").inner_text()


def test_take_a_qualification_test_and_see_the_result(console_server, console_page, console_worker, post_tasks):
    # given: a requester's test of two labeled questions
    with console_server.api(post_tasks.requester.api_key) as client:
        created = client.post(
            "/api/v1/qualification-types",
            json={
                "name": "Cat spotter",
                "description": "Tell cats from dogs.",
                "test": {
                    "passing_score": 50,
                    "retry_delay_seconds": 3600,
                    "questions": [
                        {"input": {"text": "It meows.", "labels": ["cat", "dog"]}, "answer": {"label": "cat"}},
                        {"input": {"text": "It barks.", "labels": ["cat", "dog"]}, "answer": {"label": "dog"}},
                    ],
                },
            },
        )
    assert created.status_code == 201, created.text
    sign_in(console_page, console_worker)

    # when: the worker takes it from the tests page
    console_page.goto("/console/tests")
    console_page.click("text=Take test: Cat spotter")
    console_page.wait_for_selector("#test gw-classifier")
    elements = console_page.locator("#test gw-classifier")
    elements.nth(0).evaluate("element => element.focus()")  # the element's own focus(): into its labels
    console_page.keyboard.press("1")
    elements.nth(1).evaluate("element => element.focus()")
    console_page.keyboard.press("2")
    screenshot(console_page, "qualification-test")
    console_page.click("text=Submit answers")

    # then
    console_page.wait_for_selector("#test:has-text('Passed with 100 %')")
    screenshot(console_page, "qualification-test-passed")
    grant = QualificationGrant.objects.get(worker=console_worker)
    assert grant.value == 100


def test_home_and_work_fit_a_375_px_screen(console_server, browser, console_worker, post_tasks):
    post_tasks(2, title="Narrow screen", labels=["cat", "dog", "bird"], slots=1, instructions="Pick the **animal**.")
    context = browser.new_context(
        base_url=console_server.url, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.console_errors = []
    try:
        sign_in(page, console_worker)
        page.wait_for_selector("#available table")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
        screenshot(page, "home-375")
        start_working(page)
        wait_for_task(page, "Narrow screen")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
        screenshot(page, "work-375")
    finally:
        context.close()


def test_portal_and_console_sessions_stay_apart_in_the_browser(
    console_server, console_page, console_worker, make_requester
):
    # given: a browser signed in to the console
    sign_in(console_page, console_worker)

    # when: it opens the portal
    console_page.goto("/portal/")

    # then: the portal asks for its own sign-in
    assert console_page.url.endswith("/portal/login")
    assert console_page.locator("form input[name=username]").count() == 1
