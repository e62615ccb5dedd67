"""Parsing JSON from clients, for REST bodies and websocket frames alike.

Python's ``json`` accepts what the database cannot store or the process cannot survive:
``NaN``/``Infinity`` (PostgreSQL's jsonb refuses them), ``\\u0000`` in strings (PostgreSQL
refuses NUL characters in text and jsonb) and nesting deep enough to exhaust the stack. All of
these are refused here as bad input, before anything is stored.
"""

from __future__ import annotations

import json

from .errors import InvalidInput


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _contains_nul(value: object) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def parse_json(text: str | bytes) -> object:
    """Parse one JSON document; raises ``InvalidInput`` for anything unfit (see the module)."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise InvalidInput("the JSON is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}") from None
    raw = text if isinstance(text, str) else text.decode("utf-8", "replace")
    if "\\u0000" in raw and _contains_nul(value):
        raise InvalidInput("strings must not contain the NUL character (\\u0000)")
    return value
