"""Static files under ASGI: WhiteNoise's lookups and headers, with a body that never blocks.

WhiteNoise 6 is synchronous: its middleware answers with a ``FileResponse`` over an open file.
Under ASGI, Django can only stream an asynchronous iterator, so for each static file it warned
("StreamingHttpResponse must consume synchronous iterators") and read the whole file into memory
on a thread first. This subclass keeps every decision WhiteNoise makes (which file, which
compressed variant, ranges, 304s, caching headers) and, when the middleware chain is async,
looks the file up and opens it on a thread and streams it in chunks from an async iterator.
Under WSGI (and Django's test client) it is WhiteNoise unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import BinaryIO

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponseBase
from whitenoise.middleware import WhiteNoiseFileResponse, WhiteNoiseMiddleware

CHUNK_BYTES = 64 * 1024


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """``WhiteNoiseMiddleware`` that is also async-capable (see the module docstring)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response=None, settings=django_settings) -> None:
        super().__init__(get_response, settings)
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if self.autorefresh:  # DEBUG: looks at the disk on each request
            static_file = await sync_to_async(self.find_file, thread_sensitive=False)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is None:
            return await self.get_response(request)
        return await sync_to_async(self.serve_streaming, thread_sensitive=False)(static_file, request)

    @staticmethod
    def serve_streaming(static_file, request: HttpRequest) -> HttpResponseBase:
        """WhiteNoise's ``serve`` with an async body: status and headers as WhiteNoise says, the
        file (or its range) read in chunks on a thread and closed when the response is."""
        response = static_file.get_response(request.method, request.META)
        body = response.file
        http_response = WhiteNoiseFileResponse(_chunks(body) if body else _nothing(), status=int(response.status))
        del http_response["content-type"]
        for key, value in response.headers:
            http_response[key] = value
        if body:
            http_response._resource_closers.append(body.close)  # also when the client went away
        return http_response


async def _chunks(file: BinaryIO) -> AsyncIterator[bytes]:
    read = sync_to_async(file.read, thread_sensitive=False)
    try:
        while chunk := await read(CHUNK_BYTES):
            yield chunk
    finally:
        file.close()


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield  # an async generator that yields nothing (HEAD, 304)
