"""Static files through Django's real ASGI handler (the middleware chain loaded for ASGI):
served whole, by range and as 304s from an async body, with no "synchronous iterators" warning
(issue 21); and the same files under WSGI, where WhiteNoise is unchanged."""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path

import django.contrib.admin
import httpx
from django.core.handlers.asgi import ASGIHandler
from django.test import Client

from .plain import REPO

ADMIN_CSS = Path(django.contrib.admin.__file__).parent / "static" / "admin" / "css" / "base.css"
FAVICON = REPO / "config" / "root_files" / "favicon.ico"


def asgi_requests(*requests: tuple[str, dict]) -> tuple[list[httpx.Response], list[str]]:
    """Send ``(path, headers)`` requests through a fresh ASGI handler; the responses and every
    warning raised meanwhile."""

    async def send_all():
        transport = httpx.ASGITransport(app=ASGIHandler())
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return [await client.get(path, headers=headers) for path, headers in requests]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        responses = asyncio.run(send_all())
    return responses, [str(warning.message) for warning in caught]


def test_static_files_stream_under_asgi_without_the_synchronous_iterator_warning():
    # when: the whole file, a range of it, and the favicon at the root
    (whole, part, icon), caught = asgi_requests(
        ("/static/admin/css/base.css", {}),
        ("/static/admin/css/base.css", {"Range": "bytes=10-29"}),
        ("/favicon.ico", {}),
    )
    # then
    assert caught == []
    assert (whole.status_code, whole.headers["content-type"]) == (200, 'text/css; charset="utf-8"')
    assert whole.content == ADMIN_CSS.read_bytes()
    assert int(whole.headers["content-length"]) == ADMIN_CSS.stat().st_size
    assert (part.status_code, part.content) == (206, ADMIN_CSS.read_bytes()[10:30])
    assert part.headers["content-range"] == f"bytes 10-29/{ADMIN_CSS.stat().st_size}"
    assert (icon.status_code, icon.headers["content-type"], icon.content) == (200, "image/x-icon", FAVICON.read_bytes())


def test_a_conditional_request_is_a_304_with_no_body_under_asgi():
    # given the file's ETag
    (first,), _ = asgi_requests(("/static/admin/css/base.css", {}))
    # when asked again with it
    (again,), caught = asgi_requests(("/static/admin/css/base.css", {"If-None-Match": first.headers["etag"]}))
    # then
    assert caught == []
    assert (again.status_code, again.content) == (304, b"")


def test_an_unknown_static_path_falls_through_to_the_json_404_under_asgi(db):
    (missing,), caught = asgi_requests(("/static/admin/css/no-such-file.css", {}))
    assert caught == []
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_under_wsgi_the_same_files_are_served_as_before():
    response = Client().get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == ADMIN_CSS.read_bytes()
