# ruff: noqa: F811  (the harness fixtures are imported by name, then requested as arguments)
"""gw-multi-classifier in Chromium: keys toggle, clicks toggle, Enter submits in label order."""

from __future__ import annotations

import pytest

from tests.console.element_harness import (  # noqa: F401  (fixtures)
    browser,
    element_page,
    element_value,
    events,
    mount,
    phone_page,
    screenshot,
    violations,
)

pytestmark = pytest.mark.django_db(transaction=True)

LABELS = ["sky", "grass", "sun", "cloud"]
TASK = {"task_type": "image_multilabel", "labels": LABELS, "input": {"source-url": "/__image__.png"}}


def test_keys_toggle_labels_and_enter_submits_them_in_label_order(element_page):
    # given an image multi-label task, focus inside the element
    assert mount(element_page, TASK) == "gw-multi-classifier"
    assert element_value(element_page) == {"labels": []}

    # when the worker presses 3, 1, 4, 4 (off again), 2, then Enter
    for key in ["3", "1", "4", "4", "2"]:
        element_page.keyboard.press(key)
    element_page.keyboard.press("Enter")

    # then every key toggled its label; the answer lists them in the labels' order
    assert events(element_page, "gw-change") == [
        {"labels": ["sun"]},
        {"labels": ["sky", "sun"]},
        {"labels": ["sky", "sun", "cloud"]},
        {"labels": ["sky", "sun"]},
        {"labels": ["sky", "grass", "sun"]},
    ]
    assert events(element_page, "gw-submit") == [{"labels": ["sky", "grass", "sun"]}]
    pressed = element_page.locator(".gw-label[aria-pressed='true']").all_inner_texts()
    assert [text.split("\n")[-1].strip() for text in pressed] == ["sky", "grass", "sun"]
    assert element_page.get_by_role("status").inner_text() == "Chosen: sky, grass, sun"
    assert violations(element_page) == []
    screenshot(element_page, "element-multi-classifier")


def test_clicks_toggle_and_enter_on_a_focused_button_does_not_toggle_it(element_page):
    # given a text multi-label task
    mount(element_page, {"task_type": "text_multilabel", "labels": LABELS, "input": {"source": "Blue sky."}})

    # when the worker clicks sky and cloud, then cloud again, then presses Enter on sky
    element_page.get_by_role("button", name="sky").click()
    element_page.get_by_role("button", name="cloud").click()
    element_page.get_by_role("button", name="cloud").click()
    element_page.get_by_role("button", name="sky").focus()
    element_page.keyboard.press("Enter")

    # then sky alone is on, and it was submitted once
    assert element_value(element_page) == {"labels": ["sky"]}
    assert events(element_page, "gw-submit") == [{"labels": ["sky"]}]
    assert len(events(element_page, "gw-change")) == 3


def test_a_draft_is_restored_and_none_can_be_submitted(element_page):
    # given a draft, then the worker turns its only label off and submits "none applies"
    mount(element_page, TASK, value={"labels": ["cloud"]})
    assert element_page.get_by_role("button", name="cloud").get_attribute("aria-pressed") == "true"
    element_page.keyboard.press("4")
    element_page.keyboard.press("Enter")
    assert events(element_page, "gw-submit") == [{"labels": []}]


def test_multi_classifier_at_375_px(phone_page):
    mount(phone_page, TASK)
    phone_page.keyboard.press("1")
    phone_page.keyboard.press("3")
    screenshot(phone_page, "element-multi-classifier-375px")
    assert phone_page.evaluate("() => document.documentElement.scrollWidth") <= 375
