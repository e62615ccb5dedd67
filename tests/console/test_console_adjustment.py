"""A bounding-box adjustment through the real console: the work page starts the box element
from the task's existing boxes, the worker moves one and deletes another in Chromium, submits,
and the job's output manifest says the boxes were adjusted."""

from __future__ import annotations

import json

import pytest

from labeling.models import LabelingJob
from labeling.services.storage_registration import storage_register

from .conftest import ConsoleServer, screenshot, sign_in
from .drawing_harness import drag, sample_image, surface_box, to_screen
from .test_console_drawing import answer_of
from .test_console_working import start_working, wait_for_task

pytestmark = pytest.mark.django_db(transaction=True)

# The existing boxes, as an earlier job's output line has them (drawn on a half-size copy).
SOURCE_LINE = {
    "source-ref": "file://frames/street.png",
    "boxes": {
        "image_size": [{"width": 600, "height": 450, "depth": 3}],
        "annotations": [
            {"class_id": 0, "left": 50, "top": 50, "width": 100, "height": 75},
            {"class_id": 1, "left": 400, "top": 250, "width": 50, "height": 100},
        ],
    },
    "boxes-metadata": {
        "objects": [{"confidence": 0.9}, {"confidence": 0.8}],
        "class-map": {"0": "car", "1": "person"},
        "type": "groundtruth/object-detection",
        "human-annotated": "yes",
        "creation-date": "2018-10-18T22:18:13.527256",
        "job-name": "labeling-job/street-boxes",
    },
}


@pytest.fixture
def adjustment_world(transactional_db, storage_root, make_requester):
    """A console server reading ``storage_root`` and a box adjustment job over one 1200 x 900
    image whose manifest line carries two existing boxes."""
    (storage_root / "frames").mkdir()
    (storage_root / "frames" / "street.png").write_bytes(sample_image(1200, 900))
    (storage_root / "frames" / "manifest.jsonl").write_text(json.dumps(SOURCE_LINE) + "\n")
    requester = make_requester()
    storage_register(organization=requester.organization, uri_prefix="file://frames/")
    server = ConsoleServer(extra_env={"GROUNDWORK_STORAGE_ROOT": str(storage_root)}).start()
    body = {
        "name": "fix-street",
        "label_attribute_name": "fixed",
        "source_label_attribute_name": "boxes",
        "task_type": "bounding_box_adjustment",
        "label_categories": ["car", "person"],
        "title": "Fix the street boxes",
        "reward": "0.05",
        "workers_per_object": 1,
        "input_manifest_uri": "file://frames/manifest.jsonl",
        "output_uri": "file://frames/out/",
    }
    server.requester = requester
    server.job = server.start_labeling_job(requester.api_key, body)
    yield server
    server.stop()


@pytest.fixture
def adjustment_page(browser, adjustment_world):
    context = browser.new_context(base_url=adjustment_world.url, viewport={"width": 1100, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: page.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    context.close()


def test_a_worker_moves_a_preloaded_box_deletes_another_and_the_output_says_adjusted(
    adjustment_world, adjustment_page, console_worker, storage_root
):
    # given: the worker at work on the adjustment task
    server, page = adjustment_world, adjustment_page
    sign_in(page, console_worker)
    start_working(page)
    wait_for_task(page, "Fix the street boxes")
    page.wait_for_function("() => document.querySelector('gw-bounding-box')?.value !== null")

    # then: the existing boxes are there, at the image's own size
    assert page.locator("gw-bounding-box .gwd-box").count() == 2
    preloaded = page.evaluate("document.querySelector('gw-bounding-box').value")
    assert preloaded["boxes"] == [
        {"label": "car", "left": 100, "top": 100, "width": 200, "height": 150},
        {"label": "person", "left": 800, "top": 500, "width": 100, "height": 200},
    ]
    screenshot(page, "work-bounding-box-adjustment-preloaded")

    # when: the car box is dragged 100 image pixels right and down, the person box deleted
    box = surface_box(page)
    drag(page, to_screen(box, 200, 175), to_screen(box, 300, 275))
    page.mouse.click(*to_screen(box, 850, 600))
    page.keyboard.press("Delete")
    screenshot(page, "work-bounding-box-adjustment-edited")
    page.keyboard.press("Enter")

    # then: the requester reads the corrected boxes, and the output says "adjusted"
    answer = answer_of(server, server.job["batch_id"], page)
    assert answer["image_size"] == {"width": 1200, "height": 900}
    assert len(answer["boxes"]) == 1
    moved = answer["boxes"][0]
    assert moved["label"] == "car"
    assert abs(moved["left"] - 200) <= 1 and abs(moved["top"] - 200) <= 1
    assert (moved["width"], moved["height"]) == (200, 150)
    with server.api(server.requester.api_key) as client:
        for _ in range(200):
            job = client.get(f"/api/v1/labeling-jobs/{server.job['id']}").json()
            if job["status"] == "completed":
                break
            page.wait_for_timeout(100)
    assert job["status"] == "completed", job
    assert LabelingJob.objects.get(pk=job["id"]).status == "completed"
    written = (storage_root / "frames" / "out" / "fix-street" / "manifests" / "output" / "output.manifest").read_text()
    line = json.loads(written.splitlines()[0])
    assert line["boxes"] == SOURCE_LINE["boxes"]
    assert line["fixed-metadata"]["adjustment-status"] == "adjusted"
    assert line["fixed"]["annotations"] == [
        {"class_id": 0, "left": moved["left"], "top": moved["top"], "width": 200, "height": 150}
    ]
    assert page.console_errors == []
