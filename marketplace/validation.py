"""Input checking shared by services that parse request bodies: every bad field is named."""

from __future__ import annotations

from .errors import InvalidInput
from .jsonbody import is_json_int
from .money import parse_amount_micros


class FieldErrors:
    """Collects errors under dotted paths (``"3.slots"``) so one 400 names every bad field."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(f"{self.prefix}{field}", []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            first = next(iter(self.errors))
            raise InvalidInput(f"{first}: {self.errors[first][0]}", fields=self.errors)


def int_in_range(
    data: dict, field: str, default: int | None, bounds: tuple[int, int], errors: FieldErrors
) -> int | None:
    value = data.get(field, default)
    if value is None:
        return None
    if not is_json_int(value):
        errors.add(field, "must be an integer")
        return None
    low, high = bounds
    if not low <= value <= high:
        errors.add(field, f"must be between {low} and {high}")
        return None
    return value


def text_field(data: dict, field: str, errors: FieldErrors, *, required: bool, max_length: int) -> str:
    value = data.get(field, "")
    if not isinstance(value, str):
        errors.add(field, "must be a string")
        return ""
    if required and not value.strip():
        errors.add(field, "is required")
    elif len(value) > max_length:
        errors.add(field, f"must be at most {max_length} characters")
    return value


def optional_amount_micros(data: dict, field: str, errors: FieldErrors) -> int | None:
    """A USD amount (decimal string) in micro-dollars, or ``None`` when left out (or bad, after
    recording an error)."""
    if field not in data:
        return None
    return required_amount_micros(data, field, errors)


def required_amount_micros(data: dict, field: str, errors: FieldErrors) -> int:
    """A required USD amount (decimal string) in micro-dollars; 0 after recording an error."""
    if field not in data:
        errors.add(field, "is required")
        return 0
    try:
        return parse_amount_micros(data[field])
    except ValueError as exc:
        errors.add(field, str(exc))
        return 0
