"""Storage errors: :class:`StorageUnavailable` for every failure of the storage itself, the
errors of reading objects (too large, a manifest line too long or not UTF-8), and the
``Forbidden(code="storage_not_allowed")`` raised for a URI outside the registered storage."""

from __future__ import annotations

from marketplace.errors import DomainError, Forbidden, InvalidInput


class StorageUnavailable(DomainError):
    """The storage could not serve a read or write: the message names the URI and the reason."""

    status = 400
    code = "storage_unavailable"


class StorageObjectTooLarge(InvalidInput):
    """``read_bytes`` found an object larger than its ``max_bytes``."""


class ManifestLineTooLong(InvalidInput):
    """A line of a streamed text object is longer than ``max_line_chars`` (1-based line number)."""

    def __init__(self, line_number: int, *, max_line_chars: int | None = None, uri: str = "") -> None:
        limit = f" {max_line_chars}" if max_line_chars is not None else " the limit of"
        where = f"{uri} " if uri else ""
        super().__init__(f"{where}line {line_number}: longer than{limit} characters")
        self.line_number = line_number
        self.max_line_chars = max_line_chars


class ManifestLineNotUTF8(UnicodeDecodeError):
    """A line of a streamed text object is not valid UTF-8 (1-based line number). A
    ``UnicodeDecodeError``, so callers that catch that keep working."""

    def __init__(self, line_number: int, error: UnicodeDecodeError, *, uri: str = "") -> None:
        super().__init__(error.encoding, error.object, error.start, error.end, error.reason)
        self.line_number = line_number
        self.uri = uri

    def __str__(self) -> str:
        where = f"{self.uri} " if self.uri else ""
        return f"{where}line {self.line_number}: not valid UTF-8 ({self.reason} at byte {self.start})"


def _not_allowed(uri: str, field: str) -> Forbidden:
    message = "is not in storage registered for your organization"
    return Forbidden(f"{field}: {uri} {message}", code="storage_not_allowed", fields={field: [message]})
