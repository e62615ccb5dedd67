"""The base of every input declaration, and ``validate``: a body in, a typed value or one 400 out.

A declaration is a pydantic model whose fields use the types of ``fields.py``. It is both the
validator and the OpenAPI request schema (``extend_schema(request=TheInput)``; rendered by
``openapi.py``), so the document cannot drift from what the server accepts. Unknown fields are
refused. ``validate`` turns every problem into the one error body of docs/api.md: each bad
field under its dotted path (``"3.slots"``, ``"quality_rules.min_gold_accuracy"``), with the
service's own messages, unknown fields first within their object, the message naming the first.
"""

from __future__ import annotations

import types
import typing
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from ..errors import InvalidInput
from ..jsonbody import printable_key
from .fields import FIELDS_ERROR

M = TypeVar("M", bound="Input")


class Input(BaseModel):
    """An operation's request body (or a part of one). Subclasses declare fields only."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=False, hide_input_in_errors=True)

    # What an unknown key of this object is told (top-level bodies: "is not a known field").
    unknown_field_message: ClassVar[str] = "is not a known field"
    # What a value that is not a JSON object is told, where this object is a field of another.
    not_an_object_message: ClassVar[str] = "must be a JSON object"
    # What a required field left out is told, where "is required" is not what it always was.
    missing_messages: ClassVar[dict[str, str]] = {}

    @classmethod
    def cross_field_errors(cls, data: dict) -> list[tuple[str, str]]:
        """Rules between fields, judged on the raw body: ``(path, message)`` pairs reported with
        the fields' own errors, in one 400 (after a field's own). Run whether or not the fields
        are valid, so each rule must read only values it has checked itself."""
        return []


def validate(model: type[M], data: object, *, non_object: str = "the body must be a JSON object") -> M:
    """``data`` as a ``model``, or ``InvalidInput`` naming every bad field. A body that is not
    an object is refused on ``non_field_errors`` with ``non_object``."""
    if not isinstance(data, dict):
        raise InvalidInput.for_field("non_field_errors", non_object)
    cross = [(tuple(path.split(".")), message) for path, message in model.cross_field_errors(data)]
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        raise invalid_input(model, exc, cross) from None
    if cross:
        raise invalid_input(model, None, cross)
    return value


def validate_list(model: type[M], adapter: TypeAdapter, data: list) -> list[M]:
    """A JSON list of ``model`` objects (``adapter``: ``TypeAdapter(list[model])``); every path
    starts with the item's index (``"3.slots"``)."""
    cross = [
        ((index, *path.split(".")), message)
        for index, item in enumerate(data)
        if isinstance(item, dict)
        for path, message in model.cross_field_errors(item)
    ]
    try:
        values = adapter.validate_python(data)
    except ValidationError as exc:
        raise invalid_input(model, exc, cross, in_list=True) from None
    if cross:
        raise invalid_input(model, None, cross, in_list=True)
    return values


def invalid_input(
    model: type[Input], exc: ValidationError | None, cross: list[tuple[tuple, str]], *, in_list: bool = False
) -> InvalidInput:
    """The one 400 for ``model`` (a list of them with ``in_list``): the errors of ``exc`` and
    the ``cross``-field ones (``(loc, message)``)."""
    found: list[tuple[tuple, bool, str, str]] = []
    for error in exc.errors(include_url=False, include_context=True, include_input=False) if exc else ():
        loc = tuple(error["loc"])
        if error["type"] == FIELDS_ERROR:
            for sub_path, messages in error["ctx"]["fields"].items():
                path = ".".join(part for part in (_dotted(loc), sub_path) if part)
                found.extend((loc, False, path, message) for message in messages)
            continue
        found.append((loc, error["type"] == "extra_forbidden", _dotted(loc), _message(error, model, loc, in_list)))
    found.extend((loc, False, ".".join(str(part) for part in loc), message) for loc, message in cross)
    # A body's (a list item's) unknown keys come first, sorted, as they always have; then its
    # fields in the declaration's order; nested errors keep pydantic's order (the sort is stable).
    depth = int(in_list)
    position = {name: index for index, name in enumerate(model.model_fields)}

    def rank(item: tuple[tuple, bool, str, str]) -> tuple:
        loc, unknown, path, _ = item
        group = loc[:1] if in_list else ()
        if unknown and len(loc) == depth + 1:
            return (group, 0, path, 0)
        field = loc[depth] if len(loc) > depth else ""
        return (group, 1, "", position.get(field, len(position)))

    found.sort(key=rank)
    fields: dict[str, list[str]] = {}
    for _, _, path, message in found:
        fields.setdefault(path, []).append(message)
    first = next(iter(fields))
    return InvalidInput(f"{first}: {fields[first][0]}", fields=fields)


def _dotted(loc: tuple) -> str:
    return ".".join(printable_key(part) if isinstance(part, str) else str(part) for part in loc)


def _message(error: ErrorDetails, model: type[Input], loc: tuple, in_list: bool) -> str:
    kind = error["type"]
    if kind == "missing":
        return _object_at(model, loc[int(in_list) : -1]).missing_messages.get(loc[-1], "is required")
    if kind == "extra_forbidden":
        return _object_at(model, loc[int(in_list) : -1]).unknown_field_message
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if in_list and len(loc) == 1:
            return "must be a JSON object"
        return _object_at(model, loc[int(in_list) :]).not_an_object_message
    return error["msg"]


def _object_at(model: type[Input], path: tuple) -> type[Input]:
    """The declaration of the object at ``path`` below ``model`` (list indexes skipped)."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        current = _unwrap(current.model_fields[part].annotation)
    return current


def _unwrap(annotation: Any) -> Any:
    """``X`` out of ``X | None``, ``list[X]``, ``Annotated[X, …]``."""
    while True:
        if isinstance(annotation, type) and issubclass(annotation, Input):
            return annotation
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        origin = typing.get_origin(annotation)
        if not args or origin not in (typing.Union, types.UnionType, list, typing.Annotated):
            return Input
        annotation = args[0]
