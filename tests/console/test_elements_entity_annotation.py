# ruff: noqa: F811  (the harness fixtures are imported by name, then requested as arguments)
"""gw-entity-annotation in Chromium: spans chosen with the mouse and with the keyboard on text
with accents, CJK, emoji (one of them a ZWJ sequence) and combining marks; the offsets must be
exactly those Python computes on the same ``str`` (code points, end exclusive)."""

from __future__ import annotations

import pytest

from tests.console.element_harness import (  # noqa: F401  (fixtures)
    browser,
    drag_over,
    element_page,
    element_value,
    events,
    mount,
    phone_page,
    screenshot,
    utf16,
    violations,
)

pytestmark = pytest.mark.django_db(transaction=True)

# "Köln" and "Café" are written with combining marks (o + U+0308, e + U+0301).
TEXT = "Zoë Ångström 👩\u200d🔬 met 李小龍 in Ko\u0308ln, then 😀 Cafe\u0301 Noir.\nLine two: Ωmega."
LABELS = ["PER", "LOC", "ORG", "MISC"]
TASK = {"task_type": "named_entity_recognition", "labels": LABELS, "input": {"source": TEXT}}


def span(text: str, part: str) -> tuple[int, int]:
    """Python's offsets of ``part`` in ``text``: code points, end exclusive."""
    start = text.index(part)
    return start, start + len(part)


def entities(page) -> list[tuple[str, int, int]]:
    return [(e["label"], e["start"], e["end"]) for e in element_value(page)["entities"]]


def test_mouse_selections_give_python_offsets(element_page):
    # given a named-entity task on non-ASCII text
    assert mount(element_page, TASK) == "gw-entity-annotation"
    assert element_value(element_page) == {"entities": []}

    # when the worker drags over 李小龍 and presses 1, over "Ko\u0308ln" and clicks LOC,
    # over " 😀 Cafe\u0301 " (with the spaces) and presses 4
    drag_over(element_page, TEXT, *span(TEXT, "李小龍"))
    element_page.keyboard.press("1")
    drag_over(element_page, TEXT, *span(TEXT, "Ko\u0308ln"))
    element_page.get_by_role("button", name="LOC", exact=True).click()
    drag_over(element_page, TEXT, *span(TEXT, " 😀 Cafe\u0301 "))
    element_page.keyboard.press("4")

    # then the offsets are Python's (white space around a mouse selection left out)
    assert entities(element_page) == [
        ("PER", *span(TEXT, "李小龍")),
        ("LOC", *span(TEXT, "Ko\u0308ln")),
        ("MISC", *span(TEXT, "😀 Cafe\u0301")),
    ]
    assert span(TEXT, "Ko\u0308ln") == (28, 33)  # the combining mark counts as one code point
    assert events(element_page, "gw-change")[-1] == element_value(element_page)
    # each span is highlighted with its label's name, and listed
    marks = element_page.locator("mark.gw-entity")
    assert marks.all_inner_texts() == ["李小龍", "Ko\u0308ln", "😀 Cafe\u0301"]
    assert [marks.nth(i).get_attribute("data-label") for i in range(3)] == ["PER", "LOC", "MISC"]
    assert element_page.locator("[data-annotation-surface]").inner_text() == TEXT
    assert violations(element_page) == []
    screenshot(element_page, "element-entity-annotation")


def test_keyboard_selection_by_character_and_word(element_page):
    # given the task, focus on the text
    mount(element_page, TASK)
    keyboard = element_page.keyboard

    # when: Home, Shift+Ctrl+→ (the word "Zoë"), 1
    keyboard.press("Home")
    keyboard.press("Shift+Control+ArrowRight")
    keyboard.press("1")
    # Ctrl+→ past "Ångström", → over the space, Shift+→ over the scientist emoji (one
    # grapheme, three code points), 4
    keyboard.press("Control+ArrowRight")
    keyboard.press("ArrowRight")
    keyboard.press("Shift+ArrowRight")
    keyboard.press("4")
    # Ctrl+→ to the end of "met", → eight times over " 李小龍 in ", Shift+→ four times over
    # K, o+U+0308, l, n; 2
    keyboard.press("Control+ArrowRight")
    for _ in range(8):
        keyboard.press("ArrowRight")
    for _ in range(4):
        keyboard.press("Shift+ArrowRight")
    keyboard.press("2")
    # End, Shift+← five times over "Ωmega" from its end ("." first, so six), 3
    keyboard.press("End")
    keyboard.press("ArrowLeft")
    for _ in range(5):
        keyboard.press("Shift+ArrowLeft")
    keyboard.press("3")

    # then every span has Python's offsets
    assert entities(element_page) == [
        ("PER", *span(TEXT, "Zoë")),
        ("MISC", *span(TEXT, "👩\u200d🔬")),
        ("LOC", *span(TEXT, "Ko\u0308ln")),
        ("ORG", *span(TEXT, "Ωmega")),
    ]
    assert span(TEXT, "👩\u200d🔬") == (13, 16)
    screenshot(element_page, "element-entity-annotation-keyboard")


