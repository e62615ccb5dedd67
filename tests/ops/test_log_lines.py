"""Log lines as an operator reads them: JSON or text, each with the request id of the work
in hand; incoming request ids kept only when sane."""

from __future__ import annotations

import json
import logging
import subprocess

import pytest

from marketplace.observability.context import bind, current_request_id, request_id_from, unbind
from marketplace.observability.logs import JsonFormatter, RequestIdFilter, TextFormatter, logging_config

from .plain import PYTHON, REPO, plain_environment


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("groundwork.test", logging.INFO, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(made, key, value)
    RequestIdFilter().filter(made)
    return made


def test_a_json_line_carries_the_bound_request_id_and_the_callers_fields():
    # given
    token = bind("req-123")
    try:
        line = json.loads(JsonFormatter().format(record("answered %d", 200, route="api/v1/tasks", status=200)))
    finally:
        unbind(token)
    # then
    assert line["request_id"] == "req-123"
    assert (line["message"], line["route"], line["status"], line["level"]) == (
        "answered 200",
        "api/v1/tasks",
        200,
        "INFO",
    )
    assert current_request_id() is None  # unbound after


def test_a_text_line_ends_with_the_request_id_only_when_there_is_one():
    token = bind("req-9")
    try:
        with_id = TextFormatter().format(record("sweep marketplace: assignments_expired=2"))
    finally:
        unbind(token)
    without = TextFormatter().format(record("sweep marketplace: assignments_expired=2"))
    assert with_id.endswith("INFO groundwork.test sweep marketplace: assignments_expired=2 request_id=req-9")
    assert without.endswith("INFO groundwork.test sweep marketplace: assignments_expired=2")


@pytest.mark.parametrize("incoming", ["abc-123", "lb.7f3a:42", "a" * 128, "Root=1-5f84c7a4-x/y+z="])
def test_a_sane_incoming_request_id_is_kept(incoming):
    assert request_id_from(incoming.encode()) == incoming


@pytest.mark.parametrize("incoming", [b"", b"has space", b"a" * 129, b'quote"d', b"new\nline", "é".encode(), None])
def test_anything_else_is_replaced_by_a_new_id(incoming):
    made = request_id_from(incoming)
    assert made != incoming and len(made) == 16 and int(made, 16) >= 0


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT must be 'json' or 'text'"):
        logging_config(log_format="xml", level="INFO")


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"DEBUG": "1"}, "text"),
        ({"SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "x"}, "json"),
        ({"DEBUG": "1", "LOG_FORMAT": "json"}, "json"),
    ],
)
def test_text_for_development_json_for_production_unless_said(tmp_path, environment, expected):
    # when settings are read in a plain shell (DEBUG on is development: ./scripts/serve)
    result = subprocess.run(
        [PYTHON, "-c", "from django.conf import settings; print(settings.LOG_FORMAT)"],
        cwd=REPO,
        env=plain_environment(tmp_path / "var", DJANGO_SETTINGS_MODULE="config.settings", **environment),
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then
    assert result.stdout.strip() == expected, result.stderr
