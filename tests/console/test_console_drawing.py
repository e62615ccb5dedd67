"""Boxes and masks through the real console: a worker draws on a zoomed image in Chromium, the
answer goes over the websocket, and the requester reads it back over the REST API.

The image is a ``file://`` object of the requester's registered storage, shown through the signed
link the worker API gives (as a presigned S3 URL would be).
"""

from __future__ import annotations

import pytest

from labeling.services.storage_registration import storage_register
from labeling.task_types.masks_png import decode_mask

from .conftest import ConsoleServer, screenshot, sign_in
from .drawing_harness import drag, sample_image, surface_box, to_image, to_screen
from .test_console_working import start_working, wait_for_task

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def image_world(transactional_db, storage_root, make_requester):
    """A console server reading ``storage_root``, and ``start_job(task_type, labels)``: a
    labeling job of one object, ``file://frames/street.png`` (1200 x 900), of a requester whose
    storage is ``file://frames/``; it returns the job's batch id once the job is in progress."""
    (storage_root / "frames").mkdir()
    (storage_root / "frames" / "street.png").write_bytes(sample_image(1200, 900))
    (storage_root / "frames" / "manifest.jsonl").write_text('{"source-ref": "file://frames/street.png"}\n')
    requester = make_requester()
    storage_register(organization=requester.organization, uri_prefix="file://frames/")
    server = ConsoleServer(extra_env={"GROUNDWORK_STORAGE_ROOT": str(storage_root)}).start()

    def start_job(task_type: str, labels: list[str], *, title: str) -> int:
        body = {
            "name": task_type.replace("_", "-"),
            "label_attribute_name": "drawn-ref" if task_type == "semantic_segmentation" else "drawn",
            "task_type": task_type,
            "label_categories": labels,
            "title": title,
            "reward": "0.05",
            "workers_per_object": 1,
            "input_manifest_uri": "file://frames/manifest.jsonl",
            "output_uri": "file://frames/out/",
        }
        return server.start_labeling_job(requester.api_key, body)["batch_id"]

    server.start_job = start_job
    server.requester = requester
    yield server
    server.stop()


@pytest.fixture
def drawing_page(browser, image_world):
    server = image_world
    context = browser.new_context(base_url=server.url, viewport={"width": 1100, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: page.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    context.close()


def answer_of(server: ConsoleServer, batch_id: int, page) -> dict:
    """The submitted answer of the batch's one assignment, read over the requester API."""
    with server.api(server.requester.api_key) as client:
        for _ in range(100):
            results = client.get("/api/v1/assignments", params={"batch_id": batch_id}).json()["results"]
            if results and results[0]["status"] == "submitted":
                return results[0]["answer"]
            page.wait_for_timeout(100)
    raise AssertionError(f"no submitted assignment in batch {batch_id}: {results}")


def test_two_boxes_drawn_on_a_zoomed_image_reach_the_requester_in_image_pixels(
    image_world, drawing_page, console_worker
):
    # given: a bounding-box task on the 1200 x 900 image, the worker at work on it
    server = image_world
    page = drawing_page
    batch_id = server.start_job("bounding_box", ["car", "person"], title="Street")
    sign_in(page, console_worker)
    start_working(page)
    wait_for_task(page, "Street")
    page.wait_for_function("() => document.querySelector('gw-bounding-box')?.value !== null")

    # when: it zooms in twice, pans with the middle button, and drags two boxes (key 2 before
    # the second: person)
    page.keyboard.press("+")
    page.keyboard.press("+")
    viewport = page.locator(".gwd-viewport").bounding_box()
    middle = (viewport["x"] + 200, viewport["y"] + 200)
    page.mouse.move(*middle)
    page.mouse.down(button="middle")
    page.mouse.move(middle[0] - 150, middle[1] - 100, steps=5)
    page.mouse.up(button="middle")
    box = surface_box(page)
    assert box["width"] > viewport["width"] and box["left"] < viewport["x"] - 100
    first = ((viewport["x"] + 60.5, viewport["y"] + 40.5), (viewport["x"] + 300, viewport["y"] + 260))
    second = ((viewport["x"] + 700, viewport["y"] + 420), (viewport["x"] + 420, viewport["y"] + 300))
    drag(page, *first)
    page.keyboard.press("2")
    drag(page, *second)
    screenshot(page, "work-bounding-box")
    page.keyboard.press("Enter")

    # then: the requester reads both boxes in image pixels, within 1 px of the screen points
    answer = answer_of(server, batch_id, page)
    assert answer["image_size"] == {"width": 1200, "height": 900}
    assert [b["label"] for b in answer["boxes"]] == ["car", "person"]
    for drawn, (start, end) in zip(answer["boxes"], [first, second], strict=True):
        (x0, y0), (x1, y1) = to_image(box, *start), to_image(box, *end)
        expected = [min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0)]
        got = [drawn[key] for key in ("left", "top", "width", "height")]
        assert all(abs(g - e) <= 1 for g, e in zip(got, expected, strict=True)), (got, expected)
    assert page.console_errors == []


def test_a_painted_region_reaches_the_requester_as_mask_pixels(image_world, drawing_page, console_worker):
    # given: a segmentation task on the 1200 x 900 image
    server = image_world
    page = drawing_page
    batch_id = server.start_job("semantic_segmentation", ["background", "road", "car"], title="Segment")
    sign_in(page, console_worker)
    start_working(page)
    wait_for_task(page, "Segment")
    page.wait_for_function("() => document.querySelector('gw-semantic-segmentation')?.value !== null")

    # when: zoomed in, the worker fills a polygon of "car" (key 3) and paints a "road" stroke
    page.keyboard.press("+")
    box = surface_box(page)
    page.keyboard.press("p")
    page.keyboard.press("3")
    for corner in [(200, 150), (500, 150), (500, 400), (200, 400)]:
        page.mouse.click(*to_screen(box, *corner))
    page.keyboard.press("Enter")  # closes the polygon
    page.keyboard.press("b")
    page.keyboard.press("2")
    page.fill("gw-semantic-segmentation input[type=range] >> nth=0", "30")
    drag(page, to_screen(box, 600, 500), to_screen(box, 900, 500), steps=12)
    screenshot(page, "work-segmentation")
    page.keyboard.press("Enter")  # submits

    # then: the requester's copy of the mask has those pixels and nothing else
    mask = decode_mask(answer_of(server, batch_id, page)["mask"], n_classes=3)
    assert mask.shape == (900, 1200)
    assert (mask[152:398, 202:498] == 2).all()
    assert (mask[488:512, 604:896] == 1).all()
    painted = (mask != 0).sum()
    assert 246 * 296 <= painted <= 250 * 300 + 30 * 330
    assert (mask[:140] == 0).all() and (mask[530:] == 0).all()
    assert page.console_errors == []