def test_keyboard_selection_stops_between_cjk_characters(element_page):
    # given the caret just before 李小龍 (reached with → from the text's start)
    mount(element_page, TASK)
    start, _ = span(TEXT, "李小龍")
    element_page.keyboard.press("Home")
    # "Zoë Ångström 👩‍🔬 met " is 21 code points but 19 graphemes (the ZWJ sequence is one)
    for _ in range(19):
        element_page.keyboard.press("ArrowRight")

    # when the worker extends over two characters and labels them
    element_page.keyboard.press("Shift+ArrowRight")
    element_page.keyboard.press("Shift+ArrowRight")
    element_page.keyboard.press("1")

    # then the span is 李小 exactly
    assert entities(element_page) == [("PER", start, start + 2)]
    assert TEXT[start : start + 2] == "李小"


def test_a_selection_inside_a_grapheme_is_widened_to_it(element_page):
    # given a DOM selection (as a browser may make it) that ends between "e" and its combining
    # accent in "Cafe\u0301"
    mount(element_page, TASK)
    start, end = span(TEXT, "Cafe\u0301")
    element_page.evaluate(
        """([a, b]) => {
            const surface = document.querySelector('[data-annotation-surface]');
            const text = document.createTreeWalker(surface, NodeFilter.SHOW_TEXT).nextNode();
            document.getSelection().setBaseAndExtent(text, a, text, b);
            surface.dispatchEvent(new PointerEvent('pointerup', { bubbles: true }));
        }""",
        [utf16(TEXT, start), utf16(TEXT, end - 1)],
    )

    # when it is labelled
    element_page.keyboard.press("2")

    # then the accent is inside the span
    assert entities(element_page) == [("LOC", start, end)]


def test_remove_by_delete_and_by_button_and_relabel(element_page):
    # given three entities restored from a draft
    draft = {
        "entities": [
            {"label": "LOC", "start": span(TEXT, "Ko\u0308ln")[0], "end": span(TEXT, "Ko\u0308ln")[1]},
            {"label": "PER", "start": 0, "end": 3},
            {"label": "PER", "start": span(TEXT, "李小龍")[0], "end": span(TEXT, "李小龍")[1]},
        ]
    }
    mount(element_page, TASK, value=draft)
    assert [e[0] for e in entities(element_page)] == ["PER", "PER", "LOC"]  # sorted by start
    keyboard = element_page.keyboard

    # when: the caret into "Zoë" (Home, →), 3 relabels it; Delete removes it
    keyboard.press("Home")
    keyboard.press("ArrowRight")
    keyboard.press("3")
    assert entities(element_page)[0] == ("ORG", 0, 3)
    keyboard.press("Delete")
    # and the remove button of 李小龍
    element_page.get_by_role("button", name="Remove PER “李小龍”").click()

    # then only Köln is left, and each step fired gw-change
    assert entities(element_page) == [("LOC", *span(TEXT, "Ko\u0308ln"))]
    assert len(events(element_page, "gw-change")) == 3
    assert element_page.get_by_role("status").inner_text() == "Removed PER “李小龍”."
    assert element_page.locator("mark.gw-entity").count() == 1


