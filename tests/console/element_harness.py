"""Driving the console's task elements alone in Chromium (no console page, no websocket).

A page of the live test server is faked with Playwright's routing (same origin, so
``/static/console/elements/…`` loads from the real static files, served by the live server's
static handler) and carries the console's Content-Security-Policy; any CSP violation is
recorded in ``window.__violations``. ``mount`` builds an element with the real
``createTaskElement`` and records its ``gw-change``/``gw-submit`` events in ``window.__events``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests.conftest import SCREENSHOT_DIR
from tests.portal.conftest import browser  # noqa: F401  (a fixture used by the tests)

CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:"
)
HARNESS_HTML = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
    "<meta name='viewport' content='width=device-width, initial-scale=1'>"
    "<title>Task element</title></head><body><main id='stage'></main></body></html>"
)
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1000, "height": 760}


def sample_png(width: int = 480, height: int = 320) -> bytes:
    """A small picture (sky, ground, a sun) to classify."""
    image = Image.new("RGB", (width, height), (135, 190, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 2 // 3, width, height), fill=(90, 150, 80))
    draw.ellipse((width - 130, 30, width - 50, 110), fill=(250, 210, 60))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def open_harness(browser, base_url: str, *, csp: bool = True, viewport: dict | None = None):  # noqa: F811
    """A fresh context on a blank same-origin page (with the console's CSP unless ``csp`` is
    false: hostile-content tests run without it, so inertness is the elements' own doing)."""
    context = browser.new_context(base_url=base_url, viewport=viewport or DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    headers = {"Content-Security-Policy": CONSOLE_CSP} if csp else {}
    page.route(
        "**/__elements__",
        lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", headers=headers, body=HARNESS_HTML
        ),
    )
    png = sample_png()
    page.route("**/__image__.png", lambda route: route.fulfill(status=200, content_type="image/png", body=png))
    page.goto("/__elements__")
    page.evaluate("""() => {
        window.__violations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective));
    }""")
    return context, page


@pytest.fixture
def element_page(browser, live_server):  # noqa: F811
    context, page = open_harness(browser, live_server.url)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):  # noqa: F811
    context, page = open_harness(browser, live_server.url, viewport=PHONE)
    yield page
    context.close()


def mount(page, task: dict, *, value: object = None) -> str:
    """Build the element for ``task`` with ``createTaskElement``, connect it, wait for
    ``ready``, focus it; returns its tag name."""
    return page.evaluate(
        """async ([task, value]) => {
            const { createTaskElement } = await import('/static/console/elements/index.js');
            window.__events = [];
            const element = createTaskElement(task);
            if (value !== null) element.value = value;
            for (const type of ['gw-change', 'gw-submit']) {
                document.addEventListener(type, (e) => window.__events.push({ type: e.type, value: e.detail.value }));
            }
            document.getElementById('stage').replaceChildren(element);
            await element.ready;
            element.focus();
            return element.localName;
        }""",
        [task, value],
    )


def events(page, type_: str | None = None) -> list:
    recorded = page.evaluate("() => window.__events")
    return [event["value"] for event in recorded if type_ is None or event["type"] == type_]


def element_value(page):
    return page.evaluate("() => document.querySelector('#stage > *').value")


def violations(page) -> list:
    return page.evaluate("() => window.__violations")


def screenshot(page, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def drag_over(page, text: str, start: int, end: int) -> None:
    """Drag the mouse over ``text[start:end]`` shown in the page's ``data-annotation-surface``:
    from the left edge of code point ``start`` to the right edge of the one before ``end``
    (screen points from the rendered characters)."""
    box = page.evaluate(
        """([a, b]) => {
            const surface = document.querySelector('[data-annotation-surface]');
            const walker = document.createTreeWalker(surface, NodeFilter.SHOW_TEXT);
            const point = (target) => {
                let seen = 0;
                for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                    if (target <= seen + node.data.length) return [node, target - seen];
                    seen += node.data.length;
                }
                throw new Error('offset beyond the text');
            };
            const range = document.createRange();
            range.setStart(...point(a));
            walker.currentNode = surface;
            range.setEnd(...point(b));
            const rects = [...range.getClientRects()].filter((r) => r.width > 0);
            const first = rects[0], last = rects[rects.length - 1];
            const middle = (r) => (r.top + r.bottom) / 2;
            return { x0: first.left, y0: middle(first), x1: last.right, y1: middle(last) };
        }""",
        [utf16(text, start), utf16(text, end)],
    )
    page.mouse.move(box["x0"] + 1, box["y0"])
    page.mouse.down()
    page.mouse.move(box["x1"] - 1, box["y1"], steps=6)
    page.mouse.up()
