"""Input declarations in the OpenAPI document: ``extend_schema(request=TheInput)``.

drf-spectacular's own pydantic extension emits JSON Schema 2020-12 in serialization mode; the
document is OpenAPI 3.0, so this one renders the validation schema and rewrites what 3.0 lacks
(``{"anyOf": [X, {"type": "null"}]}`` is ``X`` with ``nullable``), drops pydantic's generated
titles, gives a model's choices the enum id drf-spectacular gives them (so the input and the
output share one enum component), and registers nested declarations as components of their
own. Imported by ``marketplace.api.schema`` so that it is registered before the document is built.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent, list_hash
from pydantic import BaseModel

REF_TEMPLATE = "#/components/schemas/{model}"


def openapi_schema(model: type[BaseModel]) -> tuple[dict, dict[str, dict]]:
    """The model's request schema for OpenAPI 3.0, and the schemas of the models it nests."""
    schema = model.model_json_schema(ref_template=REF_TEMPLATE, mode="validation")
    nested = {name: _openapi(sub) for name, sub in schema.pop("$defs", {}).items()}
    return _openapi(schema), nested


def _openapi(node: Any) -> Any:
    if isinstance(node, list):
        return [_openapi(item) for item in node]
    if not isinstance(node, dict):
        return node
    # pydantic's generated titles say nothing the name does not; a ``null`` default is "left out"
    node = {
        key: value
        for key, value in node.items()
        if not (key == "title" and isinstance(value, str)) and not (key == "default" and value is None)
    }
    if "properties" in node:
        node["properties"] = {name: _openapi(value) for name, value in node["properties"].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            node[key] = _openapi(node[key])
    for key in ("anyOf", "oneOf", "allOf"):
        if key not in node:
            continue
        options = [_openapi(option) for option in node.pop(key)]
        if {"type": "null"} in options:
            options = [option for option in options if option != {"type": "null"}]
            node["nullable"] = True
        if len(options) == 1:
            only = options[0]
            node.update({"allOf": [only]} if "$ref" in only else only)
        elif options:
            node[key] = options
    if "x-choice-labels" in node:  # a model's choices: the enum id drf-spectacular gives them
        node["x-spec-enum-id"] = list_hash([tuple(pair) for pair in node.pop("x-choice-labels")])
    if node.get("const") is not None:
        node["enum"] = [node.pop("const")]
    return node


class InputExtension(OpenApiSerializerExtension):
    """Every pydantic model given as a request: an input declaration (``marketplace.inputs``)."""

    target_class = "pydantic.BaseModel"
    match_subclasses = True
    priority = 1  # before drf-spectacular's contrib extension for pydantic

    def get_name(self, auto_schema, direction):
        return self.target.model_config.get("title") or self.target.__name__

    def map_serializer(self, auto_schema, direction):
        schema, nested = openapi_schema(self.target)
        for name, sub_schema in nested.items():
            component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=sub_schema)
            auto_schema.registry.register_on_missing(component)
        return schema
