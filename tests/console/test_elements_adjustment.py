# ruff: noqa: F811  (the harness fixtures are imported by name, then requested as arguments)
"""The drawing elements started from an existing annotation, in Chromium: an adjustment task's
``existing_annotation`` is preloaded by ``createTaskElement`` (boxes scaled from their image
size, entities as marks, a mask read by class name) and is edited like the worker's own."""

from __future__ import annotations

import numpy as np
import pytest

from labeling.task_types.masks_png import decode_mask, encode_mask_base64
from tests.console.drawing_harness import drag, surface_box, to_screen
from tests.console.element_harness import (  # noqa: F401  (fixtures)
    browser,
    element_page,
    element_value,
    events,
    mount,
    screenshot,
    violations,
)

pytestmark = pytest.mark.django_db(transaction=True)

BOX_LABELS = ["car", "person"]
# The image the harness serves is 480 x 320; the source annotated it at 240 x 160.
EXISTING_BOXES = {
    "boxes": [
        {"label": "car", "left": 20, "top": 30, "width": 60, "height": 40},
        {"label": "person", "left": 150, "top": 80, "width": 40, "height": 60},
    ],
    "image_size": {"width": 240, "height": 160},
}


def box_task(existing: dict) -> dict:
    return {
        "task_type": "bounding_box_adjustment",
        "labels": BOX_LABELS,
        "input": {"source-url": "/__image__.png", "existing_annotation": existing, "existing_labels": BOX_LABELS},
    }


def test_preloaded_boxes_are_scaled_to_the_image_then_moved_and_deleted(element_page):
    page = element_page
    # given: the existing boxes, drawn on a half-size copy of the image
    assert mount(page, box_task(EXISTING_BOXES)) == "gw-bounding-box"

    # then: they are shown at the image's own size, and nothing was changed yet
    assert element_value(page) == {
        "boxes": [
            {"label": "car", "left": 40, "top": 60, "width": 120, "height": 80},
            {"label": "person", "left": 300, "top": 160, "width": 80, "height": 120},
        ],
        "image_size": {"width": 480, "height": 320},
    }
    assert page.locator(".gwd-box").count() == 2
    assert events(page) == []
    screenshot(page, "element-bounding-box-adjustment-preloaded")

    # when: the car box is dragged 40 image pixels right, and the person box selected and deleted
    box = surface_box(page)
    start = to_screen(box, 100, 100)
    drag(page, start, to_screen(box, 140, 100))
    page.mouse.click(*to_screen(box, 340, 220))
    page.keyboard.press("Delete")

    # then
    value = element_value(page)
    assert len(value["boxes"]) == 1
    moved = value["boxes"][0]
    assert moved["label"] == "car"
    assert abs(moved["left"] - 80) <= 1 and moved["top"] == 60
    assert (moved["width"], moved["height"]) == (120, 80)
    assert events(page, "gw-change")[-1] == value
    assert violations(page) == []
    screenshot(page, "element-bounding-box-adjustment-edited")

    # when: Reset
    page.click("button[aria-label='Reset to the starting boxes']")

    # then: back to the existing boxes
    assert len(element_value(page)["boxes"]) == 2
    assert element_value(page)["boxes"][0] == {"label": "car", "left": 40, "top": 60, "width": 120, "height": 80}
    assert events(page, "gw-change")[-1] == element_value(page)


def test_a_plain_box_task_has_no_reset(element_page):
    mount(element_page, {"task_type": "bounding_box", "labels": BOX_LABELS, "input": {"source-url": "/__image__.png"}})

    assert element_page.locator("button[aria-label='Reset to the starting boxes']").is_hidden()
    assert element_value(element_page)["boxes"] == []


def test_a_draft_wins_over_the_existing_boxes(element_page):
    # given: a draft saved before a reload (the console restores it after creating the element)
    draft = {
        "boxes": [{"label": "person", "left": 10, "top": 10, "width": 20, "height": 20}],
        "image_size": {"width": 480, "height": 320},
    }

    mount(element_page, box_task(EXISTING_BOXES), value=draft)

    assert element_value(element_page) == draft


TEXT = "Amazon SageMaker was launched in November 2017."


