# ruff: noqa: F811  (the harness fixtures are imported by name, then requested as arguments)
"""gw-schema-form in Chromium: a form generated from a schema with every kind of field, its
validation errors, and the free-form JSON editor of a custom task without a schema."""

from __future__ import annotations

import jsonschema
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

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "Review the listing",
    "required": ["sentiment", "country", "score", "tags", "summary"],
    "properties": {
        "sentiment": {"enum": ["positive", "neutral", "negative"], "title": "Sentiment"},
        "country": {
            "type": "string",
            "title": "Country",
            "enum": ["France", "Germany", "Japan", "Kenya", "Peru", "Brazil", "Canada"],
        },
        "is_spam": {"type": "boolean", "title": "This listing is spam"},
        "score": {"type": "integer", "minimum": 1, "maximum": 5, "description": "1 (bad) to 5 (great)"},
        "price": {"type": "number", "minimum": 0, "title": "Price in euros"},
        "tags": {
            "type": "array",
            "items": {"enum": ["food", "travel", "sport"]},
            "minItems": 1,
            "title": "Topics",
        },
        "summary": {"type": "string", "maxLength": 40, "title": "One-line summary"},
        "notes": {"type": "string", "maxLength": 2000, "title": "Notes", "description": "Anything else."},
        "contact": {
            "type": "object",
            "title": "Seller",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "maxLength": 60},
                "verified": {"type": "boolean"},
            },
        },
    },
    "additionalProperties": False,
}
INPUT = {"listing": "Fresh croissants, delivered daily.", "photo": "/__image__.png"}
TASK = {"task_type": "custom", "labels": [], "answer_schema": SCHEMA, "input": INPUT}


def with_photo(page) -> dict:
    """The task, its photo an absolute URL of the live server (the CSP allows 'self' only)."""
    origin = page.evaluate("() => location.origin")
    return {**TASK, "input": {**INPUT, "photo": f"{origin}/__image__.png"}}


def test_every_kind_of_field_is_generated(element_page):
    # given a custom task with an answer schema
    assert mount(element_page, with_photo(element_page)) == "gw-schema-form"
    form = element_page.locator("form.gw-form")

    # then: few enum values are radios, many a select, booleans checkboxes, strings text fields
    # (a textarea when long), numbers number fields with their bounds, arrays of enums
    # checkboxes, nested objects fieldsets; required fields are marked; input shown
    assert form.get_by_role("radiogroup", name="Sentiment").get_by_role("radio").count() == 3
    assert form.get_by_label("Country").evaluate("e => e.tagName") == "SELECT"
    assert form.get_by_role("checkbox", name="This listing is spam").is_visible()
    score = form.get_by_label("Score")
    assert score.get_attribute("type") == "number"
    assert (score.get_attribute("min"), score.get_attribute("max"), score.get_attribute("step")) == ("1", "5", "1")
    assert element_page.get_by_text("1 (bad) to 5 (great)").is_visible()
    assert form.get_by_label("Price in euros").get_attribute("step") == "any"
    assert form.get_by_role("group", name="Topics").get_by_role("checkbox").count() == 3
    assert form.get_by_label("One-line summary").evaluate("e => e.tagName") == "INPUT"
    assert form.get_by_label("One-line summary").get_attribute("maxlength") == "40"
    assert form.get_by_label("Notes").evaluate("e => e.tagName") == "TEXTAREA"
    seller = form.get_by_role("group", name="Seller")
    assert seller.get_by_label("Name").is_visible() and seller.get_by_role("checkbox", name="Verified").is_visible()
    assert form.locator(".gw-required").count() == 6  # five at the root, the seller's name
    assert element_page.get_by_text("Fresh croissants, delivered daily.").is_visible()
    assert element_page.get_by_role("img", name="Input photo").evaluate("img => img.naturalWidth") == 480
    assert element_value(element_page) is None  # required fields are empty
    assert violations(element_page) == []
    screenshot(element_page, "element-schema-form-empty")


