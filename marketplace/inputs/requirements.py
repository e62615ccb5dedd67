"""Qualification requirements a new batch takes (docs/qualifications.md).

The shape is declared here; which values a type accepts (integers, or locale codes) is the
service's to check, against the type (``services.requirements.requirements_resolve``).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, model_validator

from ..services.qualifications import COMPARATORS, INTEGER_RANGE
from .base import Input
from .fields import Choice, Id, Json, refuse, refuse_fields

MAX_REQUIREMENTS = 10
MAX_IN_VALUES = 100
VALUES_HELP = (
    "integers, or ISO 3166-1 alpha-2 codes for the locale type: one value for >=, <=, ==, != "
    "(the value itself or a one-item list), one or more for in, left out for exists"
)


class Requirement(Input):
    """``{"qualification_type_id", "comparator", "values"}``; ``values`` is stored as a list."""

    not_an_object_message: ClassVar[str] = "must be an object with qualification_type_id, comparator and values"
    missing_messages: ClassVar[dict[str, str]] = {
        "qualification_type_id": "must be an integer",
        "comparator": f"must be one of {', '.join(COMPARATORS)}",
    }

    qualification_type_id: Id
    comparator: Annotated[str, Choice(COMPARATORS)]
    values: Annotated[Any, Json(description=VALUES_HELP)] = None

    @model_validator(mode="after")
    def _normalise_values(self) -> Requirement:
        return self.model_copy(update={"values": _values(self.comparator, self.values)})


def _is_int(value: object) -> bool:
    return type(value) is int


def _values(comparator: str, values: Any) -> list:
    def bad(message: str) -> Exception:
        return refuse_fields({"values": [message]})

    if comparator == "exists":
        if values not in (None, []):
            raise bad("must be left out for exists")
        return []
    if comparator == "in":
        if not isinstance(values, list) or not 1 <= len(values) <= MAX_IN_VALUES:
            raise bad(f"must be a list of 1 to {MAX_IN_VALUES} values for in")
    else:
        if isinstance(values, list) and len(values) == 1:
            values = values[0]
        if not _is_int(values) and not isinstance(values, str):
            raise bad(f"must be one integer (or locale code) for {comparator}")
        values = [values]
    low, high = INTEGER_RANGE
    if any(not (_is_int(v) and low <= v <= high) and not isinstance(v, str) for v in values):
        raise bad("must be 32-bit integers (or locale codes)")
    # Strings are only ever locale codes: upper-cased here, so "us" and "US" are one batch value.
    return [v.upper() if isinstance(v, str) else v for v in values]


def _at_most_ten(value: object) -> object:
    if not isinstance(value, list) or len(value) > MAX_REQUIREMENTS:
        raise refuse(f"must be a list of at most {MAX_REQUIREMENTS} requirements")
    return value


Requirements = Annotated[list[Requirement], BeforeValidator(_at_most_ten), Field(max_length=MAX_REQUIREMENTS)]
"""The ``qualification_requirements`` of a body (a field of this type is ``| None``: none given)."""


def requirement_dicts(requirements: list[Requirement] | None) -> list[dict] | None:
    """As the batch stores them (``None`` stays ``None``: left out)."""
    if requirements is None:
        return None
    return [r.model_dump() for r in requirements]
