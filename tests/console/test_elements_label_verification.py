# ruff: noqa: F811  (the harness fixtures are imported by name, then requested as arguments)
"""gw-label-verification in Chromium: boxes drawn over the image, verdicts by keyboard, the
optional comment, a classification's label, nothing submitted without a verdict."""

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

VERDICTS = ["correct", "incorrect"]
BOXES = {
    "boxes": [
        {"label": "sun", "left": 350, "top": 30, "width": 80, "height": 80},
        {"label": "ground", "left": 0, "top": 213, "width": 240, "height": 107},
    ],
    "image_size": {"width": 480, "height": 320, "depth": 3},
}


def box_task(annotation: dict = BOXES) -> dict:
    return {
        "task_type": "label_verification",
        "labels": VERDICTS,
        "input": {
            "source-url": "/__image__.png",
            "existing_type": "bounding_box",
            "existing_annotation": annotation,
            "existing_labels": ["sun", "ground", "sky"],
        },
    }


def drawn_boxes(page) -> list[dict]:
    """Each drawn box's place in image pixels, measured from the displayed image."""
    return page.evaluate("""() => {
        const img = document.querySelector('.gw-verify-figure img').getBoundingClientRect();
        const scale = 480 / img.width;
        return [...document.querySelectorAll('.gw-verify-box')].map((box) => {
            const r = box.getBoundingClientRect();
            return { label: box.textContent, left: Math.round((r.left - img.left) * scale),
                     top: Math.round((r.top - img.top) * scale), width: Math.round(r.width * scale),
                     height: Math.round(r.height * scale) };
        });
    }""")


def test_boxes_are_drawn_over_the_image_and_judged_by_keyboard_with_a_comment(element_page):
    # given a box verification task, focus inside the element
    tag = mount(element_page, box_task())
    assert tag == "gw-label-verification"

    # when the worker presses 2, tabs to the comment, types (a digit among the words), Ctrl+Enter
    element_page.keyboard.press("2")
    element_page.keyboard.press("Tab")
    element_page.keyboard.type("The sun box is 1 px too low.")
    element_page.keyboard.press("Control+Enter")

    # then the boxes sat where the annotation put them, the digit typed stayed in the comment,
    # and the verdict with its comment was submitted once
    assert drawn_boxes(element_page) == [
        {"label": "sun", "left": 350, "top": 30, "width": 80, "height": 80},
        {"label": "ground", "left": 0, "top": 213, "width": 240, "height": 107},
    ]
    assert element_page.locator(".gw-verify-list li").all_inner_texts() == [
        "sun, 80 × 80 at 350, 30",
        "ground, 240 × 107 at 0, 213",
    ]
    expected = {"verdict": "incorrect", "comment": "The sun box is 1 px too low."}
    assert events(element_page, "gw-change")[0] == {"verdict": "incorrect"}
    assert events(element_page, "gw-change")[-1] == expected
    assert events(element_page, "gw-submit") == [expected]
    assert element_page.get_by_role("button", name="incorrect").get_attribute("aria-pressed") == "true"
    assert element_page.get_by_role("status").inner_text() == "Verdict: incorrect"
    assert violations(element_page) == []
    screenshot(element_page, "element-label-verification-boxes")


def test_a_classification_label_is_shown_and_enter_needs_a_verdict(element_page):
    # given a text classification's label to check
    task = {
        "task_type": "label_verification",
        "labels": VERDICTS,
        "input": {
            "source": "The bird sang all morning.",
            "existing_type": "text_classification",
            "existing_annotation": {"label": "dog"},
            "existing_labels": ["cat", "dog", "bird"],
        },
    }
    mount(element_page, task)

    # when Enter comes before any verdict, then 1 and Enter
    element_page.keyboard.press("Enter")
    refused = element_page.get_by_role("status").inner_text()
    element_page.keyboard.press("1")
    element_page.keyboard.press("Enter")

    # then the first Enter submitted nothing and said why; the second sent the verdict alone
    assert refused == "Choose a verdict first (keys 1–9 or a button)."
    assert element_page.locator(".gw-verify-label").inner_text() == "Label to check: dog"
    assert element_page.locator(".gw-source").inner_text() == "The bird sang all morning."
    assert events(element_page, "gw-submit") == [{"verdict": "correct"}]
    screenshot(element_page, "element-label-verification-text")


def test_a_draft_is_restored_and_an_image_without_boxes_asks_about_it(phone_page):
    # given a draft answer and an image on which nobody drew a box
    mount(
        phone_page,
        box_task({"boxes": [], "image_size": {"width": 480, "height": 320}}),
        value={"verdict": "incorrect", "comment": "a dog is missing"},
    )

    # then
    assert element_value(phone_page) == {"verdict": "incorrect", "comment": "a dog is missing"}
    assert phone_page.locator(".gw-verify-box").count() == 0
    assert phone_page.locator(".gw-verify-existing").inner_text() == "No boxes were drawn on this image: is that right?"
    assert phone_page.locator(".gw-verify-comment").input_value() == "a dog is missing"
    screenshot(phone_page, "element-label-verification-phone")
