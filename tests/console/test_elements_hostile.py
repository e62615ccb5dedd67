# ruff: noqa: F811  (the harness fixtures are imported by name, then requested as arguments)
"""Requester content (labels, text, input, schema titles) is shown as text, never run: checked
on a page WITHOUT the console's CSP, so inertness is the elements' own doing."""

from __future__ import annotations

import pytest

from tests.console.element_harness import browser, mount, open_harness, screenshot  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

IMG = '<img src=x onerror="window.__pwned = (window.__pwned || 0) + 1">'
SCRIPT = "<script>window.__pwned = 99</script>"
SVG = '<svg onload="window.__pwned = 7"></svg>'
HOSTILE_TASKS = [
    {"task_type": "image_classification", "labels": [IMG, SCRIPT], "input": {"source-url": "/__image__.png"}},
    {"task_type": "text_classification", "labels": [IMG], "input": {"source": SCRIPT + IMG}},
    {"task_type": "text_multilabel", "labels": [SVG, IMG], "input": {"source": IMG}},
    {"task_type": "named_entity_recognition", "labels": [IMG, SCRIPT], "input": {"source": f"A {IMG} B {SCRIPT}"}},
    {
        "task_type": "custom",
        "labels": [IMG],
        "input": {IMG: SCRIPT, "link": "javascript:window.__pwned=5", "nested": {"x": [SVG]}},
    },
    {
        "task_type": "custom",
        "labels": [],
        "input": {"q": IMG},
        "answer_schema": {
            "type": "object",
            "title": IMG,
            "description": SCRIPT,
            "required": [IMG],
            "properties": {
                IMG: {"enum": [IMG, SCRIPT], "title": SVG, "description": IMG},
                "many": {"enum": [IMG, "b", "c", "d", "e", "f"], "title": SCRIPT},
                "tags": {"type": "array", "items": {"enum": [SVG, IMG]}},
                "flag": {"type": "boolean", "title": IMG},
            },
        },
    },
]


@pytest.fixture
def bare_page(browser, live_server):
    context, page = open_harness(browser, live_server.url, csp=False)
    yield page
    context.close()


@pytest.mark.parametrize("task", HOSTILE_TASKS, ids=lambda task: task["task_type"])
def test_hostile_content_is_inert(bare_page, task):
    # given an element built from hostile labels, text and input, on a page without CSP
    mount(bare_page, task)
    stage = bare_page.locator("#stage")

    # when the worker uses it (labels picked, a span selected, the form submitted)
    bare_page.keyboard.press("1")
    bare_page.keyboard.press("Enter")
    bare_page.wait_for_timeout(300)  # an injected <img src=x> would have failed to load by now

    # then no script ran, no element came from the content, and the markup shows as text
    assert bare_page.evaluate("() => window.__pwned") is None
    assert stage.locator("script, svg, img[src='x'], [onerror], [onload]").count() == 0
    assert stage.locator("a[href^='javascript:']").count() == 0
    assert IMG in stage.inner_text() or IMG in stage.locator("[data-label]").first.get_attribute("data-label")
    screenshot(bare_page, f"element-hostile-{task['task_type']}-{HOSTILE_TASKS.index(task)}")
