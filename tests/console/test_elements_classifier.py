# ruff: noqa: F811  (the harness fixtures are imported by name, then requested as arguments)
"""gw-classifier in Chromium: by keyboard only, by click, custom tasks with labels, drafts."""

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

LABELS = ["cat", "dog", "bird"]


def test_classifier_by_keyboard_only(element_page):
    # given an image classification task, focus inside the element
    tag = mount(
        element_page, {"task_type": "image_classification", "labels": LABELS, "input": {"source-url": "/__image__.png"}}
    )
    assert tag == "gw-classifier"
    assert element_value(element_page) is None

    # when the worker presses 2 then 3 then 2, then Enter
    for key in ["2", "3", "2"]:
        element_page.keyboard.press(key)
    element_page.keyboard.press("Enter")

    # then each key chose its label, the choice is shown and pressed, and Enter submitted it
    assert events(element_page, "gw-change") == [{"label": "dog"}, {"label": "bird"}, {"label": "dog"}]
    assert events(element_page, "gw-submit") == [{"label": "dog"}]
    assert element_value(element_page) == {"label": "dog"}
    assert element_page.get_by_role("button", name="dog").get_attribute("aria-pressed") == "true"
    assert element_page.get_by_role("button", name="cat").get_attribute("aria-pressed") == "false"
    assert element_page.get_by_role("status").inner_text() == "Chosen: dog"
    assert element_page.locator("img.gw-image").evaluate("img => img.naturalWidth") == 480
    assert violations(element_page) == []
    screenshot(element_page, "element-classifier-image")


def test_enter_without_a_label_does_not_submit(element_page):
    # given a text task with nothing chosen
    mount(element_page, {"task_type": "text_classification", "labels": LABELS, "input": {"source": "Purr."}})

    # when Enter is pressed, and a key beyond the labels
    element_page.keyboard.press("Enter")
    element_page.keyboard.press("7")

    # then nothing was submitted or changed, and the element says what is missing
    assert events(element_page) == []
    assert element_value(element_page) is None
    assert "Choose a label first" in element_page.get_by_role("status").inner_text()


def test_classifier_by_click_and_enter_on_a_focused_button(element_page):
    # given a text classification task
    mount(
        element_page,
        {"task_type": "text_classification", "labels": LABELS, "input": {"source": "The bird sang all morning."}},
    )
    assert element_page.locator(".gw-source").inner_text() == "The bird sang all morning."

    # when the worker clicks "bird", then tabs back to "dog" and presses Enter on it
    element_page.get_by_role("button", name="bird").click()
    element_page.get_by_role("button", name="dog").focus()
    element_page.keyboard.press("Enter")

    # then the click chose bird, Enter on the focused button chose dog and submitted it once
    assert events(element_page, "gw-change") == [{"label": "bird"}, {"label": "dog"}]
    assert events(element_page, "gw-submit") == [{"label": "dog"}]


def test_custom_task_with_labels_shows_its_input_and_answers_a_label(element_page):
    # given a custom task with labels and no answer schema: text, an image URL and a link
    input_ = {
        "question": "Is this photo taken outdoors?",
        "photo": "http://localhost/__image__.png?sig=1",
        "page": "https://example.org/about",
        "meta": {"camera": "X100", "tags": ["a", "b"]},
    }
    mount(element_page, {"task_type": "custom", "labels": ["yes", "no"], "input": input_})

    # when the worker presses 1 and Enter
    element_page.keyboard.press("1")
    element_page.keyboard.press("Enter")

    # then the input is shown as text, the image URL as an image, the other URL as a link
    assert events(element_page, "gw-submit") == [{"label": "yes"}]
    terms = element_page.locator(".gw-content > dl.gw-input > dt").all_inner_texts()
    assert terms == ["question", "photo", "page", "meta"]
    assert element_page.get_by_text("Is this photo taken outdoors?").is_visible()
    assert element_page.locator("img[alt='Input photo']").get_attribute("src") == input_["photo"]
    assert (
        element_page.get_by_role("link", name="https://example.org/about").get_attribute("rel") == "noopener noreferrer"
    )
    assert element_page.get_by_text("X100").is_visible()


def test_a_draft_value_is_restored(element_page):
    # given a task mounted with a saved draft
    mount(
        element_page,
        {"task_type": "text_classification", "labels": LABELS, "input": {"source": "Woof"}},
        value={"label": "dog"},
    )

    # then the draft is the value and its button is pressed, without a change event
    assert element_value(element_page) == {"label": "dog"}
    assert element_page.get_by_role("button", name="dog").get_attribute("aria-pressed") == "true"
    assert events(element_page) == []


def test_an_unknown_task_type_is_refused_by_name(element_page):
    message = element_page.evaluate("""async () => {
        const { createTaskElement } = await import('/static/console/elements/index.js');
        try { createTaskElement({ task_type: 'video_tracking', input: {}, labels: [] }); return null; }
        catch (error) { return error.message; }
    }""")
    assert message == 'no task element for task type "video_tracking"'


def test_classifier_at_375_px(phone_page):
    mount(
        phone_page,
        {
            "task_type": "image_classification",
            "labels": ["cat", "dog", "bird", "a very long label that has to wrap on a phone"],
            "input": {"source-url": "/__image__.png"},
        },
    )
    phone_page.keyboard.press("4")
    screenshot(phone_page, "element-classifier-375px")
    # nothing is wider than the screen
    assert phone_page.evaluate("() => document.documentElement.scrollWidth") <= 375
