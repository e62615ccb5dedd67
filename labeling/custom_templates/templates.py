"""A custom template's grammar, checks and rendering (docs/templates.md "Template syntax").

A template is HTML with variables ``{{ task.input.<key>[.<key>...] }}``, ``{{ task.input }}``
and ``{{ task.labels }}``, each optionally followed by ``| to_json``. Every value is HTML-escaped
where it lands (text or attribute): there is no raw filter, so nothing in a manifest line or a
pre-task hook's answer ever becomes markup. A string is written as it is, anything else (and
any value under ``to_json``) as JSON; a key the input does not have renders as nothing.

A variable may stand in text or inside a quoted attribute value only: one in a tag outside a
value, in an unquoted value (where a space would start another attribute), or in a ``srcdoc``
or ``on…`` attribute (whose value the browser reads as markup or script) is refused.

Variables are refused inside ``<script>`` elements: the frame's Content-Security-Policy allows
the template's inline scripts by the hash of their text as written, so a script must not change
with the data (read values from the page, e.g. a ``data-`` attribute, instead).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from dataclasses import dataclass

MAX_TEMPLATE_CHARS = 100_000
MAX_VARIABLES = 500
_VARIABLE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_EXPRESSION = re.compile(r"^task\.(input(?:\.[A-Za-z0-9_-]+)*|labels)(?:\s*\|\s*(to_json))?$")
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_SRC_ATTRIBUTE = re.compile(r"\bsrc\s*=", re.IGNORECASE)
_TAG_OPEN = re.compile(r"<(/?)([A-Za-z][^\s/>]*)")
_ATTRIBUTE = re.compile(r"""\s*([^\s"'<>/=]+)(?:\s*=\s*("[^"]*"?|'[^']*'?|[^\s>]*))?|\s*/""")
_RAW_TEXT = ("script", "style", "textarea", "title", "xmp", "noscript", "iframe", "noembed", "noframes")


class TemplateError(ValueError):
    """What is wrong with a template, in words naming where (shown in a 400 on ``template``)."""


@dataclass(frozen=True)
class Variable:
    start: int
    end: int
    path: tuple[str, ...]  # ("input", "source-url") or ("labels",)
    as_json: bool


def _line_of(template: str, position: int) -> int:
    return template.count("\n", 0, position) + 1


def parse_variables(template: str) -> list[Variable]:
    """The template's variables in order; ``TemplateError`` for a bad one, an unclosed ``{{``,
    template tags (``{%``), a variable inside ``<script>``, or a template too large."""
    if not isinstance(template, str) or not template.strip():
        raise TemplateError("must be a non-empty string of HTML")
    if len(template) > MAX_TEMPLATE_CHARS:
        raise TemplateError(f"must be at most {MAX_TEMPLATE_CHARS} characters, got {len(template)}")
    if "{%" in template:
        raise TemplateError(f"line {_line_of(template, template.index('{%'))}: template tags {{% %}} are not supported")
    scripts = [(match.start(), match.end()) for match in _SCRIPT.finditer(template)]
    variables: list[Variable] = []
    position = 0
    for match in _VARIABLE.finditer(template):
        stray = template.find("{{", position, match.start())
        if stray != -1:
            raise TemplateError(f"line {_line_of(template, stray)}: {{{{ is not closed by }}}}")
        position = match.end()
        expression = " ".join(match.group(1).split())
        parsed = _EXPRESSION.match(expression)
        line = _line_of(template, match.start())
        if parsed is None:
            raise TemplateError(
                f"line {line}: {{{{ {expression[:80]} }}}} is not a variable: use task.input.<key>, task.input "
                "or task.labels, optionally with | to_json"
            )
        if any(start <= match.start() < end for start, end in scripts):
            raise TemplateError(f"line {line}: variables are not allowed inside <script> (use a data- attribute)")
        variables.append(
            Variable(match.start(), match.end(), tuple(parsed.group(1).split(".")), as_json=bool(parsed.group(2)))
        )
        if len(variables) > MAX_VARIABLES:
            raise TemplateError(f"has more than {MAX_VARIABLES} variables")
    if template.find("{{", position) != -1:
        raise TemplateError(f"line {_line_of(template, template.index('{{', position))}: {{{{ is not closed by }}}}")
    _check_positions(template, variables)
    return variables


def _check_positions(template: str, variables: list[Variable]) -> None:
    """``TemplateError`` for a variable placed where its escaped value could still become an
    attribute, markup or script (the module docstring)."""
    if not variables:
        return
    allowed: list[tuple[int, int]] = []  # spans where a variable may stand: text, quoted safe values
    refused: list[tuple[int, int, str]] = []
    position = 0
    while True:
        comment = template.find("<!--", position)
        opened = _TAG_OPEN.search(template, position)
        if opened is None and comment == -1:
            allowed.append((position, len(template)))
            break
        if comment != -1 and (opened is None or comment < opened.start()):
            end = template.find("-->", comment + 4)
            end = len(template) if end == -1 else end + 3
            allowed.append((position, end))
            position = end
            continue
        assert opened is not None
        allowed.append((position, opened.start()))
        cursor = opened.end()
        while cursor < len(template) and template[cursor] != ">":
            attribute = _ATTRIBUTE.match(template, cursor)
            if attribute is None or attribute.end() == cursor:
                cursor += 1
                continue
            name, value = (attribute.group(1) or "").lower(), attribute.group(2)
            if value and value[0] in "\"'":
                inside = (
                    attribute.start(2) + 1,
                    attribute.end(2) - (1 if len(value) > 1 and value[-1] == value[0] else 0),
                )
                if name == "srcdoc" or name.startswith("on"):
                    refused.append((*inside, f"variables are not allowed in the {name} attribute"))
                else:
                    allowed.append(inside)
            cursor = attribute.end()
        end = min(cursor + 1, len(template))
        tag = opened.group(2).lower()
        if not opened.group(1) and tag in _RAW_TEXT:
            closing = re.compile(rf"</{tag}\b", re.IGNORECASE).search(template, end)
            allowed.append((end, closing.start() if closing else len(template)))
            end = closing.start() if closing else len(template)
        position = end
    for variable in variables:
        reason = next((why for start, stop, why in refused if start <= variable.start < stop), None)
        if reason is None and not any(start <= variable.start and variable.end <= stop for start, stop in allowed):
            reason = 'a variable in a tag must be inside a quoted attribute value (name="{{ … }}")'
        if reason:
            raise TemplateError(f"line {_line_of(template, variable.start)}: {reason}")


def check_template(template: object) -> str:
    """``template`` if it parses (``TemplateError`` otherwise)."""
    parse_variables(template)  # type: ignore[arg-type]
    return template  # type: ignore[return-value]


def _value(path: tuple[str, ...], task_input: object, labels: list[str]) -> object:
    if path == ("labels",):
        return labels
    value: object = task_input
    for key in path[1:]:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def render(template: str, *, task_input: object, labels: list[str]) -> str:
    """The template with every variable replaced by its escaped value."""
    parts: list[str] = []
    position = 0
    for variable in parse_variables(template):
        value = _value(variable.path, task_input, labels)
        if value is None and not variable.as_json:
            text = ""
        elif isinstance(value, str) and not variable.as_json:
            text = value
        else:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        parts += [template[position : variable.start], html.escape(text, quote=True)]
        position = variable.end
    parts.append(template[position:])
    return "".join(parts)


def inline_script_hashes(template: str) -> list[str]:
    """CSP hash sources (``'sha256-…'``) of the template's inline scripts, as written (a
    ``<script src=…>`` gets none: its source is refused by the frame's policy)."""
    hashes = []
    for match in _SCRIPT.finditer(template):
        if _SRC_ATTRIBUTE.search(match.group(1)):
            continue
        digest = hashlib.sha256(match.group(2).encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode()}'")
    return sorted(set(hashes))
