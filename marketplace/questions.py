"""Mechanical Turk questions: the ``Question`` XML of a HIT, and answers as ``QuestionFormAnswers``.

A task of type ``mturk_question`` carries a requester's ``HTMLQuestion``, ``ExternalQuestion`` or
``QuestionForm`` XML. Posting it (``question_input``) checks the XML and stores, as the task's
``input``, what a worker needs to show it:

    {"question_type": "HTMLQuestion", "question": <the XML as given>, "html": ..., "frame_height": 600}
    {"question_type": "ExternalQuestion", "question": ..., "external_url": "https://...", "frame_height": 600}
    {"question_type": "QuestionForm", "question": ..., "questions": [{"id", "text", "kind", ...}]}

A worker's answer to such a task is a flat JSON object of form field names to strings
(``ANSWER_SCHEMA``); the AWS face returns it as ``QuestionFormAnswers`` XML
(``question_form_answers_xml``), one ``<Answer>`` per field with its value as ``FreeText``.

XML is parsed with ``defusedxml``: a document type declaration, an entity or an external
reference is refused, never expanded or fetched.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings

from .validation import FieldErrors

QUESTION_TASK_TYPE = "mturk_question"
QUESTION_TYPES = ("HTMLQuestion", "ExternalQuestion", "QuestionForm")
MAX_QUESTION_CHARS = 131_072  # MTurk's limit on Question
MAX_FIELDS = 1_000
MAX_VALUE_CHARS = 65_535
DEFAULT_FRAME_HEIGHT = 600  # MTurk's FrameHeight 0 means "as tall as the window": the console uses this
ANSWERS_NAMESPACE = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"
)

# The answer to a question task: form field names to strings (what a form posts).
ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "maxProperties": MAX_FIELDS,
    "propertyNames": {"minLength": 1, "maxLength": 200},
    "additionalProperties": {"type": "string", "maxLength": MAX_VALUE_CHARS},
}


class QuestionError(ValueError):
    """The Question XML is not one Groundwork can show; the message says why."""


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _child(element: ElementTree.Element, name: str) -> ElementTree.Element | None:
    return next((child for child in element if _local(child.tag) == name), None)


def _children(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: ElementTree.Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _frame_height(root: ElementTree.Element) -> int:
    raw = _text(_child(root, "FrameHeight"))
    if not raw:
        return DEFAULT_FRAME_HEIGHT
    if not raw.isdigit() or int(raw) > 10_000:
        raise QuestionError("FrameHeight must be a whole number of pixels, at most 10000")
    return int(raw) or DEFAULT_FRAME_HEIGHT


def question_input(xml: object, *, allow_http: bool = False) -> dict[str, Any]:
    """The task input for ``xml`` (see the module docstring); raises ``QuestionError``.

    An ExternalQuestion's URL must be https (as on MTurk), or http too when ``allow_http``
    (the ``MTURK_EXTERNAL_URL_ALLOW_HTTP`` setting, for local set-ups and tests).
    """
    if not isinstance(xml, str) or not xml.strip():
        raise QuestionError("must be the Question XML (a non-empty string)")
    if len(xml) > MAX_QUESTION_CHARS:
        raise QuestionError(f"must be at most {MAX_QUESTION_CHARS} characters")
    try:
        root = fromstring(xml.strip().encode(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise QuestionError("must not declare a DTD or entities") from None
    except ElementTree.ParseError as error:
        raise QuestionError(f"is not well-formed XML ({error})") from None
    kind = _local(root.tag)
    if kind not in QUESTION_TYPES:
        raise QuestionError(f"the root element must be one of {', '.join(QUESTION_TYPES)}, not {kind}")
    shown: dict[str, Any] = {"question_type": kind, "question": xml}
    if kind == "HTMLQuestion":
        html = _text(_child(root, "HTMLContent"))
        if not html:
            raise QuestionError("an HTMLQuestion needs its HTMLContent")
        shown |= {"html": html, "frame_height": _frame_height(root)}
    elif kind == "ExternalQuestion":
        url = _text(_child(root, "ExternalURL"))
        schemes = ("https://", "http://") if allow_http else ("https://",)
        if not url.startswith(schemes) or any(c.isspace() for c in url):
            raise QuestionError("an ExternalQuestion's ExternalURL must be an https:// URL")
        shown |= {"external_url": url, "frame_height": _frame_height(root)}
    else:
        shown["questions"] = _form_questions(root)
    return shown


def question_task_fields(data: dict, errors: FieldErrors) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``input`` and ``answer_schema`` of a task posted as ``mturk_question`` (``data`` is
    the posted task): ``input`` must be ``{"question": "<XML>"}``; the answer schema is the
    type's own (``ANSWER_SCHEMA``), so ``answer_schema`` must be left out. Problems are added to
    ``errors`` under ``input.question`` and ``answer_schema``."""
    given = data.get("input")
    if data.get("answer_schema") is not None:
        errors.add("answer_schema", "must be left out: an mturk_question's answer is its form's fields, as strings")
    if not isinstance(given, dict) or set(given) != {"question"}:
        errors.add("input", 'must be {"question": "<HTMLQuestion, ExternalQuestion or QuestionForm XML>"}')
        return {}, ANSWER_SCHEMA
    try:
        shown = question_input(given["question"], allow_http=settings.MTURK_EXTERNAL_URL_ALLOW_HTTP)
    except QuestionError as error:
        errors.add("input.question", str(error))
        return {}, ANSWER_SCHEMA
    return shown, ANSWER_SCHEMA


def _form_questions(root: ElementTree.Element) -> list[dict[str, Any]]:
    """A QuestionForm's questions, as the console's form shows them: identifier, text, whether
    required, and a free-text box or a choice among selections."""
    questions = []
    for question in _children(root, "Question"):
        identifier = _text(_child(question, "QuestionIdentifier"))
        if not identifier:
            raise QuestionError("every Question of a QuestionForm needs a QuestionIdentifier")
        content = _child(question, "QuestionContent")
        spec = _child(question, "AnswerSpecification")
        selection = _child(spec, "SelectionAnswer") if spec is not None else None
        shown: dict[str, Any] = {
            "id": identifier,
            "name": _text(_child(question, "DisplayName")),
            "text": _text(content) if content is not None else "",
            "required": _text(_child(question, "IsRequired")).lower() == "true",
            "kind": "free_text",
        }
        if selection is not None:
            selections = _child(selection, "Selections")
            shown["kind"] = "selection"
            shown["multiple"] = _text(_child(selection, "MaxSelectionCount")) not in ("", "1")
            shown["options"] = [
                {"id": _text(_child(option, "SelectionIdentifier")), "text": _text(_child(option, "Text"))}
                for option in (_children(selections, "Selection") if selections is not None else [])
            ]
        questions.append(shown)
    if not questions:
        raise QuestionError("a QuestionForm needs at least one Question")
    return questions


def question_form_answers_xml(answer: object) -> str:
    """A question task's answer as MTurk's ``QuestionFormAnswers`` XML: one ``<Answer>`` per
    field, ``QuestionIdentifier`` and ``FreeText``, by field name (the database keeps no order of
    an object's keys). Any other answer (a
    task of another type) is given the same way, each value as its JSON text."""
    root = ElementTree.Element("QuestionFormAnswers", {"xmlns": ANSWERS_NAMESPACE})
    for name, value in sorted(answer.items()) if isinstance(answer, dict) else []:
        item = ElementTree.SubElement(root, "Answer")
        ElementTree.SubElement(item, "QuestionIdentifier").text = str(name)
        ElementTree.SubElement(item, "FreeText").text = value if isinstance(value, str) else _json(value)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode")


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