def test_validation_errors_are_shown_next_to_fields_and_block_submit(element_page):
    # given the form, partly filled: a score out of range, a summary, nothing else required
    mount(element_page, TASK)
    form = element_page.locator("form.gw-form")
    form.get_by_label("Score").fill("9")
    form.get_by_label("One-line summary").fill("Good bakery")

    # when the worker presses Enter in the summary field
    form.get_by_label("One-line summary").press("Enter")

    # then nothing is submitted; each bad field says why, next to it, and is marked invalid
    assert events(element_page, "gw-submit") == []
    errors = form.locator(".gw-error:not([hidden])").all_inner_texts()
    assert errors == [
        "Sentiment: required.",
        "Country: required.",
        "Score: must be at most 5.",
        "Topics: choose at least 1.",
    ]
    assert form.get_by_label("Score").get_attribute("aria-invalid") is not None
    assert form.get_by_label("One-line summary").get_attribute("aria-invalid") is None
    assert element_page.get_by_role("status").inner_text() == f"{len(errors)} fields need attention."
    # focus went to the first bad field
    assert element_page.evaluate("() => document.activeElement.type") == "radio"
    screenshot(element_page, "element-schema-form-errors")


def test_a_completed_form_submits_a_value_valid_against_the_schema(element_page):
    # given the form
    mount(element_page, TASK)
    form = element_page.locator("form.gw-form")
    keyboard = element_page.keyboard

    # when the worker fills it, choosing options with keys 1–9 inside choice groups, typing
    # digits in text fields (which must stay text)
    form.get_by_role("radio", name="positive").focus()
    keyboard.press("3")  # the third sentiment
    form.get_by_label("Country").select_option("Japan")
    form.get_by_label("Score").fill("4")
    form.get_by_label("Price in euros").fill("12.5")
    form.get_by_role("checkbox", name="food").focus()
    keyboard.press("3")  # toggles "sport"
    form.get_by_label("One-line summary").fill("")
    form.get_by_label("One-line summary").press_sequentially("Top 10 bakery 123")
    form.get_by_label("Notes").fill("Line one")
    form.get_by_label("Notes").press("Enter")  # a new line in a textarea, not a submit
    form.get_by_label("Notes").press_sequentially("Line 2")
    form.get_by_role("group", name="Seller").get_by_label("Name").fill("Ana")
    form.get_by_role("group", name="Seller").get_by_label("Name").press("Enter")

    # then the submitted value is exactly the form's, and valid against the schema
    expected = {
        "sentiment": "negative",
        "country": "Japan",
        "is_spam": False,
        "score": 4,
        "price": 12.5,
        "tags": ["sport"],
        "summary": "Top 10 bakery 123",
        "notes": "Line one\nLine 2",
        "contact": {"name": "Ana", "verified": False},
    }
    assert events(element_page, "gw-submit") == [expected]
    jsonschema.validate(expected, SCHEMA)
    assert events(element_page, "gw-change")[-1] == expected
    assert form.locator(".gw-error:not([hidden])").count() == 0
    screenshot(element_page, "element-schema-form-filled")


def test_a_draft_is_restored_into_the_form(element_page):
    draft = {
        "sentiment": "neutral",
        "country": "Peru",
        "is_spam": True,
        "score": 2,
        "tags": ["food", "travel"],
        "summary": "ok",
        "contact": {"name": "Bo", "verified": True},
    }
    mount(element_page, TASK, value=draft)
    assert element_value(element_page) == draft


def test_a_custom_task_without_schema_takes_a_json_object(element_page):
    # given a custom task with neither labels nor schema
    mount(element_page, {"task_type": "custom", "labels": [], "answer_schema": None, "input": {"q": "Describe"}})
    editor = element_page.get_by_label("Your answer, as a JSON object")

    # when the worker types a list, then bad JSON, then an object, pressing Ctrl+Enter each time
    editor.fill("[1, 2]")
    editor.press("Control+Enter")
    first = element_page.locator(".gw-error:not([hidden])").inner_text()
    editor.fill("{'a': 1}")
    editor.press("Control+Enter")
    second = element_page.locator(".gw-error:not([hidden])").inner_text()
    editor.fill('{"colour": "blue", "count": 2}')
    editor.press("Control+Enter")

    # then only the object was submitted
    assert first == "Your answer, as a JSON object: must be a JSON object ({…})."
    assert second.startswith("Your answer, as a JSON object: not valid JSON (")
    assert events(element_page, "gw-submit") == [{"colour": "blue", "count": 2}]
    screenshot(element_page, "element-schema-form-free")


def test_schema_form_at_375_px(phone_page):
    mount(phone_page, with_photo(phone_page))
    phone_page.keyboard.press("Enter")  # shows the errors
    screenshot(phone_page, "element-schema-form-375px")
    assert phone_page.evaluate("() => document.documentElement.scrollWidth") <= 375
