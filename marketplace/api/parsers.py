"""The API's JSON parser: DRF's, with the refusals of ``marketplace.jsonbody``."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from ..errors import InvalidInput
from ..jsonbody import parse_json


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return parse_json(stream.read() if stream is not None else b"")
        except InvalidInput as exc:
            raise ParseError(exc.message) from None
