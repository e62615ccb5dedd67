"""Helpers shared by the tests of this package (test_task_types.py, split by topic)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from jsonschema import Draft202012Validator
from PIL import Image

from labeling.task_types import ObjectAnswers, get_task_type
from marketplace.errors import InvalidInput

CREATED = "2018-10-18T22:18:13.527256"


SIZE = {"width": 100, "height": 80}


def _validator(type_name: str, labels: list[str]) -> Draft202012Validator:
    schema = get_task_type(type_name).answer_schema(labels)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _is_valid(type_name: str, labels: list[str], answer: object) -> bool:
    return _validator(type_name, labels).is_valid(answer)


def _field_error(type_name: str, answer: dict, *, labels: list[str], task_input: dict | None = None) -> dict:
    with pytest.raises(InvalidInput) as caught:
        get_task_type(type_name).check_answer(answer, labels=labels, task_input=task_input or {})
    return caught.value.fields


def _objects(*rows: tuple[tuple[int, ...], tuple[dict, ...]], task_input: dict | None = None) -> list[ObjectAnswers]:
    return [
        ObjectAnswers(index=index, workers=workers, answers=answers, task_input=task_input or {})
        for index, (workers, answers) in enumerate(rows)
    ]


def _png(array: np.ndarray, mode: str | None = None) -> str:
    image = Image.fromarray(array) if mode is None else Image.fromarray(array).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _box(label: str, left: float, top: float, width: float, height: float) -> dict:
    return {"label": label, "left": left, "top": top, "width": width, "height": height}
