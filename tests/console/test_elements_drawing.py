# ruff: noqa: F811
"""The drawing elements alone in Chromium: gw-bounding-box and gw-semantic-segmentation.

Each test opens the harness page (``drawing_harness``: the console's CSP, the modules from
``/static/``), works the element with the mouse and keyboard at screen points, and checks the
answer in image pixels, mapping screen points with the surface's client rect as the contract
says. Masks are decoded with the server's own ``masks_png.decode_mask``.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from labeling.task_types.masks_png import decode_mask, encode_mask_base64

# The portal's Chromium fixtures, imported so pytest finds them here (test arguments then
# shadow the imported names, which is what F811 would flag).
from tests.portal.conftest import browser, page, screenshot_dir  # noqa: F401

from .drawing_harness import drag, open_element, sample_image, surface_box, to_image, to_screen

LABELS = ["car", "person", "bicycle"]
IMAGE_SIZE = (1200, 900)


def box_task(**extra) -> dict:
    return {"task_type": "bounding_box", "labels": LABELS, "input": {"source-url": "/__drawing__/image.png"}, **extra}


def expected_box(box: dict, start: tuple[float, float], end: tuple[float, float]) -> list[float]:
    (x0, y0), (x1, y1) = to_image(box, *start), to_image(box, *end)
    return [min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0)]


def assert_within_one_pixel(answer_box: dict, expected: list[float]) -> None:
    got = [answer_box[key] for key in ("left", "top", "width", "height")]
    assert all(isinstance(value, int) for value in got), got
    assert all(abs(g - e) <= 1 for g, e in zip(got, expected, strict=True)), (got, expected)


def events(page) -> list:
    return page.evaluate("window.events")


def test_boxes_drawn_on_a_zoomed_and_panned_image_come_back_in_image_pixels(page, live_server, screenshot_dir):
    # given: the element on a 1200 x 900 image, zoomed in twice and panned with the middle button
    open_element(page, live_server.url, box_task(), image=sample_image(*IMAGE_SIZE))
    fitted = surface_box(page)
    assert (fitted["natural_width"], fitted["natural_height"]) == IMAGE_SIZE
    assert fitted["width"] == pytest.approx(760) and fitted["height"] == pytest.approx(570)
    page.screenshot(path=str(screenshot_dir / "element-bounding-box-empty.png"))
    page.keyboard.press("+")
    page.click("button[aria-label='Zoom in']")
    zoomed = surface_box(page)
    assert zoomed["width"] == pytest.approx(760 * 1.25 * 1.25, abs=0.01)
    viewport = page.locator(".gwd-viewport").bounding_box()
    middle = (viewport["x"] + 300, viewport["y"] + 300)
    page.mouse.move(*middle)
    page.mouse.down(button="middle")
    page.mouse.move(middle[0] - 120, middle[1] - 80, steps=5)
    page.mouse.up(button="middle")
    box = surface_box(page)
    assert box["left"] == pytest.approx(zoomed["left"] - 120, abs=1)
    assert box["top"] == pytest.approx(zoomed["top"] - 80, abs=1)
    assert box["width"] == pytest.approx(zoomed["width"])

    # when: a car box is dragged, then key 2 picks "person" and a second box is dragged backwards
    first = ((viewport["x"] + 40.5, viewport["y"] + 30.25), (viewport["x"] + 260, viewport["y"] + 210))
    drag(page, *first)
    page.keyboard.press("2")
    second = ((viewport["x"] + 700, viewport["y"] + 400), (viewport["x"] + 455.5, viewport["y"] + 250))
    drag(page, *second)

    # then: both boxes, in image pixels within 1 px, labelled, with the image's size
    value = page.evaluate("element.value")
    assert value["image_size"] == {"width": 1200, "height": 900}
    assert [b["label"] for b in value["boxes"]] == ["car", "person"]
    assert_within_one_pixel(value["boxes"][0], expected_box(box, *first))
    assert_within_one_pixel(value["boxes"][1], expected_box(box, *second))
    assert [kind for kind, _ in events(page)] == ["change", "change"]
    assert events(page)[-1][1] == value
    page.screenshot(path=str(screenshot_dir / "element-bounding-box-zoomed.png"))


def test_boxes_move_resize_relabel_nudge_delete_and_submit(page, live_server, screenshot_dir):
    # given: two boxes restored from a value (one clamped to the image, a zero-size one dropped)
    restored = {
        "boxes": [
            {"label": "car", "left": 100, "top": 100, "width": 200, "height": 150},
            {"label": "person", "left": 1000, "top": 700, "width": 400, "height": 400},
            {"label": "car", "left": 50, "top": 50, "width": 0, "height": 10},
        ],
        "image_size": {"width": 1200, "height": 900},
    }
    open_element(page, live_server.url, box_task(value=restored), image=sample_image(*IMAGE_SIZE))
    assert page.evaluate("element.value")["boxes"] == [
        {"label": "car", "left": 100, "top": 100, "width": 200, "height": 150},
        {"label": "person", "left": 1000, "top": 700, "width": 200, "height": 200},
    ]
    assert page.locator(".gwd-box").count() == 2
    assert events(page) == []
    box = surface_box(page)
    scale = box["width"] / 1200

    # when: the first box is dragged by (+60, +30) screen px
    start = to_screen(box, 200, 175)
    drag(page, start, (start[0] + 60, start[1] + 30))
    moved = page.evaluate("element.value")["boxes"][0]
    # then: it moved by that many image pixels, same size, and is selected
    assert abs(moved["left"] - (100 + 60 / scale)) <= 1 and abs(moved["top"] - (100 + 30 / scale)) <= 1
    assert (moved["width"], moved["height"]) == (200, 150)
    assert page.locator(".gwd-selected").count() == 1
    page.screenshot(path=str(screenshot_dir / "element-bounding-box-selected.png"))

    # when: its bottom-right handle is dragged to image point (500, 400)
    handle = page.locator(".gwd-selected .gwd-se").bounding_box()
    drag(page, (handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2), to_screen(box, 500, 400))
    resized = page.evaluate("element.value")["boxes"][0]
    assert (resized["left"], resized["top"]) == (moved["left"], moved["top"])
    assert abs(resized["left"] + resized["width"] - 500) <= 1 and abs(resized["top"] + resized["height"] - 400) <= 1

    # when: key 3 relabels it, arrows nudge it
    page.keyboard.press("3")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    nudged = page.evaluate("element.value")["boxes"][0]
    assert nudged == {**resized, "label": "bicycle", "left": resized["left"] + 1, "top": resized["top"] + 10}

    # when: the second box is selected by a click and deleted with the Delete key
    page.mouse.click(*to_screen(box, 1100, 800))
    assert page.locator(".gwd-selected").count() == 1
    page.keyboard.press("Delete")
    assert page.evaluate("element.value")["boxes"] == [nudged]

    # when: Escape deselects, key 2 sets the next box's label; the Delete button is disabled
    page.keyboard.press("Escape")
    assert page.locator("button:has-text('Delete box')").is_disabled()
    page.keyboard.press("2")
    assert page.evaluate("element.value")["boxes"] == [nudged]
    drag(page, to_screen(box, 700, 100), to_screen(box, 800, 160))
    assert [b["label"] for b in page.evaluate("element.value")["boxes"]] == ["bicycle", "person"]

    # when: Enter submits
    page.keyboard.press("Enter")
    kinds = [kind for kind, _ in events(page)]
    assert kinds[-1] == "submit" and kinds.count("submit") == 1
    assert events(page)[-1][1] == page.evaluate("element.value")
    page.screenshot(path=str(screenshot_dir / "element-bounding-box-edited.png"))


SEGMENT_LABELS = ["background", "road", "tree"]
SEGMENT_SIZE = (600, 400)


def segment_task(**extra) -> dict:
    return {
        "task_type": "semantic_segmentation",
        "labels": SEGMENT_LABELS,
        "input": {"source-url": "/__drawing__/image.png"},
        **extra,
    }


def mask_of(page) -> np.ndarray:
    """The element's answer decoded as the server decodes it (and checked to be mode L)."""
    encoded = page.evaluate("element.value")["mask"]
    assert Image.open(io.BytesIO(base64.b64decode(encoded))).mode == "L"
    return decode_mask(encoded, n_classes=len(SEGMENT_LABELS))


