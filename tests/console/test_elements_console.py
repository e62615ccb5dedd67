"""The task elements end to end: posted over the requester API, answered in the real console
(uvicorn, websocket, Chromium), and read back through the requester API."""

from __future__ import annotations

import json

import jsonschema
import pytest

from labeling.services.storage_registration import storage_register

from .conftest import ConsoleServer, screenshot, sign_in
from .element_harness import drag_over

pytestmark = pytest.mark.django_db(transaction=True)

# Accents, CJK, an astral emoji and a combining mark (o + U+0308) before the spans chosen.
NER_TEXT = "Zoë 😀 met 李小龍 in Ko\u0308ln near the Ωmega Café."
SCHEMA = {
    "type": "object",
    "required": ["sentiment", "score", "topics"],
    "properties": {
        "sentiment": {"enum": ["positive", "neutral", "negative"]},
        "score": {"type": "integer", "minimum": 1, "maximum": 5},
        "topics": {"type": "array", "items": {"enum": ["food", "travel", "sport"]}, "minItems": 1},
        "spam": {"type": "boolean", "title": "Spam"},
        "comment": {"type": "string", "maxLength": 500},
    },
    "additionalProperties": False,
}


def start_working(page) -> None:
    page.goto("/console/work")
    page.wait_for_selector("#start:focus")
    page.keyboard.press("Enter")


def submitted_answer(server, requester, page, **query) -> dict:
    """The answer of the one submitted assignment matching ``query`` (``task_id=`` or
    ``batch_id=``), through ``GET /api/v1/assignments``."""
    page.wait_for_function("() => document.getElementById('message').textContent.includes('Submitted')")
    with server.api(requester.api_key) as client:
        response = client.get("/api/v1/assignments", params={**query, "status": "submitted"})
    assert response.status_code == 200, response.text
    (assignment,) = response.json()["results"]
    return assignment["answer"]


@pytest.fixture
def ner_job(transactional_db, storage_root, make_requester):
    """A console server reading ``storage_root`` and a named-entity labeling job of one object,
    ``NER_TEXT``, with labels PER and LOC: the server, with ``.requester`` and ``.batch_id``."""
    (storage_root / "texts").mkdir()
    (storage_root / "texts" / "manifest.jsonl").write_text(json.dumps({"source": NER_TEXT}) + "\n")
    requester = make_requester()
    storage_register(organization=requester.organization, uri_prefix="file://texts/")
    server = ConsoleServer(extra_env={"GROUNDWORK_STORAGE_ROOT": str(storage_root)}).start()
    body = {
        "name": "entities",
        "label_attribute_name": "entities",
        "task_type": "named_entity_recognition",
        "label_categories": ["PER", "LOC"],
        "title": "Entities",
        "reward": "0.05",
        "workers_per_object": 1,
        "input_manifest_uri": "file://texts/manifest.jsonl",
        "output_uri": "file://texts/out/",
    }
    job = server.start_labeling_job(requester.api_key, body)
    server.requester, server.batch_id = requester, job["batch_id"]
    yield server
    server.stop()


@pytest.fixture
def ner_page(browser, ner_job):
    context = browser.new_context(base_url=ner_job.url, viewport={"width": 1100, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: page.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    context.close()


def span(part: str) -> tuple[int, int]:
    start = NER_TEXT.index(part)
    return start, start + len(part)


def test_entity_spans_chosen_in_the_console_have_python_offsets(ner_job, ner_page, console_worker):
    # given a named-entity labeling job on non-ASCII text
    console_page = ner_page
    sign_in(console_page, console_worker)
    start_working(console_page)
    console_page.wait_for_selector("gw-entity-annotation [data-annotation-surface]")

    # when the worker drags the mouse over 李小龍 and presses 1, then selects "Ko\u0308ln" with
    # the keyboard (Home, → 17 times, Shift+→ 4 times) and presses 2, then Enter
    drag_over(console_page, NER_TEXT, *span("李小龍"))
    console_page.keyboard.press("1")
    keyboard = console_page.keyboard
    keyboard.press("Home")
    start, _ = span("Ko\u0308ln")
    # → over graphemes: "Zoë 😀 met 李小龍 in " is 17 graphemes (the emoji is one)
    assert len(NER_TEXT[:start]) == 17
    for _ in range(17):
        keyboard.press("ArrowRight")
    for _ in range(4):
        keyboard.press("Shift+ArrowRight")
    keyboard.press("2")
    screenshot(console_page, "work-entity-annotation")
    keyboard.press("Enter")

    # then the requester API has the spans at Python's code point offsets
    answer = submitted_answer(ner_job, ner_job.requester, console_page, batch_id=ner_job.batch_id)
    assert answer == {
        "entities": [
            {"label": "PER", "start": span("李小龍")[0], "end": span("李小龍")[1]},
            {"label": "LOC", "start": span("Ko\u0308ln")[0], "end": span("Ko\u0308ln")[1]},
        ]
    }
    assert [NER_TEXT[e["start"] : e["end"]] for e in answer["entities"]] == ["李小龍", "Ko\u0308ln"]
    assert console_page.console_errors == []


def test_a_schema_generated_form_answered_in_the_console(console_server, console_page, console_worker, post_tasks):
    # given a custom task with an answer schema and an input to show
    (task,) = post_tasks(
        1,
        task_type="custom",
        answer_schema=SCHEMA,
        input={"review": "Great croissants, slow delivery."},
        slots=1,
        instructions="Rate the **review**.",
    )
    sign_in(console_page, console_worker)
    start_working(console_page)
    form = console_page.locator("gw-schema-form form")
    form.wait_for()
    assert console_page.get_by_text("Great croissants, slow delivery.").is_visible()

    # when the worker first submits it empty (errors shown, nothing sent), then fills it
    console_page.keyboard.press("Enter")
    assert form.locator(".gw-error:not([hidden])").count() == 3
    form.get_by_role("radio", name="neutral").check()
    form.get_by_label("Score").fill("4")
    form.get_by_role("checkbox", name="food").check()
    form.get_by_role("checkbox", name="travel").check()
    form.get_by_label("Comment").fill("Fine, 4 stars")
    screenshot(console_page, "work-schema-form")
    form.get_by_label("Score").press("Enter")

    # then the requester API has exactly the form's answer, valid against the schema
    answer = submitted_answer(console_server, post_tasks.requester, console_page, task_id=task["id"])
    expected = {
        "sentiment": "neutral",
        "score": 4,
        "topics": ["food", "travel"],
        "spam": False,
        "comment": "Fine, 4 stars",
    }
    assert answer == expected
    jsonschema.validate(answer, SCHEMA)
    assert console_page.console_errors == []
