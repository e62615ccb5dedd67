"""The working page in Chromium against a real server: activation, keyboard-only labeling,
reconnection after the server restarts, expiry, refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.models import Assignment

from .conftest import CONSOLE_PASSWORD, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def activate(page, worker) -> None:
    """First use: the token at /console/activate, then a password; ends signed in at home."""
    page.goto("/console/activate")
    page.fill("input[name=token]", worker.token)
    screenshot(page, "activate-token")
    page.click("button[type=submit]")
    page.fill("input[name=new_password1]", CONSOLE_PASSWORD)
    page.fill("input[name=new_password2]", CONSOLE_PASSWORD)
    screenshot(page, "activate-password")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-username]")


def start_working(page) -> None:
    page.goto("/console/work")
    page.wait_for_selector("#start:focus")
    page.keyboard.press("Enter")


def wait_for_task(page, title_part: str):
    page.wait_for_selector(f"#task-title:has-text('{title_part}')")


def test_activate_then_classify_ten_tasks_by_keyboard_only(console_server, console_page, make_worker, post_tasks):
    # given: a worker with only a token; ten classification tasks
    worker = make_worker("keyboard-worker")
    posted = post_tasks(10, title="Animal", labels=["cat", "dog"], slots=1, input={"text": "a photo"})

    # when: it activates the console, presses Start, and answers each task with 1 or 2 and Enter
    activate(console_page, worker)
    screenshot(console_page, "home-after-activation")
    start_working(console_page)
    chosen = {}
    for index in range(10):
        console_page.wait_for_selector("#task:not([hidden]) gw-classifier")
        title = console_page.locator("#task-title").inner_text()
        if index == 0:
            screenshot(console_page, "work-classifier")
        key = "1" if index % 2 == 0 else "2"
        console_page.keyboard.press(key)
        console_page.keyboard.press("Enter")
        chosen[title] = "cat" if key == "1" else "dog"
        if index < 9:
            console_page.wait_for_function("t => document.getElementById('task-title').textContent !== t", arg=title)

    # then: ten answers recorded, each the label chosen for its task
    console_page.wait_for_function("() => document.getElementById('message').textContent.includes('Submitted')")
    for _ in range(50):
        if Assignment.objects.filter(worker=worker, status="submitted").count() == 10:
            break
        console_page.wait_for_timeout(100)
    submitted = {a.task.title: a.answer for a in Assignment.objects.filter(worker=worker).select_related("task")}
    assert len(submitted) == 10
    assert {title: answer["label"] for title, answer in submitted.items()} == chosen
    assert sorted(a.task_id for a in Assignment.objects.filter(worker=worker)) == sorted(t["id"] for t in posted)
    assert console_page.console_errors == []
    screenshot(console_page, "work-idle")


def test_an_answer_survives_a_dropped_connection_and_is_recorded_once(
    console_server, console_page, console_worker, post_tasks
):
    # given: a worker labeling the one task there is
    from .conftest import sign_in

    post_tasks(1, title="Reconnect", labels=["cat", "dog"], slots=1)
    sign_in(console_page, console_worker)
    start_working(console_page)
    wait_for_task(console_page, "Reconnect")
    console_page.keyboard.press("2")

    # when: the server goes away and comes back (the socket drops); the page reconnects by
    # itself; the worker then submits
    console_server.restart(down_seconds=1)
    console_page.wait_for_selector("#connection:has-text('Connected')", timeout=20_000)
    wait_for_task(console_page, "Reconnect")
    console_page.keyboard.press("Enter")
    console_page.keyboard.press("Enter")  # a second press sends nothing more

    # then: exactly one answer, the one chosen before the drop
    console_page.wait_for_function("() => document.getElementById('message').textContent.includes('Submitted')")
    assignments = list(Assignment.objects.filter(worker=console_worker))
    assert [(a.status, a.answer) for a in assignments] == [("submitted", {"label": "dog"})]


def test_expiry_closes_the_task_with_a_message(console_server, console_page, console_worker, post_tasks):
    from .conftest import sign_in

    # given: a worker shown a task
    post_tasks(1, title="Slow", labels=["cat", "dog"], slots=1)
    sign_in(console_page, console_worker)
    start_working(console_page)
    wait_for_task(console_page, "Slow")

    # when: its deadline passes (the server's sweep expires it)
    Assignment.objects.filter(worker=console_worker).update(deadline=timezone.now() - timedelta(seconds=1))

    # then
    console_page.wait_for_selector("#message:has-text('Time ran out')", timeout=20_000)
    assert console_page.locator("#task").is_hidden()
    screenshot(console_page, "work-expired")
    assert Assignment.objects.get(worker=console_worker).status == "expired"


def test_a_refused_answer_is_said_in_words_and_nothing_changes(
    console_server, console_page, console_worker, post_tasks
):
    from .conftest import sign_in

    # given: the worker's task, answered meanwhile by another client of the same worker
    post_tasks(1, title="Twice", labels=["cat", "dog"], slots=1)
    sign_in(console_page, console_worker)
    start_working(console_page)
    wait_for_task(console_page, "Twice")
    assignment = Assignment.objects.get(worker=console_worker)
    with console_server.api(console_worker.token) as client:
        assert (
            client.post(
                f"/api/v1/worker/assignments/{assignment.pk}/submit", json={"answer": {"label": "cat"}}
            ).status_code
            == 200
        )

    # when: the console submits a different answer
    console_page.keyboard.press("2")
    console_page.keyboard.press("Enter")

    # then: the refusal in words; the first answer stands
    console_page.wait_for_selector("#message:has-text('already submitted with a different answer')")
    screenshot(console_page, "work-refused")
    assert Assignment.objects.get(pk=assignment.pk).answer == {"label": "cat"}


def test_throttled_sign_in_says_when_to_retry(console_server, console_page, console_worker):
    # given: five wrong passwords through the form
    for attempt in range(5):
        console_page.goto("/console/")
        console_page.fill("input[name=username]", console_worker.username)
        console_page.fill("input[name=password]", f"wrong {attempt}")
        console_page.click("main button[type=submit]")

    # when: the right one
    console_page.fill("input[name=username]", console_worker.username)
    console_page.fill("input[name=password]", console_worker.password_plain)
    console_page.click("main button[type=submit]")

    # then
    alert = console_page.locator("[role=alert]")
    assert "Too many failed sign-ins for this account. Try again in 15 minutes" in alert.inner_text()
    assert console_page.locator("[data-username]").count() == 0
    screenshot(console_page, "signin-throttled")
