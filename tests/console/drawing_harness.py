"""A same-origin test page for the drawing elements, without the console.

The page, its module script and the test image are answered by playwright's ``page.route`` on
the live server's origin; the element modules themselves come from ``/static/`` (WhiteNoise, as
in production). The page carries the console's Content-Security-Policy, so an inline style or
script in an element would fail here too.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import quote

from PIL import Image, ImageDraw

CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drawing element</title>
<link rel="stylesheet" href="/__drawing__/page.css">
<script type="module" src="/__drawing__/harness.js"></script></head>
<body><main id="host"></main></body></html>"""

PAGE_CSS = "body { margin: 16px; font-family: sans-serif; } #host { width: 760px; }"

# Builds the element from ?task=<json> (the websocket task message's fields), records its events
# on window.events, and sets data-ready on <body> once `ready` resolved.
HARNESS = """
const task = JSON.parse(new URLSearchParams(location.search).get("task"));
const tag = task.task_type === "bounding_box" ? "gw-bounding-box" : "gw-semantic-segmentation";
let element;
if (task.use_index) {
  const { createTaskElement } = await import("/static/console/elements/index.js");
  element = createTaskElement(task);
}
if (!element || element.localName !== tag) {
  await import(`/static/console/elements/${tag}.js`);
  element = document.createElement(tag);
  element.labels = task.labels;
  element.src = task.input["source-url"];
  if (task.value !== undefined) element.value = task.value;
} else if (task.value !== undefined) element.value = task.value;
window.events = [];
element.addEventListener("gw-change", (e) => window.events.push(["change", e.detail.value]));
element.addEventListener("gw-submit", (e) => window.events.push(["submit", e.detail.value]));
window.element = element;
document.getElementById("host").append(element);
await element.ready;
element.focus();
document.body.dataset.ready = "1";
"""


def sample_image(width: int, height: int) -> bytes:
    """A PNG with a grid every 100 px and a few shapes, so screenshots show where things are."""
    image = Image.new("RGB", (width, height), (222, 231, 240))
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 100):
        draw.line([(x, 0), (x, height)], fill=(150, 160, 175), width=1)
    for y in range(0, height, 100):
        draw.line([(0, y), (width, y)], fill=(150, 160, 175), width=1)
    draw.ellipse([width * 0.1, height * 0.2, width * 0.35, height * 0.6], fill=(200, 120, 60))
    draw.rectangle([width * 0.55, height * 0.5, width * 0.9, height * 0.85], fill=(70, 130, 90))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


ELEMENTS = Path(__file__).resolve().parents[2] / "labeling" / "static" / "console" / "elements"


def open_element(page, live_server_url: str, task: dict, *, image: bytes) -> None:
    """Opens the harness page for ``task`` (its ``input["source-url"]`` is answered with
    ``image``) and waits until the element's ``ready`` resolved. The element comes from
    ``createTaskElement`` of ``elements/index.js`` when that module exists."""
    task = {**task, "use_index": (ELEMENTS / "index.js").exists()}

    def fulfil(route, body: str | bytes, content_type: str, **headers) -> None:
        route.fulfill(status=200, body=body, headers={"Content-Type": content_type, **headers})

    page.route("**/__drawing__/page.html*", lambda r: fulfil(r, PAGE, "text/html", **{"Content-Security-Policy": CSP}))
    page.route("**/__drawing__/page.css", lambda r: fulfil(r, PAGE_CSS, "text/css"))
    page.route("**/__drawing__/harness.js", lambda r: fulfil(r, HARNESS, "text/javascript"))
    page.route("**/__drawing__/image.png", lambda r: fulfil(r, image, "image/png"))
    page.set_viewport_size({"width": 1000, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(f"{message.text} {message.location}"))
    page.goto(f"{live_server_url}/__drawing__/page.html?task={quote(json.dumps(task), safe='')}")
    try:
        page.wait_for_selector("body[data-ready='1']", state="attached")
    finally:
        assert errors == [], errors


def surface_box(page) -> dict:
    """The drawing surface's client rect and the image's natural size."""
    return page.evaluate(
        """() => {
            const surface = document.querySelector("[data-annotation-surface]");
            const r = surface.getBoundingClientRect();
            const img = surface.closest(".gwd").querySelector("img.gwd-image");
            return {left: r.left, top: r.top, width: r.width, height: r.height,
                    natural_width: img.naturalWidth, natural_height: img.naturalHeight};
        }"""
    )


def to_image(box: dict, x: float, y: float) -> tuple[float, float]:
    """Image pixel coordinates of screen point (x, y), as the contract says a test maps them."""
    return (
        (x - box["left"]) * box["natural_width"] / box["width"],
        (y - box["top"]) * box["natural_height"] / box["height"],
    )


def to_screen(box: dict, x: float, y: float) -> tuple[float, float]:
    return (
        box["left"] + x * box["width"] / box["natural_width"],
        box["top"] + y * box["height"] / box["natural_height"],
    )


def drag(page, start: tuple[float, float], end: tuple[float, float], *, steps: int = 8) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()