def test_preloaded_entities_are_marked_and_can_be_removed(element_page):
    page = element_page
    existing = {"entities": [{"label": "ORG", "start": 0, "end": 16}, {"label": "DATE", "start": 33, "end": 46}]}
    task = {
        "task_type": "named_entity_recognition_adjustment",
        "labels": ["ORG", "DATE"],
        "input": {"source": TEXT, "existing_annotation": existing, "existing_labels": ["ORG", "DATE"]},
    }

    assert mount(page, task) == "gw-entity-annotation"
    assert element_value(page) == existing
    assert page.locator("mark.gw-entity").count() == 2
    screenshot(page, "element-entity-adjustment-preloaded")

    page.click("button[aria-label='Remove DATE “November 2017”']")

    assert element_value(page) == {"entities": [{"label": "ORG", "start": 0, "end": 16}]}
    assert events(page, "gw-change")[-1] == element_value(page)

    page.click("button[aria-label='Reset to the starting entities']")

    assert element_value(page) == existing


def test_a_preloaded_mask_is_read_by_class_name_and_scaled_to_the_image(element_page):
    page = element_page
    # given: the source's mask at a quarter of the image's size (120 x 80), whose classes are
    # BACKGROUND, road, car; the job lists car before road
    source = np.zeros((80, 120), dtype=np.uint8)
    source[10:30, 10:50] = 1  # road
    source[40:70, 60:100] = 2  # car
    task = {
        "task_type": "semantic_segmentation_adjustment",
        "labels": ["BACKGROUND", "car", "road"],
        "input": {
            "source-url": "/__image__.png",
            "existing_annotation": {"mask": encode_mask_base64(source)},
            "existing_labels": ["BACKGROUND", "road", "car"],
        },
    }

    assert mount(page, task) == "gw-semantic-segmentation"
    page.wait_for_function("() => document.querySelector('gw-semantic-segmentation').value !== null")
    mask = decode_mask(element_value(page)["mask"], n_classes=3)

    # then: the same regions at 480 x 320, in the job's class ids
    assert mask.shape == (320, 480)
    assert (mask[40:120, 40:200] == 2).all()  # road
    assert (mask[160:280, 240:400] == 1).all()  # car
    assert int((mask > 0).sum()) == 80 * 160 + 120 * 160
    assert events(page) == []
    screenshot(page, "element-segmentation-adjustment-preloaded")

    # when: a car stroke over the road, then Reset
    box = surface_box(page)
    page.keyboard.press("2")
    drag(page, to_screen(box, 60, 80), to_screen(box, 180, 80))
    painted = decode_mask(element_value(page)["mask"], n_classes=3)
    assert (painted[75:85, 70:170] == 1).all()
    page.click("button[aria-label='Reset to the starting mask']")
    page.wait_for_function("() => window.__events.length >= 2")

    # then: the starting mask again
    assert decode_mask(element_value(page)["mask"], n_classes=3).tolist() == mask.tolist()


@pytest.mark.parametrize(
    ("tag", "existing", "unreadable"),
    [
        ("gw-bounding-box", EXISTING_BOXES, "The boxes to start from could not be read."),
        (
            "gw-semantic-segmentation",
            {"mask": "bm90IGEgcG5n", "labels": ["sky"]},
            "The mask to start from could not be read.",
        ),
        ("gw-entity-annotation", {"entities": []}, "The entities to start from could not be read."),
    ],
)
def test_the_initial_value_attribute_is_read_as_json(element_page, tag, existing, unreadable):
    # given: the element, connected, as a page's markup would have it (shared.js withInitialValue)
    # when: its initial-value attribute holds JSON, then text that is not JSON
    seen = element_page.evaluate(
        """async ([tag, existing]) => {
            await import(`/static/console/elements/${tag}.js`);
            const element = document.createElement(tag);
            document.getElementById('stage').replaceChildren(element);
            element.setAttribute('initial-value', JSON.stringify(existing));
            const read = element.initialValue;
            element.setAttribute('initial-value', '{"boxes": [');
            return { read, kept: element.initialValue, text: element.textContent };
        }""",
        [tag, existing],
    )

    # then: the JSON becomes its initialValue; the unreadable text leaves it and says so
    assert seen["read"] == existing
    assert seen["kept"] == existing
    assert unreadable in seen["text"]
