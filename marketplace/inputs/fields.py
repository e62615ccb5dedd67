"""The shared field types of input declarations: each one is its validator and its OpenAPI schema.

A field type is ``Annotated[<python type>, <one of the markers below>]``: the marker checks the
raw JSON value with the service's own message (``"must be an integer"``, never pydantic's
wording) and states the JSON schema the OpenAPI document shows, so the two cannot drift.
Validation is plain Python on purpose: JSON has one integer type, so a strict integer is
``type(value) is int`` (``true`` is refused; Python's ``bool`` is an ``int``), and money is
the one grammar of ``marketplace.money``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeGuard

from django.conf import settings
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from ..money import parse_amount_micros

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
FIELDS_ERROR = "groundwork_fields"  # an error naming several paths at once (see ``refuse_fields``)


def refuse(message: str) -> PydanticCustomError:
    """The error a marker raises: ``message`` is shown as is, under the field's path."""
    return PydanticCustomError("groundwork", message)


def refuse_fields(fields: dict[str, list[str]]) -> PydanticCustomError:
    """An error naming paths below the field (``{"properties.x": [...]}``; ``""`` is the field
    itself), for checks that find several problems in one value (an answer schema)."""
    return PydanticCustomError(FIELDS_ERROR, "{fields}", {"fields": fields})


def is_strict_int(value: object) -> TypeGuard[int]:
    """A JSON integer: ``true``/``false`` are not (``bool`` subclasses ``int`` in Python).
    Narrows ``value`` to ``int`` for the type checker where it holds."""
    return type(value) is int


@dataclass(frozen=True)
class _Marker:
    """Base of the markers: a plain validator (``check``) and a declared schema (``schema``)."""

    def check(self, value: Any) -> Any:  # pragma: no cover - every marker overrides it
        raise NotImplementedError

    def schema(self) -> dict:  # pragma: no cover
        raise NotImplementedError

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.check)

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        return self.schema()


@dataclass(frozen=True)
class StrictInt(_Marker):
    """An integer from ``low`` to ``high`` (``None``: unbounded); ``out_of_range`` may say the
    bounds its own way, ``not_an_integer`` the type."""

    low: int | None = None
    high: int | None = None
    out_of_range: str = ""
    not_an_integer: str = "must be an integer"
    null_is_absent: bool = False  # ``null`` is taken as left out (the declaration's default)

    def check(self, value: Any) -> int | None:
        if value is None and self.null_is_absent:
            return None
        if type(value) is not int:
            raise refuse(self.not_an_integer)
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise refuse(self.out_of_range or f"must be between {self.low} and {self.high}")
        return value

    def schema(self) -> dict:
        found: dict = {"type": "integer"}
        if self.low is not None:
            found["minimum"] = self.low
        if self.high is not None:
            found["maximum"] = self.high
        return found


@dataclass(frozen=True)
class Number(_Marker):
    """A JSON number (integer or not, never a boolean) in ``[low, high]``, or the open interval."""

    low: float
    high: float
    message: str
    exclusive: bool = False

    def check(self, value: Any) -> float | int:
        if type(value) not in (int, float):
            raise refuse(self.message)
        inside = self.low < value < self.high if self.exclusive else self.low <= value <= self.high
        if not inside:
            raise refuse(self.message)
        return value

    def schema(self) -> dict:
        if self.exclusive:
            return {
                "type": "number",
                "minimum": self.low,
                "maximum": self.high,
                "exclusiveMinimum": True,
                "exclusiveMaximum": True,
            }
        return {"type": "number", "minimum": self.low, "maximum": self.high}


@dataclass(frozen=True)
class Flag(_Marker):
    """``true`` or ``false``."""

    def check(self, value: Any) -> bool:
        if type(value) is not bool:
            raise refuse("must be true or false")
        return value

    def schema(self) -> dict:
        return {"type": "boolean"}


@dataclass(frozen=True)
class Text(_Marker):
    """A string of at most ``max_length`` characters; ``required``: not blank."""

    max_length: int
    required: bool = False
    description: str = ""

    def check(self, value: Any) -> str:
        if type(value) is not str:
            raise refuse("must be a string")
        if self.required and not value.strip():
            raise refuse("is required")
        if len(value) > self.max_length:
            raise refuse(f"must be at most {self.max_length} characters")
        return value

    def schema(self) -> dict:
        found: dict = {"type": "string", "maxLength": self.max_length}
        if self.required:
            found["minLength"] = 1
        if self.description:
            found["description"] = self.description
        return found


@dataclass(frozen=True)
class Choice(_Marker):
    """One of ``choices`` (strings); ``labels`` (one per choice) when the choices are a model's
    (``TextChoices``), so the document shows one enum for the input and the output alike."""

    choices: tuple[str, ...]
    message: str = ""
    labels: tuple[str, ...] = ()

    def check(self, value: Any) -> str:
        if type(value) is not str or value not in self.choices:
            raise refuse(self.message or f"must be one of {', '.join(self.choices)}")
        return value

    def schema(self) -> dict:
        found: dict = {"type": "string", "enum": list(self.choices)}
        if self.labels:
            found["x-choice-labels"] = list(zip(self.choices, self.labels, strict=True))  # see openapi.py
        return found


@dataclass(frozen=True)
class Money(_Marker):
    """A USD amount on the wire (``"0.05"``; docs/api.md "Money"), in micro-dollars inside."""

    description: str = 'USD decimal string, at most 6 fractional digits, e.g. "0.05"'

    def check(self, value: Any) -> int:
        try:
            return parse_amount_micros(value)
        except ValueError as exc:
            raise refuse(str(exc)) from None

    def schema(self) -> dict:
        return {"type": "string", "pattern": r"^(0|[1-9][0-9]*)(\.[0-9]{1,6})?$", "description": self.description}


@dataclass(frozen=True)
class Json(_Marker):
    """Any JSON value, taken as is (its meaning is checked where it is used)."""

    description: str = ""
    object_only: bool = False

    def check(self, value: Any) -> Any:
        return value

    def schema(self) -> dict:
        found: dict = {"type": "object"} if self.object_only else {}
        if self.description:
            found["description"] = self.description
        return found


@dataclass(frozen=True, eq=False)
class Checked(_Marker):
    """A value checked by ``check`` (which raises ``refuse``/``refuse_fields``), shown as ``shape``."""

    checker: Callable[[Any], Any]
    shape: dict = field(default_factory=dict)

    # Equal only to itself: typing caches ``Annotated[...]`` by its metadata, and two checks of
    # one type must never be taken for each other (``shape`` is a dict: unhashable anyway).
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def check(self, value: Any) -> Any:
        return self.checker(value)

    def schema(self) -> dict:
        return dict(self.shape)


# --- the aliases declarations use -------------------------------------------------------------

Id = Annotated[int, StrictInt()]
"""A row id: any JSON integer (one that names no row of yours is the service's 400 or 404)."""

MoneyMicros = Annotated[int, Money()]
AnyJson = Annotated[Any, Json()]


def settings_default(name: str) -> Callable[[dict], None]:
    """``json_schema_extra`` showing a default read from ``settings.GROUNDWORK[name]`` when the
    document is generated (the value a request gets is read at validation time)."""

    def extra(schema: dict) -> None:
        schema["default"] = settings.GROUNDWORK[name]

    return extra