def distance_to_segment(a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    """Per pixel of the segmentation image, the distance from its centre to segment a-b."""
    ys, xs = np.mgrid[0 : SEGMENT_SIZE[1], 0 : SEGMENT_SIZE[0]] + 0.5
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = np.clip(((xs - ax) * dx + (ys - ay) * dy) / (dx * dx + dy * dy), 0, 1)
    return np.hypot(ax + t * dx - xs, ay + t * dy - ys)


def stroke(page, box: dict, a: tuple[float, float], b: tuple[float, float]) -> None:
    drag(page, to_screen(box, *a), to_screen(box, *b), steps=12)


def test_a_mask_painted_with_brush_polygon_and_eraser_decodes_on_the_server_with_undo_and_redo(
    page, live_server, screenshot_dir
):
    # given: the element on a 600 x 400 image, zoomed in once; the canvas is the image's size
    open_element(page, live_server.url, segment_task(), image=sample_image(*SEGMENT_SIZE))
    canvas = page.evaluate(
        "(({width, height}) => [width, height])(document.querySelector('canvas[data-annotation-surface]'))"
    )
    assert canvas == list(SEGMENT_SIZE)
    assert (mask_of(page) == 0).all()
    page.keyboard.press("+")
    box = surface_box(page)
    assert box["width"] == pytest.approx(760 * 1.25, abs=0.01)

    # when: key 2 picks "road" and a 10 px brush paints from (100, 100) to (200, 120)
    page.keyboard.press("2")
    page.fill("input[type=range] >> nth=0", "10")
    stroke(page, box, (100, 100), (200, 120))
    mask = mask_of(page)
    # then: the pixels within the brush's radius are road, those clearly outside background
    near = distance_to_segment((100, 100), (200, 120))
    assert (mask[near <= 4] == 1).all()
    assert (mask[near >= 6] == 0).all()

    # when: the polygon tool with key 3 ("tree") clicks four corners and the first one again
    page.keyboard.press("p")
    page.keyboard.press("3")
    for corner in [(300, 200), (450, 200), (450, 350), (300, 350), (300, 200)]:
        page.mouse.click(*to_screen(box, *corner))
    mask = mask_of(page)
    # then: the inside is tree, the outside (away from the stroke) background
    assert (mask[202:348, 302:448] == 2).all()
    outside = np.ones(mask.shape, dtype=bool)
    outside[198:352, 298:452] = False
    assert (mask[outside & (near >= 6)] == 0).all()
    page.screenshot(path=str(screenshot_dir / "element-segmentation-painted.png"))

    # when: the eraser (E) crosses the polygon with a 10 px stroke
    page.keyboard.press("e")
    stroke(page, box, (280, 275), (470, 275))
    erased = mask_of(page)
    across = distance_to_segment((280, 275), (470, 275))
    assert (erased[across <= 4] == 0).all()
    assert (erased[202:268, 302:448] == 2).all() and (erased[282:348, 302:448] == 2).all()
    page.screenshot(path=str(screenshot_dir / "element-segmentation-erased.png"))

    # then: Ctrl+Z brings the erased pixels back, Ctrl+Shift+Z and Ctrl+Y erase them again
    page.keyboard.press("Control+z")
    assert (mask_of(page) == mask).all()
    page.keyboard.press("Control+Shift+z")
    assert (mask_of(page) == erased).all()
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    undone_twice = mask_of(page)
    assert (undone_twice[202:348, 302:448] == 0).all() and (undone_twice[near <= 4] == 1).all()
    page.keyboard.press("Control+y")
    page.keyboard.press("Control+y")
    assert (mask_of(page) == erased).all()

    # then: each edit and each undo or redo told the page; Enter submits the same answer
    kinds = [kind for kind, _ in events(page)]
    assert kinds == ["change"] * 9  # stroke, polygon, eraser, 3 undos, 3 redos
    page.keyboard.press("Enter")
    assert events(page)[-1] == ["submit", page.evaluate("element.value")]
    page.screenshot(path=str(screenshot_dir / "element-segmentation-redone.png"))


def test_a_saved_mask_is_restored_and_the_encoder_round_trips_long_runs(page, live_server):
    # given: a mask encoded by the server (Pillow picks its own row filters)
    saved = np.zeros((SEGMENT_SIZE[1], SEGMENT_SIZE[0]), dtype=np.uint8)
    saved[50:150, 40:400] = 1
    saved[200:390, 300:590] = 2
    saved[::7, ::5] = 2
    task = segment_task(value={"mask": encode_mask_base64(saved)})

    # when: the element opens with it as its value
    open_element(page, live_server.url, task, image=sample_image(*SEGMENT_SIZE))

    # then: its answer is that mask, and no change was announced
    assert (mask_of(page) == saved).all()
    assert events(page) == []

    # when: the encoder packs runs of every length from 1 to 700, and a 1 x 1 mask
    rng = np.random.default_rng(7)
    runs = np.concatenate([np.arange(1, 701), rng.integers(1, 300, 300)])
    values = rng.integers(0, 255, len(runs))
    pixels = np.repeat(values, runs).astype(np.uint8)
    width = 997
    pixels = np.concatenate([pixels, np.zeros(-len(pixels) % width, dtype=np.uint8)])
    encoded = page.evaluate(
        """async ([pixels, width]) => {
            const { encodeMaskPng } = await import("/static/console/elements/mask-png.js");
            const data = Uint8Array.from(pixels);
            return [encodeMaskPng(data, width, data.length / width), encodeMaskPng(Uint8Array.of(3), 1, 1)];
        }""",
        [pixels.tolist(), width],
    )

    # then: Pillow reads back exactly those pixels
    decoded = decode_mask(encoded[0], n_classes=256)
    assert (decoded == pixels.reshape(-1, width)).all()
    assert decode_mask(encoded[1], n_classes=4).tolist() == [[3]]


def test_ctrl_wheel_zooms_around_the_pointer_and_space_drag_pans(page, live_server):
    # given: the box element at its fitted size, the pointer over image point (300, 200)
    open_element(page, live_server.url, box_task(), image=sample_image(*IMAGE_SIZE))
    fitted = surface_box(page)
    pointer = to_screen(fitted, 300, 200)
    page.mouse.move(*pointer)

    # when: Ctrl + wheel zooms in
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    page.wait_for_function(
        "w => document.querySelector('[data-annotation-surface]').getBoundingClientRect().width > w + 1",
        arg=fitted["width"],
    )

    # then: larger, and the same image point is still under the pointer
    zoomed = surface_box(page)
    assert zoomed["width"] > fitted["width"] * 1.5
    assert to_image(zoomed, *pointer) == pytest.approx((300, 200), abs=1)

    # when: the pointer drags 100 px left with Space held; then the Pan button and a drag up
    page.keyboard.down(" ")
    drag(page, pointer, (pointer[0] - 100, pointer[1]))
    page.keyboard.up(" ")
    panned = surface_box(page)
    page.click("button[aria-label='Pan mode']")
    assert page.get_attribute("button[aria-label='Pan mode']", "aria-pressed") == "true"
    drag(page, pointer, (pointer[0], pointer[1] - 50))

    # then: the image moved with the pointer each time, and no box was drawn
    assert panned["left"] == pytest.approx(zoomed["left"] - 100, abs=1)
    assert surface_box(page)["top"] == pytest.approx(panned["top"] - 50, abs=1)
    assert page.evaluate("element.value")["boxes"] == []
    assert events(page) == []