def test_overlapping_selection_replaces_the_spans_it_overlaps(element_page):
    # given PER on "Zoë" and LOC on "Ångström"
    mount(
        element_page,
        TASK,
        value={
            "entities": [
                {"label": "PER", "start": 0, "end": 3},
                {"label": "LOC", "start": 4, "end": 12},
            ]
        },
    )

    # when the worker selects from "oë" to the end of "Ångström" and presses 1
    element_page.keyboard.press("Home")
    element_page.keyboard.press("ArrowRight")
    element_page.keyboard.press("Shift+Control+ArrowRight")
    element_page.keyboard.press("Shift+Control+ArrowRight")
    element_page.keyboard.press("1")

    # then one span replaces both, and the worker is told
    assert entities(element_page) == [("PER", 1, 12)]
    assert element_page.get_by_role("status").inner_text() == (
        "Labelled PER “oë Ångström”. Replaced PER “Zoë”, LOC “Ångström”."
    )


def test_enter_submits_and_escape_clears(element_page):
    mount(element_page, TASK)
    element_page.keyboard.press("Shift+Control+ArrowRight")
    element_page.keyboard.press("Escape")
    element_page.keyboard.press("1")  # nothing selected any more: no entity
    assert entities(element_page) == []
    element_page.keyboard.press("Home")
    element_page.keyboard.press("Shift+Control+ArrowRight")
    element_page.keyboard.press("1")
    element_page.keyboard.press("Enter")
    assert events(element_page, "gw-submit") == [{"entities": [{"label": "PER", "start": 0, "end": 3}]}]


def test_entity_annotation_at_375_px(phone_page):
    # a text in fonts every machine has (the docs show this screenshot)
    text = "Zoë Ångström flew from Ko\u0308ln to São Paulo with the Ωmega Café team 😀."
    task = {"task_type": "named_entity_recognition", "labels": LABELS, "input": {"source": text}}
    draft = [("PER", "Zoë Ångström"), ("LOC", "Ko\u0308ln"), ("LOC", "São Paulo"), ("ORG", "Ωmega Café")]
    entities_ = [
        {"label": label, "start": text.index(part), "end": text.index(part) + len(part)} for label, part in draft
    ]
    mount(phone_page, task, value={"entities": entities_})
    phone_page.keyboard.press("End")
    screenshot(phone_page, "element-entity-annotation-375px")
    assert phone_page.evaluate("() => document.documentElement.scrollWidth") <= 375
    assert [e["start"] for e in element_value(phone_page)["entities"]] == [e["start"] for e in entities_]


def test_a_draft_with_bad_entities_keeps_only_the_valid_ones(element_page):
    # given a draft with junk, an unknown label, a span past the end and an overlapping span
    draft = {
        "entities": [
            None,
            "PER",
            {"label": "PER", "start": 0, "end": 3},
            {"label": "NOPE", "start": 4, "end": 12},
            {"label": "LOC", "start": 2, "end": 8},
            {"label": "LOC", "start": 60, "end": 999},
            {"label": "ORG", "start": 4, "end": 4},
        ]
    }

    # when the element is mounted with it
    mount(element_page, TASK, value=draft)

    # then only the first valid span is kept, nothing fired, and the element works
    assert entities(element_page) == [("PER", 0, 3)]
    assert events(element_page) == []


def test_double_click_a_word_then_click_an_entity_to_relabel_and_remove_it(element_page):
    # given the task
    mount(element_page, TASK)
    surface = element_page.locator("[data-annotation-surface]")

    # when the worker double-clicks "Ångström" and presses 2
    box = element_page.evaluate(
        """([a, b]) => {
            const text = document.createTreeWalker(document.querySelector('[data-annotation-surface]'),
                NodeFilter.SHOW_TEXT).nextNode();
            const range = document.createRange();
            range.setStart(text, a);
            range.setEnd(text, b);
            const r = range.getBoundingClientRect();
            return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
        }""",
        [utf16(TEXT, 4), utf16(TEXT, 12)],
    )
    element_page.mouse.dblclick(box["x"], box["y"])
    element_page.keyboard.press("2")

    # then the word (without a trailing space) is a LOC entity
    assert entities(element_page) == [("LOC", *span(TEXT, "Ångström"))]

    # when the worker clicks the entity's highlight, presses 3, then Delete
    element_page.locator("mark.gw-entity").click()
    element_page.keyboard.press("3")
    assert entities(element_page) == [("ORG", 4, 12)]
    element_page.keyboard.press("Delete")

    # then it is gone, and focus stayed on the text
    assert entities(element_page) == []
    assert surface.evaluate("node => document.activeElement === node")
