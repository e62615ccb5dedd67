"""Parsing JSON from clients, for REST bodies and websocket frames alike: the one text edge.

Python's ``json`` accepts what the database cannot store or the process cannot survive:
``NaN``/``Infinity`` (PostgreSQL's jsonb refuses them), ``\\u0000`` in strings (PostgreSQL
refuses NUL characters in text and jsonb), lone UTF-16 surrogates such as ``"\\ud800"`` (they
have no UTF-8 form, so every later encode fails), numbers beyond a double (``1e400`` would be
infinity) and nesting deep enough to exhaust the stack
(the parser gives up near 1,000 levels, the encoder a little earlier). All of these are refused
here, once, as bad input naming the field (dotted, list items by index), before anything else
sees the value: no field checker downstream needs to think about them.

``MAX_JSON_DEPTH`` is far below what the encoder handles, so a stored value can always be
written back out (in a response, a webhook, a manifest line).
"""

from __future__ import annotations

import json
import math
import re
from typing import TypeGuard

import orjson

from .errors import InvalidInput

# Containers inside containers: ``{"a": [1]}`` is depth 2. Far below the ~960 levels where the
# encoder raises RecursionError; no task type or answer format comes near it.
MAX_JSON_DEPTH = 64

# A NUL or a lone surrogate can only come from a ``\u`` escape (raw control characters are
# invalid JSON, and raw surrogates are not UTF-8), so bodies without one skip the string scan.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def is_json_int(value: object) -> TypeGuard[int]:
    """A JSON integer: ``true`` and ``false`` are not (Python's ``bool`` is an ``int``). The one
    strict-integer test of the code base; declared inputs use it through ``inputs.fields``."""
    return type(value) is int


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


class _OutOfRange:
    """Stands where a number too large for a double was (``1e400`` parses as infinity, which
    jsonb refuses): found and named by ``check_json_value``."""


_OUT_OF_RANGE = _OutOfRange()


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (a NUL or a lone surrogate), or ``None``."""
    found = _BAD_CHARACTER.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "must not contain the NUL character (\\u0000)"
    return f"must be valid Unicode: a lone surrogate (\\u{ord(found.group()):04x}) at character {found.start()}"


def printable_key(key: str) -> str:
    """A key fit to name in an error (which may itself be stored): bad characters escaped."""
    return _BAD_CHARACTER.sub(lambda m: f"\\u{ord(m.group()):04x}", key)


def _path(parts: list[str | int]) -> str:
    return ".".join(printable_key(part) if isinstance(part, str) else str(part) for part in parts) or "body"


def check_json_value(value: object, *, check_text: bool = True, prefix: tuple[str | int, ...] = ()) -> None:
    """Refuse a parsed JSON value holding unstorable text or nested beyond ``MAX_JSON_DEPTH``.

    Iterative (the value may be deep); raises ``InvalidInput`` naming the first bad field. With
    ``check_text=False`` only the depth is checked (the caller knows no string can be bad).
    """
    stack: list[tuple[object, tuple[str | int, ...], int]] = [(value, prefix, 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if check_text and (problem := text_problem(item)):
                raise InvalidInput.for_field(_path(list(path)), problem)
        elif item is _OUT_OF_RANGE:
            raise InvalidInput.for_field(_path(list(path)), "is a number out of range (beyond ±1.8e308)")
        elif isinstance(item, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                raise InvalidInput.for_field(_path(list(path)), f"nests deeper than {MAX_JSON_DEPTH} levels")
            if isinstance(item, dict):
                for key, child in reversed(item.items()):
                    if check_text and (problem := text_problem(key)):
                        raise InvalidInput.for_field(_path([*path, key]), f"the key {problem}")
                    stack.append((child, (*path, key), depth + 1))
            else:
                stack.extend((child, (*path, index), depth + 1) for index, child in reversed(list(enumerate(item))))


def _deep_path(raw: str) -> str:
    """The path where a document too deep for the parser first passes ``MAX_JSON_DEPTH``.

    Scans the raw text (only called after the parser itself gave up): strings are skipped whole,
    keys remembered, list indexes counted.
    """
    token = re.compile(r'"(?:[^"\\]|\\.)*"\s*:?|[\[\]{},]')
    stack: list[list] = []  # [kind, key or index]
    for found in token.finditer(raw):
        text = found.group()
        if text in ("{", "["):
            if len(stack) >= MAX_JSON_DEPTH:
                return _path([part for _, part in stack if part is not None])
            stack.append([text, None if text == "{" else 0])
        elif text in ("}", "]"):
            if stack:
                stack.pop()
        elif text == ",":
            if stack and stack[-1][0] == "[":
                stack[-1][1] += 1
        elif text.endswith(":") and stack:
            try:
                stack[-1][1] = json.loads(text[:-1].rstrip())
            except ValueError:
                stack[-1][1] = "?"
    return "body"


def parse_json(text: str | bytes) -> object:
    """Parse one JSON document (UTF-8 when given bytes); raises ``InvalidInput`` for anything
    unfit (see the module), naming the field where there is one."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"the body is not valid UTF-8: {exc}") from None
        # Strictly decoded UTF-8 holds no surrogate, and a raw NUL is not valid JSON anywhere.
        suspect_text = _SUSPECT_ESCAPE.search(text) is not None
    else:
        suspect_text = _SUSPECT_ESCAPE.search(text) is not None or _BAD_CHARACTER.search(text) is not None
    out_of_range = False

    def parse_float(literal: str) -> object:
        nonlocal out_of_range
        number = float(literal)
        if math.isinf(number):
            out_of_range = True
            return _OUT_OF_RANGE
        return number

    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=parse_float)
    except RecursionError:
        path = _deep_path(text)
        raise InvalidInput.for_field(path, f"nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}") from None
    if suspect_text or out_of_range or text.count("[") + text.count("{") > MAX_JSON_DEPTH:
        check_json_value(value, check_text=suspect_text)
    return value


def json_bytes(value: object) -> bytes:
    """``value`` as JSON the way DRF's renderer writes it (compact, UTF-8, U+2028 and U+2029
    escaped so the text is also valid JavaScript), by orjson: the answers of the hot paths (the
    worker endpoints at the ASGI layer, the worker socket's messages)."""
    try:
        content = orjson.dumps(value)
    except TypeError:  # a type orjson does not write (an integer beyond 64 bits): the standard library
        content = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return content.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
