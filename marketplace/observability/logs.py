"""Log lines: JSON (one object per line, for machines) or text (for a developer's terminal).

``LOG_FORMAT`` picks one (README "Configuration"): ``json`` in production, ``text`` when
``DEBUG`` is on (``./scripts/serve``). Both carry the request id of the work in hand
(``context``): JSON as ``request_id``, text as a trailing ``request_id=…`` (after the message,
so a line without one reads as before). Fields a caller passes in ``extra`` (the request line's
``method``, ``route``, ``status``, ``duration_ms``…) become keys of the JSON object.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from .context import current_request_id

# Attributes every LogRecord has: anything else on a record came from ``extra``.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id (``None`` outside any request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,  # which of a server's workers
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None)
        if request_id is None:
            return text
        first, newline, rest = text.partition("\n")  # after the message, before a traceback
        return f"{first} request_id={request_id}{newline}{rest}"


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """Django's ``LOGGING``: one console handler in ``log_format``. Uvicorn's access log is
    silenced (``asgi.ObservedHTTP`` writes the request line, with the request id); its other
    loggers go through the same handler, so a JSON deployment has no plain lines."""
    if log_format not in {"json", "text"}:
        raise ValueError(f"LOG_FORMAT must be 'json' or 'text', got {log_format!r}")
    formatter = "marketplace.observability.logs.JsonFormatter" if log_format == "json" else None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "marketplace.observability.logs.RequestIdFilter"}},
        "formatters": {
            "line": {"()": formatter or "marketplace.observability.logs.TextFormatter"},
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line", "filters": ["request_id"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.request": {"level": "ERROR"},
            "uvicorn": {"handlers": ["console"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "celery": {"level": level},
        },
    }
