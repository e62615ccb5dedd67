"""The API's JSON parser: the refusals of ``marketplace.jsonbody``, once for every body."""

from __future__ import annotations

from rest_framework.parsers import JSONParser

from ..jsonbody import parse_json


class StrictJSONParser(JSONParser):
    """DRF's JSON parser made strict: bad text, depth and constants are a 400 ``invalid``
    naming the field (``InvalidInput`` reaches the API's exception handler as it is)."""

    def parse(self, stream, media_type=None, parser_context=None):
        return parse_json(stream.read() if stream is not None else b"")
